/** The bench's printed report: plain aligned tables, one section per part of SPEC §14. */
import { isBackground, type UsageCounters } from './aws-usage';
import type { BundleResult } from './bundles';
import { FUNCTION_MEMORY_MB } from '../lambdas/resources';
import {
  API_ACCESS_LOG_BYTES_PER_REQUEST,
  LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION,
  PRICES,
  PRICES_AS_OF,
  type CostBreakdown,
} from './cost-model';
import type { EndToEndResult, IdleLatencyResult } from './end-to-end';
import type { ApiDuration, EnqueueResult } from './enqueue';
import type { FairnessResult } from './fairness';
import type { HandlerCpuResult } from './handler-cpu';
import { TABLE_INDEXES } from '../lambdas/resources';
import type { TargetCheck } from './targets';
import { ledgerTotal, TENANT_JOBS_PER_SECOND, TRANSITION_LABELS, TRANSITIONS, type HottestPartition, type WriteLedger } from './write-ledger';

export interface BenchResults {
  readonly startedAt: string;
  readonly scale: number;
  readonly environment: {
    readonly node: string;
    readonly cpus: number;
    readonly platform: string;
    /** 1-minute load average at start and end: other work on the machine skews every number here. */
    readonly loadAverage: { readonly start: number; readonly end: number };
    readonly twin: Readonly<Record<string, string>>;
  };
  readonly enqueue: { readonly single: EnqueueResult; readonly batch: EnqueueResult; readonly apiDuration: ApiDuration };
  readonly endToEnd: {
    readonly idle: IdleLatencyResult;
    /** 200 B echo jobs, one per POST /v1/jobs; with the handlers' CPU from a run of its own (handler-cpu.ts). */
    readonly single: EndToEndResult & { readonly handlerCpuMsPerJob: number; readonly handlerCpu: HandlerCpuResult & { readonly runsMsPerJob?: readonly number[] } };
    /** The same with an 8 KiB payload (payloads.ts). */
    readonly single8KiB: EndToEndResult;
    /** The same (200 B) with a webhook to a local receiver; ends when every webhook is delivered. */
    readonly singleWebhook: EndToEndResult;
    readonly batch: EndToEndResult;
  };
  /** The hottest partition key (table or index) at 5,000 jobs/s from one tenant, from the batch run's write trace. */
  readonly partitions: {
    readonly hottestWritesPerSecondAt5kJobs: number;
    readonly hottestKey: HottestPartition | null;
    readonly run: 'batch';
    readonly jobsPerSecond: number;
    readonly method: string;
  };
  /** Issue 11's targets beside the measured figures. */
  readonly targets: readonly TargetCheck[];
  readonly scheduler: {
    readonly runs: number;
    readonly readUnitsPerRun: number;
    readonly msPerRun: number;
    readonly dollarsPerMonth: number;
    /** The open-bucket scan's share (lambdas/scheduler/recover-lost-creates.ts), per run and tenant; dollars for 100 tenants at one run a minute. */
    readonly openScan: {
      readonly tenants: number;
      readonly runs: number;
      /** Tenants scanned, summed over the runs (shard Queries ÷ 16). */
      readonly tenantScans: number;
      readonly readUnitsPerRunPerTenant: number;
      readonly writeUnitsPerRunPerTenant: number;
      /** DynamoDB only. */
      readonly dollarsPerMonthFor100Tenants: number;
      /** Read units of its read-through over the whole bench (jobs still open STALE_AFTER_SECONDS after their create: the parked ones). */
      readonly readThroughReadUnits: number;
    };
  };
  readonly twinTtlSweep: { readonly scans: number; readonly ms: number };
  readonly fairness: FairnessResult;
  readonly bundles: readonly BundleResult[];
  readonly prices: typeof PRICES;
  readonly pricesAsOf: string;
  readonly durationSeconds: number;
}

/** Units whose figures are small enough to need decimals. */
const TWO_DECIMALS = new Set(['×', 'WRU', 'RRU', 'ms', '$']);

export function renderReport(r: BenchResults): string {
  const out: string[] = [];
  const { single: es, batch: eb, apiDuration } = r.enqueue;
  out.push(
    `Jobs Service bench — scale ${r.scale}, Node ${r.environment.node}, ${r.environment.cpus} CPUs, ${r.startedAt}, ${r.durationSeconds.toFixed(0)} s, ` +
      `load average ${r.environment.loadAverage.start.toFixed(1)} → ${r.environment.loadAverage.end.toFixed(1)}`,
    'Local twin in memory, one process (dynalite + SQS endpoint + API + pollers + this load generator); logs at INFO, metrics off.',
    '',
  );
  const passed = r.targets.filter((t) => t.pass).length;
  out.push(
    `ISSUE 11 TARGETS — ${passed} of ${r.targets.length} met (figures on this machine, under the load average above; each section below has the detail)`,
    table(
      ['figure', 'target', 'measured', '', 'read from (results.json)'],
      r.targets.map((t) => [t.figure, `${t.target} ${t.unit}`, fixed(t.measured, TWO_DECIMALS.has(t.unit) ? 2 : 0), t.pass ? 'pass' : 'FAIL', t.source]),
    ),
    '',
  );
  out.push(
    `ENQUEUE — jobs parked with delaySeconds ${es.delaySeconds}: the API does its conditional put and SendMessage; no worker runs them during the bench`,
  );
  if (eb.concurrency !== es.concurrency) {
    out.push(`(batch route: ${eb.concurrency} calls in flight = ${eb.concurrency * 100} jobs; ${es.concurrency} would put every call in flight at once)`);
  }
  out.push(
    table(
      ['route', 'calls', 'jobs', 'in flight', 'calls/s', 'jobs/s', 'p50 ms', 'p99 ms', 'statuses'],
      [es, eb].map((e) => [
        e.route,
        int(e.calls),
        int(e.jobs),
        int(e.concurrency),
        fixed(e.callsPerSecond, 0),
        fixed(e.jobsPerSecond, 0),
        fixed(e.latencyMs.p50, 1),
        fixed(e.latencyMs.p99, 1),
        Object.entries(e.statuses).map(([s, n]) => `${s}×${n}`).join(' '),
      ]),
    ),
    `one call alone (no concurrency; priced as the api Lambda's duration): POST /v1/jobs mean ${fixed(apiDuration.singleMs.mean, 1)} ms, ` +
      `POST /v1/jobs/batch (100) mean ${fixed(apiDuration.batchMs.mean, 1)} ms`,
    '',
  );

  const { idle, single: s, single8KiB: l, singleWebhook: w, batch: b } = r.endToEnd;
  const runs: ReadonlyArray<readonly [string, EndToEndResult]> = [
    ['single', s],
    ['single 8 KiB', l],
    ['single webhook', w],
    ['batch', b],
  ];
  const runName = (e: EndToEndResult) =>
    e === l ? 'POST /v1/jobs, 8 KiB payload, burst' : e === w ? 'POST /v1/jobs, with webhook, burst' : e.submission === 'single' ? 'POST /v1/jobs, burst' : 'POST /v1/jobs/batch, burst';
  out.push('END TO END — echo jobs, submit → succeeded, each job timed by its own createdAt → finishedAt');
  out.push(
    table(
      ['submission', 'jobs', 'succeeded', 'submit in flight', 'submit s', 'jobs/s', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['POST /v1/jobs, one job at a time', int(idle.jobs), int(idle.succeeded), '1', '-', '-', fixed(idle.latencyMs.p50, 0), fixed(idle.latencyMs.p99, 0), fixed(idle.latencyMs.max, 0)],
        ...runs.map(([, e]) => [
          runName(e),
          int(e.jobs),
          int(e.succeeded),
          int(e.submitConcurrency),
          fixed(e.submitMs / 1000, 1),
          fixed(e.jobsPerSecond, 0),
          fixed(e.latencyMs.p50, 0),
          fixed(e.latencyMs.p99, 0),
          fixed(e.latencyMs.max, 0),
        ]),
      ],
    ),
    'burst: every job submitted as fast as the API takes them; their latency is mostly the wait behind the backlog, jobs/s is the worker\'s pace.',
    `payloads: ${payloadLine(s)}; 8 KiB: ${payloadLine(l)} — JSON order lines (records with the same keys, varied SKUs, names, prices, dates), ` +
      'not one repeated character, so a service that compresses payloads gets no free ride.',
    w.webhooks
      ? `webhook run: ${int(w.webhooks.delivered)} events delivered to a local HTTP receiver (Standard Webhooks signature checked), ` +
          `${int(w.webhooks.requests)} POSTs, ${int(w.webhooks.refused)} refused; the run ends when every event arrived and its delivery was written.`
      : '',
    '',
  );

  out.push('AWS REQUESTS PER JOB — measured over each end-to-end run (first submit → every finish written, every message deleted, queues idle)');
  const usageRow = (label: string, pick: (e: EndToEndResult) => string) => [label, ...runs.map(([, e]) => pick(e))];
  const dynamo = (e: EndToEndResult, field: 'readUnits' | 'writeUnits' | 'indexWriteUnits' | 'failedWriteUnits' | 'calls') =>
    fixed(sumDynamo(e.usage, field) / e.jobs, 2);
  const all = runs.map(([, e]) => e);
  out.push(
    table(
      ['per job', ...runs.map(([name]) => name)],
      [
        usageRow('DynamoDB calls', (e) => dynamo(e, 'calls')),
        ...dynamoOperations(all).map((label) => usageRow(`  ${label}`, (e) => fixed((e.usage.dynamodb[label]?.calls ?? 0) / e.jobs, 3))),
        usageRow('DynamoDB RRU (ReturnConsumedCapacity)', (e) => dynamo(e, 'readUnits')),
        usageRow('DynamoDB WRU, table (ReturnConsumedCapacity)', (e) => dynamo(e, 'writeUnits')),
        usageRow('DynamoDB WRU, GSIs (modelled: dynalite omits)', (e) => dynamo(e, 'indexWriteUnits')),
        usageRow('DynamoDB WRU, failed conditions (modelled)', (e) => dynamo(e, 'failedWriteUnits')),
        usageRow('SQS requests (billed, 64 KiB chunks)', (e) => fixed(e.perJob.sqsRequests, 2)),
        ...sqsOperations(all).map((label) => usageRow(`  ${label}`, (e) => fixed((e.usage.sqs[label]?.requests ?? 0) / e.jobs, 3))),
        usageRow('Lambda invocations: api', (e) => fixed(e.perJob.invocations.api, 3)),
        usageRow('Lambda invocations: worker (batches)', (e) => fixed(e.perJob.invocations.worker, 3)),
        usageRow('Lambda invocations: webhook', (e) => fixed(e.perJob.invocations.webhook, 3)),
        usageRow('worker batch duration, mean ms (twin)', (e) => fixed(e.usage.batchMs.worker / Math.max(1, e.usage.timedBatches.worker), 1)),
        usageRow('api call duration, ms (one call alone)', (e) => fixed(e.apiDurationMs, 1)),
        usageRow('Lambda GB-s', (e) => e.perJob.gbSeconds.toExponential(2)),
        usageRow('log bytes: function lines (measured)', (e) => fixed(e.usage.logBytes / e.jobs, 0)),
        usageRow('log bytes: + Lambda platform + API access (est.)', (e) => fixed(e.perJob.logBytes, 0)),
      ],
    ),
    'api call duration: one POST /v1/jobs alone with that run\'s job shape (parked), the api Lambda\'s duration in the cost.',
    '',
  );

  out.push('WRITE-UNIT LEDGER PER JOB — every write of the run classified by what it changed (item before → after), table and each index apart');
  for (const [name, e] of runs) out.push(`${name}:`, ledgerTable(e.ledger), '');
  out.push(
    'create: no item before; claim: status queued|retry → running; finish: running → succeeded|fatal|canceled; ' +
      'webhook delivered: webhook state pending → delivered; other: anything else (detail: item kind and status change). ' +
      'Table units as dynalite reports them (the larger of the item before and after, per KB); index units modelled from the ' +
      'index definitions in lambdas/resources.ts (put, delete, key change = delete + put, projected change = update).',
    '',
  );

  const p = r.partitions;
  out.push(
    `PARTITIONS — write units per partition key (table pk, each index's partition key) in the batch run's write trace, scaled to one tenant submitting ${int(TENANT_JOBS_PER_SECOND)} jobs/s`,
  );
  const partitionRows = (e: EndToEndResult, name: string) =>
    e.partitions.hottest.map((h) => [name, h.key, int(h.unitsInRun), int(h.jobsInRun), fixed(h.writesPerSecondAt5kJobs, 0)]);
  out.push(
    table(['run', 'partition key', 'WRU in run', 'jobs on it', `writes/s at ${int(TENANT_JOBS_PER_SECOND)} jobs/s`], [...partitionRows(b, 'batch'), ...partitionRows(s, 'single')]),
    p.method,
    '',
  );

  const cpu = s.handlerCpu;
  out.push("HANDLERS' OWN CPU — a run of its own: the twin in a child process on DynamoDB and SQS endpoints in the bench's process");
  out.push(
    table(
      ['', 'ms', 'ms per job'],
      [
        [`twin process CPU over the run (${int(cpu.jobs)} jobs, ${int(cpu.succeeded)} succeeded, ${fixed(cpu.runMs / 1000, 1)} s)`, fixed(cpu.processMs, 0), fixed(cpu.processCpuMsPerJob, 2)],
        ['− background (idle rate × run time: scheduler, TTL sweep, empty polls)', fixed(cpu.glueMs.background, 0), fixed(cpu.glueMs.background / cpu.jobs, 2)],
        ['− twin API gateway (canned answer, per call)', fixed(cpu.glueMs.gateway, 0), fixed(cpu.glueMs.gateway / cpu.jobs, 2)],
        [`− twin SQS poller (no-op handler, per batch × ${int(cpu.workerBatches)} worker batches)`, fixed(cpu.glueMs.poller, 0), fixed(cpu.glueMs.poller / cpu.jobs, 2)],
        ['= handlers (api, worker, scheduler) with their SDK client side and log lines', fixed(cpu.handlerCpuMsPerJob * cpu.jobs, 0), fixed(cpu.handlerCpuMsPerJob, 2)],
      ],
    ),
    `the median of ${cpu.runsMsPerJob?.length ?? 1} runs (ms per job: ${(cpu.runsMsPerJob ?? [cpu.handlerCpuMsPerJob]).map((ms) => fixed(ms, 2)).join(', ')}); the table is that run.`,
    `SDK calls per job over the run: ${Object.entries(cpu.sdkCallsPerJob ?? {})
      .map(([name, perJob]) => `${name} ${fixed(perJob, 2)}`)
      .join(', ')}.`,
    `method: ${cpu.method}.`,
    '',
  );

  out.push(`COST PER MILLION JOBS (USD) — us-east-1 list prices ${PRICES_AS_OF}`);
  const costRow = (label: string, pick: (c: CostBreakdown) => number) => [label, ...runs.map(([, e]) => money(pick(e.costPerMillion)))];
  out.push(
    table(
      ['service', ...runs.map(([name]) => name)],
      [
        costRow(`DynamoDB ($${PRICES.dynamodbPerMillionWriteUnits}/M WRU, $${PRICES.dynamodbPerMillionReadUnits}/M RRU)`, (c) => c.dynamodb),
        costRow(`SQS ($${PRICES.sqsPerMillionRequests}/M requests)`, (c) => c.sqs),
        costRow(`Lambda arm64 ($${PRICES.lambdaArmPerGbSecond}/GB-s, $${PRICES.lambdaPerMillionRequests}/M)`, (c) => c.lambda),
        costRow(`API Gateway REST ($${PRICES.apiGatewayRestPerMillion}/M)`, (c) => c.apiGateway),
        costRow(`CloudWatch Logs ($${PRICES.cloudWatchLogsPerGbIngested}/GB)`, (c) => c.logs),
        costRow('total', (c) => c.total),
      ],
    ),
    `Lambda memory as lib/ sets it: api ${FUNCTION_MEMORY_MB.api} MB, worker ${FUNCTION_MEMORY_MB.worker} MB, webhook ${FUNCTION_MEMORY_MB.webhook} MB; ` +
      `durations measured on the twin (above). Logs add ${LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION} B per invocation (Lambda's own lines) and ` +
      `${API_ACCESS_LOG_BYTES_PER_REQUEST} B per API call (access log), estimated.`,
    `Not per job: the scheduler's idle sweep, ${fixed(r.scheduler.readUnitsPerRun, 1)} RRU per run → $${r.scheduler.dollarsPerMonth.toFixed(3)} a month at one run a minute; ` +
      'idle SQS long polls of the event source mappings; storage.',
    `Not per job either: its open-bucket scan (lost creates), per run and tenant ` +
      `${fixed(r.scheduler.openScan.readUnitsPerRunPerTenant, 2)} RRU + ${fixed(r.scheduler.openScan.writeUnitsPerRunPerTenant, 3)} WRU ` +
      `(${r.scheduler.openScan.runs} runs, ${fixed(r.scheduler.openScan.tenantScans, 0)} tenant scans, ${r.scheduler.openScan.tenants} tenants at the end) → DynamoDB $${r.scheduler.openScan.dollarsPerMonthFor100Tenants.toFixed(2)} ` +
      'a month for 100 tenants at one run a minute; its read-through of jobs still open ' +
      `STALE_AFTER_SECONDS after their create (here the parked ones): ${fixed(r.scheduler.openScan.readThroughReadUnits, 1)} RRU in the whole bench.`,
    '',
  );

  const f = r.fairness;
  out.push(`FAIRNESS — noisy tenant submits ${f.noisy.jobs} jobs (batch route), then a quiet tenant submits ${f.quiet.jobs} (one by one)`);
  out.push(
    table(
      ['tenant', 'jobs', 'attempts read', 'submit→start p50 ms', 'p99 ms', 'max ms'],
      [
        ['quiet', int(f.quiet.jobs), int(f.quiet.sampled), fixed(f.quiet.submitToStartMs.p50, 0), fixed(f.quiet.submitToStartMs.p99, 0), fixed(f.quiet.submitToStartMs.max, 0)],
        ['noisy', int(f.noisy.jobs), int(f.noisy.sampled), fixed(f.noisy.submitToStartMs.p50, 0), fixed(f.noisy.submitToStartMs.p99, 0), fixed(f.noisy.submitToStartMs.max, 0)],
      ],
    ),
    `noisy jobs still waiting when the first quiet job arrived: ${int(f.noisyBacklogAtQuietSubmit)}; ` +
      `in FIFO order the last quiet job would have waited ≈ ${fixed(f.fifoWaitEstimateMs, 0)} ms; backlog drained in ${fixed(f.drainMs / 1000, 1)} s`,
    '',
  );

  out.push('BUNDLES — esbuild as lib/lambda-bundle.ts (split ESM, minified, source maps beside it, node24); cold import in a fresh node, median');
  const entries = [...new Set(r.bundles.map((x) => x.entry))];
  out.push(
    table(
      ['entry', 'SDK', 'entry KB', 'all KB', 'lazy chunks', `Node ${r.environment.node}: ms`, 'cpu ms', 'Node 24: ms', 'cpu ms', '+source maps: ms'],
      entries.flatMap((entry) =>
        (['bundled', 'external'] as const).flatMap((sdk) => {
          const x = r.bundles.find((b) => b.entry === entry && b.sdk === sdk);
          if (!x) return [];
          return [
            [
              entry,
              sdk,
              fixed(x.entryBytes / 1024, 0),
              fixed(x.bytes / 1024, 0),
              int(x.lazyChunks.length),
              fixed(x.importMedianMs, 0),
              fixed(x.importCpuMedianMs, 0),
              fixed(x.node24.importMedianMs, 0),
              fixed(x.node24.importCpuMedianMs, 0),
              x.withSourceMaps ? fixed(x.withSourceMaps.importMedianMs, 0) : '-',
            ],
          ];
        }),
      ),
    ),
    'entry KB: what a cold start loads (index.mjs and the chunks it imports statically); all KB: every chunk shipped. ' +
      'No NODE_OPTIONS, as the stack sets none; "+source maps": the same with --enable-source-maps.',
    ...r.bundles
      .filter((x) => x.sdk === 'bundled')
      .map((x) => `lazy chunks of ${x.entry}: ${x.lazyChunks.map((c) => `${c.holds} ${fixed(c.bytes / 1024, 0)} KB`).join(', ')}`),
  );
  return `${out.join('\n')}\n`;
}

function payloadLine(e: EndToEndResult): string {
  return `${int(e.payload.bytes)} B JSON (node:zlib deflate ${int(e.payload.deflatedBytes)} B, ${fixed(e.payload.bytes / Math.max(1, e.payload.deflatedBytes), 1)}× smaller)`;
}

/** One run's ledger: a row per transition, then failed conditions and untracked writes; per job. */
function ledgerTable(ledger: WriteLedger): string {
  const indexes = TABLE_INDEXES.map((i) => i.indexName);
  const rows: string[][] = [];
  for (const t of TRANSITIONS) {
    const row = ledger.transitions[t];
    const indexUnits = indexes.map((name) => row.indexUnits[name] ?? 0);
    const total = row.tableUnits + indexUnits.reduce((sum, n) => sum + n, 0);
    rows.push([TRANSITION_LABELS[t], fixed(row.writes, 2), fixed(row.tableUnits, 2), ...indexUnits.map((n) => fixed(n, 2)), fixed(total, 2)]);
    const kinds = Object.entries(row.kinds).filter(([, n]) => n >= 0.005).sort((a, b) => b[1] - a[1]);
    for (const [kind, n] of kinds.slice(0, 6)) rows.push([`    ${kind}`, fixed(n, 2), '', ...indexes.map(() => ''), '']);
  }
  const f = ledger.failedConditions;
  rows.push([`failed conditions (${Object.keys(f.byOperation).join(', ') || 'none'})`, fixed(f.writes, 2), fixed(f.units, 2), ...indexes.map(() => '0.00'), fixed(f.units, 2)]);
  if (ledger.untracked.writes > 0) {
    const u = ledger.untracked;
    rows.push([`untracked (${Object.keys(u.byOperation).join(', ')}: indexes unknown)`, fixed(u.writes, 2), fixed(u.tableUnits, 2), ...indexes.map(() => '?'), fixed(u.tableUnits, 2)]);
  }
  rows.push(['total', '', '', ...indexes.map(() => ''), fixed(ledgerTotal(ledger), 2)]);
  return table(['transition', 'writes', 'table WRU', ...indexes.map((name) => `${name} WRU`), 'WRU'], rows);
}

function sumDynamo(usage: UsageCounters, field: 'readUnits' | 'writeUnits' | 'indexWriteUnits' | 'failedWriteUnits' | 'calls'): number {
  return Object.entries(usage.dynamodb)
    .filter(([label]) => !isBackground(label))
    .reduce((sum, [, d]) => sum + d[field], 0);
}

function dynamoOperations(runs: readonly EndToEndResult[]): string[] {
  const labels = new Set<string>();
  for (const run of runs) {
    for (const [label, usage] of Object.entries(run.usage.dynamodb)) if (!isBackground(label) && usage.calls > 0) labels.add(label);
  }
  return [...labels].sort();
}

function sqsOperations(runs: readonly EndToEndResult[]): string[] {
  const labels = new Set<string>();
  for (const run of runs) {
    for (const [label, usage] of Object.entries(run.usage.sqs)) if (!isBackground(label) && usage.requests > 0) labels.add(label);
  }
  return [...labels].sort();
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const numeric = (cell: string) => /^[-$]?[\d.,]+(e[-+]\d+)?$/.test(cell) || cell === '-';
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i > 0 && numeric(cell) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function money(n: number): string {
  return `$${n.toFixed(2)}`;
}
