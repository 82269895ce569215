/**
 * Issue 11's targets beside what the bench measured, each with pass or fail.
 * Pure: run.ts hands it the figures, report.ts prints the rows.
 */
import type { BundleResult } from './bundles';
import type { CostBreakdown, PerJobUsage } from './cost-model';

export interface TargetCheck {
  readonly figure: string;
  /** `≤ 6`, `≥ 200`. */
  readonly target: string;
  readonly measured: number;
  readonly unit: string;
  readonly pass: boolean;
  /** What the figure is read from (results.json path), or why it is missing. */
  readonly source: string;
}

/** Cost with one payload ÷ cost with another: the "8 KiB ÷ 200 B" (single submit). */
export function costRatio(numerator: CostBreakdown, denominator: CostBreakdown): number {
  return denominator.total > 0 ? numerator.total / denominator.total : Number.NaN;
}

/** What a webhook delivered first time adds to a job's write units: the webhook run's units − the plain run's. */
export function webhookExtraWriteUnits(withWebhook: PerJobUsage, without: PerJobUsage): number {
  return withWebhook.writeUnits - without.writeUnits;
}

/** The bytes a cold start loads: the entry chunk (`entryBytes`, lazy chunks apart) where the bundles report it, else the whole bundle. */
export function entryBytesOf(bundle: BundleResult): number {
  const withEntry = bundle as BundleResult & { readonly entryBytes?: number };
  return typeof withEntry.entryBytes === 'number' ? withEntry.entryBytes : bundle.bytes;
}

export interface TargetInputs {
  readonly single: { readonly perJob: PerJobUsage; readonly costPerMillion: CostBreakdown; readonly jobsPerSecond: number; readonly handlerCpuMsPerJob: number };
  readonly batch: { readonly costPerMillion: CostBreakdown; readonly jobsPerSecond: number };
  readonly single8KiB: { readonly costPerMillion: CostBreakdown };
  readonly singleWebhook: { readonly perJob: PerJobUsage };
  readonly hottestWritesPerSecondAt5kJobs: number;
  readonly bundles: readonly BundleResult[];
}

function atMost(figure: string, limit: number, measured: number, unit: string, source: string): TargetCheck {
  return { figure, target: `≤ ${limit}`, measured, unit, pass: Number.isFinite(measured) && measured <= limit, source };
}

function atLeast(figure: string, limit: number, measured: number, unit: string, source: string): TargetCheck {
  return { figure, target: `≥ ${limit}`, measured, unit, pass: Number.isFinite(measured) && measured >= limit, source };
}

export function checkTargets(r: TargetInputs): TargetCheck[] {
  const bundled = r.bundles.filter((b) => b.sdk === 'bundled');
  const largestEntry = bundled.length > 0 ? Math.max(...bundled.map(entryBytesOf)) / 1024 : Number.NaN;
  const slowestImport = bundled.length > 0 ? Math.max(...bundled.map((b) => b.importMedianMs)) : Number.NaN;
  return [
    atMost('write units per job (200 B echo, single; table + indexes + failed conditions)', 6, r.single.perJob.writeUnits, 'WRU', 'endToEnd.single.perJob.writeUnits'),
    atMost('extra write units, webhook delivered first time', 2, webhookExtraWriteUnits(r.singleWebhook.perJob, r.single.perJob), 'WRU', 'endToEnd.singleWebhook − endToEnd.single, perJob.writeUnits'),
    atMost('read units per job (single)', 0.5, r.single.perJob.readUnits, 'RRU', 'endToEnd.single.perJob.readUnits'),
    atMost('cost per million jobs, single submit', 9, r.single.costPerMillion.total, '$', 'endToEnd.single.costPerMillion.total'),
    atMost('cost per million jobs, batch submit', 5, r.batch.costPerMillion.total, '$', 'endToEnd.batch.costPerMillion.total'),
    atMost('cost 8 KiB payload ÷ cost 200 B (single)', 1.5, costRatio(r.single8KiB.costPerMillion, r.single.costPerMillion), '×', 'endToEnd.single8KiB ÷ endToEnd.single, costPerMillion.total'),
    atMost('log bytes per job, single (function + Lambda + access log)', 600, r.single.perJob.logBytes, 'B', 'endToEnd.single.perJob.logBytes'),
    atMost("handlers' own CPU per job (twin's DynamoDB, SQS and glue not counted)", 3, r.single.handlerCpuMsPerJob, 'ms', 'endToEnd.single.handlerCpuMsPerJob'),
    atMost('hottest partition key at 5,000 jobs/s from one tenant', 1000, r.hottestWritesPerSecondAt5kJobs, 'writes/s', 'partitions.hottestWritesPerSecondAt5kJobs'),
    atLeast('twin end to end, echo jobs/s (single submit)', 200, r.single.jobsPerSecond, 'jobs/s', 'endToEnd.single.jobsPerSecond'),
    atLeast('twin end to end, echo jobs/s (batch submit)', 200, r.batch.jobsPerSecond, 'jobs/s', 'endToEnd.batch.jobsPerSecond'),
    atMost('largest Lambda entry bundle, SDK bundled', 300, largestEntry, 'KB', 'bundles[].entryBytes (bytes where absent), sdk bundled'),
    atMost('slowest cold import, median, SDK bundled', 100, slowestImport, 'ms', 'bundles[].importMedianMs, sdk bundled'),
  ];
}
