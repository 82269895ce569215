/**
 * End to end: `echo` jobs from submit to `succeeded`, through the API, the jobs
 * queue and the worker, for one submission style at a time. Each job's time is
 * its own `finishedAt − createdAt` (from the API's list); throughput is jobs
 * over first `createdAt` → last `finishedAt`.
 *
 * The same run is the usage window for "AWS requests per job": the meter's
 * counters from the first submit until every job's finish is written and its
 * messages are deleted (and, with webhooks, every event delivered), per job;
 * and the window of its write trace: the ledger by transition, the partitions.
 * Shapes: a 200 B payload, an 8 KiB one, a webhook each (payloads.ts).
 */
import { performance } from 'node:perf_hooks';
import { benchJob, echoJob, runPool, type ApiClient, type JobShape, type JobView } from './api-client';
import { messagesDeleted, perJobUsage, usageBetween, type UsageCounters, type UsageMeter } from './aws-usage';
import { costPerMillionJobs, type CostBreakdown, type PerJobUsage } from './cost-model';
import { BATCH_SIZE } from './enqueue';
import { largePayload, payloadFacts, smallPayload } from './payloads';
import { perSecond, summarize, type Summary } from './stats';
import type { WebhookReceiver } from './webhook-receiver';
import { hottestPartitions, ledgerPerJob, type HottestPartition, type WriteLedger } from './write-ledger';

export type Submission = 'single' | 'batch';

export interface EndToEndResult {
  readonly submission: Submission;
  readonly jobs: number;
  readonly succeeded: number;
  readonly submitConcurrency: number;
  /** Time to submit them all. */
  readonly submitMs: number;
  /** First createdAt → last finishedAt. */
  readonly elapsedMs: number;
  readonly jobsPerSecond: number;
  /** finishedAt − createdAt per job (ms). */
  readonly latencyMs: Summary;
  readonly usage: UsageCounters;
  readonly perJob: PerJobUsage;
  /** Dollars per million jobs. */
  readonly costPerMillion: CostBreakdown;
  /** The api Lambda duration the cost assumes (ms, one call alone). */
  readonly apiDurationMs: number;
  /** The payload of job 0 (every job's is alike): JSON bytes, and deflated by node:zlib (how compressible it is). */
  readonly payload: { readonly kind: JobShape['payload']; readonly bytes: number; readonly deflatedBytes: number };
  /** Write units per job by transition, table and each index apart (from the write trace of the run). */
  readonly ledger: WriteLedger;
  /** The partition keys that took the most writes, scaled to this tenant submitting 5,000 jobs/s. */
  readonly partitions: { readonly hottest: readonly HottestPartition[] };
  /** The webhook run only: what the receiver saw. */
  readonly webhooks?: { readonly delivered: number; readonly refused: number; readonly requests: number };
}

export interface EndToEndOptions {
  readonly jobs: number;
  readonly submission: Submission;
  readonly concurrency: number;
  /** Duration of one api call with nothing else running (ms): priced as the api Lambda's duration. */
  readonly apiDurationMs: number;
  readonly timeoutMs: number;
  /** @default { payload: 'small' } */
  readonly shape?: JobShape;
  /** The receiver `shape.webhookUrl` points at: the run also waits for every job's webhook. */
  readonly receiver?: WebhookReceiver;
  /** True when the queue holds no visible or in-flight message (parked, delayed ones aside): asked without the meter. */
  readonly queueIdle: (queue: 'jobs' | 'webhooks') => Promise<boolean>;
}

export async function measureEndToEnd(client: ApiClient, meter: UsageMeter, options: EndToEndOptions): Promise<EndToEndResult> {
  const shape = options.shape ?? { payload: 'small' };
  const before = meter.snapshot();
  const trace = meter.startTrace();
  const requestsBefore = client.requests;
  const submitStarted = performance.now();
  await submit(client, options, shape);
  const submitMs = performance.now() - submitStarted;
  const apiRequests = client.requests - requestsBefore;

  // The window ends when every job's finish is written, every message of the jobs queue handled and deleted (a
  // message the worker sent again, e.g. one that came before its job's put, included), and nothing is in flight.
  // With webhooks, also when every event arrived and its delivery was written (seen as the delivered write, or as
  // the webhook message deleted after it) and the webhooks queue is idle too.
  const { receiver } = options;
  const finishedAll = async () => {
    const usage = usageBetween(before, meter.snapshot());
    if (trace.finishedJobs.size < options.jobs || messagesDeleted(usage, 'jobs') < options.jobs) return false;
    if (receiver) {
      if (receiver.delivered() < options.jobs) return false;
      const deliveredWrites = trace.ledger.transitions.webhookDelivered.writes;
      if (deliveredWrites < options.jobs && messagesDeleted(usage, 'webhooks') < options.jobs) return false;
      if (!(await options.queueIdle('webhooks'))) return false;
    }
    return options.queueIdle('jobs');
  };
  const complete = await waitForAsync(finishedAll, options.timeoutMs);
  meter.stopTrace(trace);
  const usage = usageBetween(before, meter.snapshot());

  const finished = await finishedJobs(client, options.jobs, complete ? 10_000 : 0);
  const created = finished.map((j) => Date.parse(j.createdAt));
  const done = finished.map((j) => Date.parse(j.finishedAt!));
  const elapsedMs = finished.length > 0 ? Math.max(...done) - Math.min(...created) : 0;
  const perJob = perJobUsage(usage, options.jobs, { requests: apiRequests, meanMs: options.apiDurationMs });
  return {
    submission: options.submission,
    jobs: options.jobs,
    succeeded: finished.length,
    submitConcurrency: options.concurrency,
    submitMs,
    elapsedMs,
    jobsPerSecond: perSecond(finished.length, elapsedMs),
    latencyMs: summarize(done.map((finishedAt, i) => finishedAt - created[i])),
    usage,
    perJob,
    costPerMillion: costPerMillionJobs(perJob),
    apiDurationMs: options.apiDurationMs,
    payload: { kind: shape.payload, ...payloadFacts(shape.payload === 'large' ? largePayload(0) : smallPayload(0)) },
    ledger: ledgerPerJob(trace.ledger, options.jobs),
    partitions: { hottest: hottestPartitions(trace.partitions, options.jobs) },
    ...(receiver ? { webhooks: { delivered: receiver.delivered(), refused: receiver.refused(), requests: receiver.requests() } } : {}),
  };
}

export interface IdleLatencyResult {
  readonly jobs: number;
  readonly succeeded: number;
  /** finishedAt − createdAt per job (ms), each job alone in the pipeline. */
  readonly latencyMs: Summary;
}

/**
 * One job at a time on an otherwise idle twin: the pipeline's own latency
 * (API → SQS → worker → done), without a backlog to wait behind. Polls the job
 * every 10 ms; the job's own timestamps give the time.
 */
export async function measureIdleLatency(client: ApiClient, options: { jobs: number; timeoutMs: number }): Promise<IdleLatencyResult> {
  const latencies: number[] = [];
  for (let i = 0; i < options.jobs; i++) {
    const submitted = await client.submitJob(echoJob(i));
    if (submitted.status !== 202) throw new Error(`submission refused: HTTP ${submitted.status}`);
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const job = (await client.getJob(submitted.body.jobId)).body;
      if (job.status === 'succeeded' && job.finishedAt) {
        latencies.push(Date.parse(job.finishedAt) - Date.parse(job.createdAt));
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(10);
    }
  }
  return { jobs: options.jobs, succeeded: latencies.length, latencyMs: summarize(latencies) };
}

async function submit(client: ApiClient, options: EndToEndOptions, shape: JobShape): Promise<void> {
  if (options.submission === 'single') {
    const responses = await runPool(options.jobs, options.concurrency, (i) => client.submitJob(benchJob(i, shape)));
    const refused = responses.filter((r) => r.status !== 202);
    if (refused.length > 0) throw new Error(`${refused.length} submissions refused, e.g. HTTP ${refused[0].status}`);
    return;
  }
  const calls = Math.ceil(options.jobs / BATCH_SIZE);
  await runPool(calls, options.concurrency, async (call) => {
    const size = Math.min(BATCH_SIZE, options.jobs - call * BATCH_SIZE);
    const response = await client.submitBatch(Array.from({ length: size }, (_, i) => benchJob(call * BATCH_SIZE + i, shape)));
    const refused = response.body.items?.filter((item) => item.status !== 202) ?? [];
    if (response.status !== 200 || refused.length > 0) throw new Error(`batch refused: HTTP ${response.status}, ${refused.length} items refused`);
  });
}

/** The tenant's succeeded jobs, once there are `expected` of them (or the deadline passes). */
export async function finishedJobs(client: ApiClient, expected: number, timeoutMs: number): Promise<JobView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await client.listAll('succeeded');
    if (jobs.length >= expected || Date.now() >= deadline) return jobs;
    await sleep(250);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
export async function waitForAsync(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Polls `condition` every 50 ms until it holds (true) or `timeoutMs` passes (false). */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}
