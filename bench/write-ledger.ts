/**
 * The write trace of one bench run: every DynamoDB write with the item before
 * and after it, turned into
 *
 * - a write-unit ledger by transition (create, claim, finish, webhook
 *   delivered, other), the table and each index apart, failed conditions apart;
 * - write units per partition key (the table's `pk`, each index's partition
 *   key), scaled to one tenant submitting 5,000 jobs/s.
 *
 * A write is classified by what it changed, not by who made it or how the item
 * is laid out, so the ledger keeps working when items gain or lose attributes,
 * move the payload or the webhook event into items of their own, or indexes
 * change: the indexes come from lambdas/resources.ts (the caller passes them).
 * Pure: the usage meter (aws-usage.ts) feeds it.
 */
import { TABLE_KEYS, type IndexDefinition } from '../lambdas/resources';
import { indexEntryOf, indexWriteUnits, keyText, writeUnits, type DocumentItem, type IndexEntry } from './dynamodb-capacity';

export const TRANSITIONS = ['create', 'claim', 'finish', 'webhookDelivered', 'other'] as const;
export type Transition = (typeof TRANSITIONS)[number];

export const TRANSITION_LABELS: Readonly<Record<Transition, string>> = {
  create: 'create (no item before)',
  claim: 'claim (queued|retry → running)',
  finish: 'finish (running → terminal)',
  webhookDelivered: 'webhook delivered (pending → delivered)',
  other: 'other',
};

const OPEN_FOR_CLAIM = new Set(['queued', 'retry']);
const TERMINAL = new Set(['succeeded', 'fatal', 'canceled']);

/**
 * A webhook's delivery state on an item: the `webhook` the API shows (SPEC §3.6),
 * a flat `webhookStatus`, an event with no view (a fresh one's, left out), or —
 * for an item of its own — a `status` only webhook states use (no job status is
 * `pending` or `delivered`).
 */
export function webhookStateOf(item: DocumentItem | undefined): string | undefined {
  if (!item) return undefined;
  const view = item.webhook;
  if (view && typeof view === 'object' && typeof (view as { status?: unknown }).status === 'string') return (view as { status: string }).status;
  if (typeof item.webhookStatus === 'string') return item.webhookStatus;
  // A fresh event's view is left out of the job item (lambdas/store/job-item.ts): an event and no view is pending.
  if (item.webhookEvent && typeof item.webhookEvent === 'object') return 'pending';
  if (item.status === 'pending' || item.status === 'delivered') return item.status;
  return undefined;
}

function statusOf(item: DocumentItem | undefined): string | undefined {
  return typeof item?.status === 'string' ? item.status : undefined;
}

/** Which transition a write is, from the item before (undefined: none) and after (undefined: deleted). */
export function classifyWrite(before: DocumentItem | undefined, after: DocumentItem | undefined): Transition {
  if (!before) return after ? 'create' : 'other';
  if (!after) return 'other';
  const from = statusOf(before);
  const to = statusOf(after);
  if (from !== undefined && OPEN_FOR_CLAIM.has(from) && to === 'running') return 'claim';
  if (from === 'running' && to !== undefined && TERMINAL.has(to)) return 'finish';
  if (webhookStateOf(before) === 'pending' && webhookStateOf(after) === 'delivered') return 'webhookDelivered';
  return 'other';
}

/** What kind of item: its `entity`, else the sort key up to the first `#`. */
function kindOf(item: DocumentItem): string {
  if (typeof item.entity === 'string') return item.entity;
  const sk = item[TABLE_KEYS.sortKey.name];
  return typeof sk === 'string' ? (sk.split('#')[0] ?? sk) : '?';
}

/** A short description of a write for the ledger's detail: `job queued→running`, `payload created`, `job deleted`. */
export function describeWrite(before: DocumentItem | undefined, after: DocumentItem | undefined): string {
  const item = after ?? before;
  if (!item) return 'nothing';
  const kind = kindOf(item);
  if (!before) return `${kind} created`;
  if (!after) return `${kind} deleted`;
  const status = (x: DocumentItem) => statusOf(x) ?? '-';
  const webhook = (x: DocumentItem) => webhookStateOf(x);
  const parts = [`${status(before)}→${status(after)}`];
  if (webhook(before) !== webhook(after)) parts.push(`webhook ${webhook(before) ?? '-'}→${webhook(after) ?? '-'}`);
  return `${kind} ${parts.join(', ')}`;
}

/** Index write units of one write and where they land. */
export interface WriteAnalysis {
  /** By index name. */
  readonly indexUnits: Readonly<Record<string, number>>;
  /** Units by partition key (see `partitionName`), table and indexes. */
  readonly partitionUnits: ReadonlyArray<{ readonly partition: string; readonly units: number }>;
}

/** `table pk=…` or `<index> <attribute>=…`. */
export function partitionName(where: string, attribute: string, value: string): string {
  return `${where} ${attribute}=${value}`;
}

/**
 * What DynamoDB bills the indexes for a write from `before` to `after`, and the
 * partitions the table and index writes land on: a moved index entry deletes
 * on the old partition and puts on the new one.
 */
export function analyzeWrite(
  before: DocumentItem | undefined,
  after: DocumentItem | undefined,
  tableUnits: number,
  indexes: readonly IndexDefinition[],
): WriteAnalysis {
  const indexUnits: Record<string, number> = {};
  const partitionUnits: Array<{ partition: string; units: number }> = [];
  const pk = (after ?? before)?.[TABLE_KEYS.partitionKey.name];
  if (pk !== undefined && tableUnits > 0) partitionUnits.push({ partition: partitionName('table', TABLE_KEYS.partitionKey.name, keyText(pk)), units: tableUnits });
  for (const index of indexes) {
    const from = indexEntryOf(before, index);
    const to = indexEntryOf(after, index);
    const units = indexWriteUnits(from, to);
    indexUnits[index.indexName] = units;
    if (units === 0) continue;
    const at = (entry: IndexEntry) => partitionName(index.indexName, index.partitionKey.name, entry.partition);
    if (from && to && from.key === to.key) partitionUnits.push({ partition: at(to), units });
    else {
      if (from) partitionUnits.push({ partition: at(from), units: writeUnits(from.bytes) });
      if (to) partitionUnits.push({ partition: at(to), units: writeUnits(to.bytes) });
    }
  }
  return { indexUnits, partitionUnits };
}

export interface LedgerRow {
  writes: number;
  /** Table units as DynamoDB (dynalite) reported them. */
  tableUnits: number;
  /** Modelled, by index name. */
  indexUnits: Record<string, number>;
  /** Writes by `describeWrite`. */
  kinds: Record<string, number>;
}

export interface WriteLedger {
  readonly transitions: Record<Transition, LedgerRow>;
  /** Conditional writes that failed: billed the existing item's size (modelled), nothing on the indexes. */
  readonly failedConditions: { writes: number; units: number; byOperation: Record<string, number> };
  /** Writes the meter cannot see the items of (BatchWriteItem, TransactWriteItems): table units only. */
  readonly untracked: { writes: number; tableUnits: number; byOperation: Record<string, number> };
}

/** Write units and distinct jobs (table partitions) per partition key. */
export interface PartitionCount {
  units: number;
  readonly jobs: Set<string>;
}

export interface HottestPartition {
  /** `table pk=…` or `<index> <attribute>=…`. */
  readonly key: string;
  /** `table` or the index name. */
  readonly where: string;
  readonly unitsInRun: number;
  /** Distinct jobs (table partitions) whose writes landed there. */
  readonly jobsInRun: number;
  readonly writesPerSecondAt5kJobs: number;
}

/** The load: one tenant submitting 5,000 jobs/s (by batch: 50 calls/s × 100). */
export const TENANT_JOBS_PER_SECOND = 5000;

/**
 * Write units/s on a partition key when one tenant submits `jobsPerSecond`,
 * from a run of `jobsInRun` jobs that put `count.units` on it. A key shared by
 * many of the run's jobs (a tenant's index partition, an index shard) takes the
 * same share of the jobs at any rate: units / jobs × rate. A key only one job
 * wrote (the job's own item partition) does not take more jobs as the rate grows:
 * at most that job's units, all within one second.
 */
export function writesPerSecondAt(jobsPerSecond: number, jobsInRun: number, count: { readonly units: number; readonly jobs: number }): number {
  if (jobsInRun <= 0) return 0;
  const scaled = (count.units / jobsInRun) * jobsPerSecond;
  return count.jobs <= 1 ? Math.min(scaled, count.units) : scaled;
}

/** The partition keys that take the most writes at `jobsPerSecond`, hottest first. */
export function hottestPartitions(
  counts: ReadonlyMap<string, PartitionCount>,
  jobsInRun: number,
  jobsPerSecond = TENANT_JOBS_PER_SECOND,
  top = 5,
): HottestPartition[] {
  return [...counts.entries()]
    .map(([key, count]) => ({
      key,
      where: key.split(' ')[0] ?? key,
      unitsInRun: count.units,
      jobsInRun: count.jobs.size,
      writesPerSecondAt5kJobs: writesPerSecondAt(jobsPerSecond, jobsInRun, { units: count.units, jobs: count.jobs.size }),
    }))
    .sort((a, b) => b.writesPerSecondAt5kJobs - a.writesPerSecondAt5kJobs || a.key.localeCompare(b.key))
    .slice(0, top);
}

/** Collects the ledger and the partition counts of the writes recorded between start and stop. */
export class WriteTrace {
  readonly ledger: WriteLedger = emptyLedger();
  readonly partitions = new Map<string, PartitionCount>();
  /**
   * Jobs (by partition key) a write of the trace made terminal, whatever the
   * item before looked like: the meter sees writes in the order their answers
   * come back, so a sent-first job's claim can come before its create's put
   * (the ledger then shows `running→queued` and `queued→succeeded`).
   */
  readonly finishedJobs = new Set<string>();

  constructor(private readonly indexes: readonly IndexDefinition[]) {}

  /** A write the meter saw the item of; returns its analysis (the meter sums the index units). */
  recordWrite(before: DocumentItem | undefined, after: DocumentItem | undefined, tableUnits: number, analysis?: WriteAnalysis): WriteAnalysis {
    const result = analysis ?? analyzeWrite(before, after, tableUnits, this.indexes);
    const row = this.ledger.transitions[classifyWrite(before, after)];
    row.writes++;
    row.tableUnits += tableUnits;
    for (const [index, units] of Object.entries(result.indexUnits)) row.indexUnits[index] = (row.indexUnits[index] ?? 0) + units;
    const kind = describeWrite(before, after);
    row.kinds[kind] = (row.kinds[kind] ?? 0) + 1;
    const job = keyText((after ?? before)?.[TABLE_KEYS.partitionKey.name]);
    const status = statusOf(after);
    if (status !== undefined && TERMINAL.has(status)) this.finishedJobs.add(job);
    for (const { partition, units } of result.partitionUnits) this.count(partition, units, job);
    return result;
  }

  /** A conditional write that failed on the item with partition key `pk`. */
  recordFailedCondition(operation: string, pk: string | undefined, units: number): void {
    const failed = this.ledger.failedConditions;
    failed.writes++;
    failed.units += units;
    failed.byOperation[operation] = (failed.byOperation[operation] ?? 0) + 1;
    if (pk !== undefined) this.count(partitionName('table', TABLE_KEYS.partitionKey.name, pk), units, pk);
  }

  recordUntracked(operation: string, tableUnits: number): void {
    const untracked = this.ledger.untracked;
    untracked.writes++;
    untracked.tableUnits += tableUnits;
    untracked.byOperation[operation] = (untracked.byOperation[operation] ?? 0) + 1;
  }

  private count(partition: string, units: number, job: string): void {
    let count = this.partitions.get(partition);
    if (!count) this.partitions.set(partition, (count = { units: 0, jobs: new Set() }));
    count.units += units;
    count.jobs.add(job);
  }
}

export function emptyLedger(): WriteLedger {
  const transitions = {} as Record<Transition, LedgerRow>;
  for (const t of TRANSITIONS) transitions[t] = { writes: 0, tableUnits: 0, indexUnits: {}, kinds: {} };
  return { transitions, failedConditions: { writes: 0, units: 0, byOperation: {} }, untracked: { writes: 0, tableUnits: 0, byOperation: {} } };
}

/** The ledger per job: every count divided by `jobs`; the JSON form results.json keeps. */
export function ledgerPerJob(ledger: WriteLedger, jobs: number): WriteLedger {
  const per = (n: number) => (jobs > 0 ? n / jobs : 0);
  const perRecord = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, per(v)]));
  const transitions = {} as Record<Transition, LedgerRow>;
  for (const t of TRANSITIONS) {
    const row = ledger.transitions[t];
    transitions[t] = { writes: per(row.writes), tableUnits: per(row.tableUnits), indexUnits: perRecord(row.indexUnits), kinds: perRecord(row.kinds) };
  }
  const f = ledger.failedConditions;
  const u = ledger.untracked;
  return {
    transitions,
    failedConditions: { writes: per(f.writes), units: per(f.units), byOperation: perRecord(f.byOperation) },
    untracked: { writes: per(u.writes), tableUnits: per(u.tableUnits), byOperation: perRecord(u.byOperation) },
  };
}

/** All write units of a ledger: table + every index + failed conditions + untracked. */
export function ledgerTotal(ledger: WriteLedger): number {
  let total = ledger.failedConditions.units + ledger.untracked.tableUnits;
  for (const t of TRANSITIONS) {
    const row = ledger.transitions[t];
    total += row.tableUnits + Object.values(row.indexUnits).reduce((sum, n) => sum + n, 0);
  }
  return total;
}
