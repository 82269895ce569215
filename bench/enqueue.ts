/**
 * Enqueue: how fast the API takes jobs, one per call (`POST /v1/jobs`) and a
 * hundred per call (`POST /v1/jobs/batch`), at a fixed number of calls in flight.
 *
 * The jobs are parked (`delaySeconds` PARKED_DELAY_SECONDS): the API does all it
 * does for any job (conditional put, SendMessage with a delay) but no worker
 * runs them while the bench lasts, so the worker does not compete here.
 */
import { performance } from 'node:perf_hooks';
import { benchJob, echoJob, runPool, type ApiClient, type JobShape, type TimedResponse } from './api-client';
import { PARKED_DELAY_SECONDS } from './bench-twin';
import { perSecond, summarize, type Summary } from './stats';

export const BATCH_SIZE = 100;

export interface EnqueueResult {
  readonly route: 'POST /v1/jobs' | 'POST /v1/jobs/batch';
  readonly calls: number;
  readonly jobs: number;
  readonly concurrency: number;
  readonly elapsedMs: number;
  readonly callsPerSecond: number;
  readonly jobsPerSecond: number;
  /** Latency of one call (ms). */
  readonly latencyMs: Summary;
  /** HTTP statuses seen (calls), and for the batch route the item statuses. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly delaySeconds: number;
}

/** How long one call takes with nothing else running: what the api Lambda's duration would be. */
export interface ApiDuration {
  readonly singleMs: Summary;
  readonly batchMs: Summary;
}

export async function measureSingleEnqueue(client: ApiClient, options: { jobs: number; concurrency: number }): Promise<EnqueueResult> {
  const started = performance.now();
  const responses = await runPool(options.jobs, options.concurrency, (i) => client.submitJob(echoJob(i, PARKED_DELAY_SECONDS)));
  const elapsedMs = performance.now() - started;
  return {
    route: 'POST /v1/jobs',
    calls: responses.length,
    jobs: responses.length,
    concurrency: options.concurrency,
    elapsedMs,
    callsPerSecond: perSecond(responses.length, elapsedMs),
    jobsPerSecond: perSecond(responses.length, elapsedMs),
    latencyMs: summarize(responses.map((r) => r.ms)),
    statuses: countStatuses(responses),
    delaySeconds: PARKED_DELAY_SECONDS,
  };
}

export async function measureBatchEnqueue(client: ApiClient, options: { jobs: number; concurrency: number }): Promise<EnqueueResult> {
  const calls = Math.max(1, Math.ceil(options.jobs / BATCH_SIZE));
  const started = performance.now();
  const responses = await runPool(calls, options.concurrency, (call) =>
    client.submitBatch(Array.from({ length: BATCH_SIZE }, (_, i) => echoJob(call * BATCH_SIZE + i, PARKED_DELAY_SECONDS))),
  );
  const elapsedMs = performance.now() - started;
  const statuses = countStatuses(responses);
  for (const response of responses) {
    for (const item of response.body?.items ?? []) statuses[`item ${item.status}`] = (statuses[`item ${item.status}`] ?? 0) + 1;
  }
  return {
    route: 'POST /v1/jobs/batch',
    calls,
    jobs: calls * BATCH_SIZE,
    concurrency: options.concurrency,
    elapsedMs,
    callsPerSecond: perSecond(calls, elapsedMs),
    jobsPerSecond: perSecond(calls * BATCH_SIZE, elapsedMs),
    latencyMs: summarize(responses.map((r) => r.ms)),
    statuses,
    delaySeconds: PARKED_DELAY_SECONDS,
  };
}

/** One call at a time: the closest the twin comes to one Lambda invocation's duration. */
export async function measureApiDuration(client: ApiClient, options: { singles: number; batches: number }): Promise<ApiDuration> {
  const singles = await runPool(options.singles, 1, (i) => client.submitJob(echoJob(i, PARKED_DELAY_SECONDS)));
  const batches = await runPool(options.batches, 1, (call) =>
    client.submitBatch(Array.from({ length: BATCH_SIZE }, (_, i) => echoJob(call * BATCH_SIZE + i, PARKED_DELAY_SECONDS))),
  );
  return { singleMs: summarize(singles.map((r) => r.ms)), batchMs: summarize(batches.map((r) => r.ms)) };
}

/** As `measureApiDuration`'s singles, for jobs of another shape (an 8 KiB payload, a webhook): parked as well. */
export async function measureSingleApiDuration(client: ApiClient, options: { calls: number; shape: JobShape }): Promise<Summary> {
  const calls = await runPool(options.calls, 1, (i) => client.submitJob({ ...benchJob(i, options.shape), delaySeconds: PARKED_DELAY_SECONDS }));
  return summarize(calls.map((r) => r.ms));
}

function countStatuses(responses: readonly TimedResponse<unknown>[]): Record<string, number> {
  const statuses: Record<string, number> = {};
  for (const r of responses) statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
  return statuses;
}
