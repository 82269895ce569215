/**
 * Metrics as CloudWatch EMF (SPEC §11), namespace `JobsService`; the names are
 * lambdas/resources.ts's, which the dashboard and alarms read too. Job metrics are
 * dimensioned by job type.
 *
 * One Powertools `Metrics` instance per process, buffered: a call here only adds to
 * a buffer, and the handler publishes it once when its invocation ends
 * ({@link publishMetrics}), one EMF line per dimension set (a worker batch of ten
 * echo jobs: two lines, not thirty). `singleMetric()` per call, as before, built a
 * `Console` each time (even with metrics disabled) and printed a line per metric.
 * Counts of one name and dimension set are summed within an invocation; durations
 * and ages keep every value (EMF's value arrays), so their percentiles are exact.
 *
 * Logs: a job's or request's keys ride along on each call ({@link withKeys})
 * instead of a `createChild()` logger per job, which also built a `Console` and
 * re-read the environment each time.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { AgeMetric, DurationMetric, JobCountMetric } from './resources';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

interface PendingSet {
  readonly dimensions: Readonly<Record<string, string>>;
  /** Metric name → its unit and values (a count's one value is the sum). */
  readonly values: Map<string, { unit: Unit; values: number[] }>;
}

/** What each Metrics instance holds until its invocation publishes, by dimension set. */
const pending = new WeakMap<Metrics, Map<string, PendingSet>>();

function record(metrics: Metrics, dimensions: Readonly<Record<string, string>>, name: string, unit: Unit, value: number, sum: boolean): void {
  let sets = pending.get(metrics);
  if (!sets) pending.set(metrics, (sets = new Map<string, PendingSet>()));
  const key = JSON.stringify(dimensions);
  let set = sets.get(key);
  if (!set) sets.set(key, (set = { dimensions, values: new Map() }));
  const metric = set.values.get(name);
  if (!metric) set.values.set(name, { unit, values: [value] });
  else if (sum) metric.values[0] += value;
  else metric.values.push(value);
}

export function countJobs(metrics: Metrics, name: JobCountMetric, jobType: string, count = 1): void {
  if (count <= 0) return;
  record(metrics, { jobType }, name, MetricUnit.Count, count, true);
}

export function recordDuration(metrics: Metrics, name: DurationMetric, jobType: string, ms: number): void {
  record(metrics, { jobType }, name, MetricUnit.Milliseconds, ms, false);
}

export function recordSeconds(metrics: Metrics, name: AgeMetric, seconds: number, dimensions: Record<string, string> = {}): void {
  record(metrics, dimensions, name, MetricUnit.Seconds, seconds, false);
}

/**
 * Writes what was recorded since the last publish: one EMF document per
 * dimension set. Handlers call it as their invocation ends (Lambda may freeze
 * the process after that). Synchronous, so documents never mix: on the twin,
 * where invocations overlap, whichever ends first publishes what all recorded.
 */
export function publishMetrics(metrics: Metrics): void {
  const sets = pending.get(metrics);
  if (!sets || sets.size === 0) return;
  pending.delete(metrics);
  for (const set of sets.values()) {
    for (const [name, value] of Object.entries(set.dimensions)) metrics.addDimension(name, value);
    for (const [name, metric] of set.values) for (const value of metric.values) metrics.addMetric(name, metric.unit, value);
    metrics.publishStoredMetrics();
  }
}

/** Runs one invocation of a handler and publishes its metrics as it ends, however it ends. */
export async function publishingMetrics<T>(metrics: Metrics, invocation: () => Promise<T>): Promise<T> {
  try {
    return await invocation();
  } finally {
    publishMetrics(metrics);
  }
}

/** The logging the service does: Powertools Logger's four levels (a Logger is one). */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * `log` with `keys` on every line (SPEC §11: a job's `jobId`, `tenantId`,
 * `type`, `attempt`), as a child logger would print them, for the cost of one
 * object: the keys go first, so a call's own fields win, as over a child's
 * persistent keys. Safe when jobs run concurrently on one logger (a batch, the twin).
 */
export function withKeys(log: Log, keys: Readonly<Record<string, unknown>>): Log {
  // Powertools merges any mix of objects, errors and strings at run time; its type admits an error or string only alone.
  const withKeysFirst = (extra: Extra) => [keys, ...extra] as unknown as Extra;
  return {
    debug: (input, ...extra) => log.debug(input, ...withKeysFirst(extra)),
    info: (input, ...extra) => log.info(input, ...withKeysFirst(extra)),
    warn: (input, ...extra) => log.warn(input, ...withKeysFirst(extra)),
    error: (input, ...extra) => log.error(input, ...withKeysFirst(extra)),
  };
}

type Extra = Parameters<Logger['info']> extends [unknown, ...infer Rest] ? Rest : never;

/**
 * What a log line may say of an unexpected error: its name and where it was
 * thrown, never its message, which may quote request or tenant data (SPEC §11).
 */
export function errorForLog(error: unknown): { errorName: string; frames: string | undefined } {
  const asError = error as Error | undefined;
  return { errorName: asError?.name ?? typeof error, frames: asError?.stack?.split('\n').slice(1, 8).join('\n') };
}
