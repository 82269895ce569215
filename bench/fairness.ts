/**
 * Fairness (SPEC §4): a noisy tenant floods the jobs queue through the batch
 * route, then a quiet tenant submits a few jobs one by one. The fair queue
 * (MessageGroupId = tenantId) should start the quiet tenant's jobs ahead of the
 * noisy backlog. Submit-to-start is the first attempt's `startedAt` minus the
 * job's `createdAt`, both from the API.
 */
import { performance } from 'node:perf_hooks';
import { echoJob, runPool, type ApiClient, type JobView } from './api-client';
import { messagesDeleted, usageBetween, type UsageMeter } from './aws-usage';
import { finishedJobs, waitFor } from './end-to-end';
import { BATCH_SIZE } from './enqueue';
import { summarize, type Summary } from './stats';

export interface TenantWait {
  readonly jobs: number;
  /** Jobs whose first attempt was read back (all, or a sample). */
  readonly sampled: number;
  /** First attempt's startedAt − createdAt (ms). */
  readonly submitToStartMs: Summary;
}

export interface FairnessResult {
  readonly noisy: TenantWait;
  readonly quiet: TenantWait;
  /** Noisy jobs not yet started when the first quiet job was created: the backlog a FIFO queue would have put first. */
  readonly noisyBacklogAtQuietSubmit: number;
  /** Last noisy job's start − the first quiet job's creation: what the last quiet job would have waited behind the backlog in FIFO order. */
  readonly fifoWaitEstimateMs: number;
  readonly noisySubmitMs: number;
  readonly drainMs: number;
}

export interface FairnessOptions {
  readonly noisyJobs: number;
  readonly quietJobs: number;
  readonly timeoutMs: number;
  /** Calls in flight when reading attempts back. */
  readonly readConcurrency: number;
  /** Noisy jobs whose attempts are read back (evenly spread over the backlog); the quiet tenant's are all read. */
  readonly noisySample: number;
}

export async function measureFairness(noisy: ApiClient, quiet: ApiClient, meter: UsageMeter, options: FairnessOptions): Promise<FairnessResult> {
  const before = meter.snapshot();
  const started = performance.now();
  const calls = Math.ceil(options.noisyJobs / BATCH_SIZE);
  await runPool(calls, 4, async (call) => {
    const size = Math.min(BATCH_SIZE, options.noisyJobs - call * BATCH_SIZE);
    const response = await noisy.submitBatch(Array.from({ length: size }, (_, i) => echoJob(call * BATCH_SIZE + i)));
    if (response.status !== 200) throw new Error(`noisy batch refused: HTTP ${response.status}`);
  });
  const noisySubmitMs = performance.now() - started;
  await runPool(options.quietJobs, 8, async (i) => {
    const response = await quiet.submitJob(echoJob(i));
    if (response.status !== 202) throw new Error(`quiet submission refused: HTTP ${response.status}`);
  });

  const total = options.noisyJobs + options.quietJobs;
  const complete = await waitFor(() => messagesDeleted(usageBetween(before, meter.snapshot()), 'jobs') >= total, options.timeoutMs);
  const drainMs = performance.now() - started;
  const settle = complete ? 10_000 : 0;
  const [noisyJobs, quietJobs] = [await finishedJobs(noisy, options.noisyJobs, settle), await finishedJobs(quiet, options.quietJobs, settle)];
  const noisyStarts = await firstStarts(noisy, evenlySpread(noisyJobs, options.noisySample), options.readConcurrency);
  const quietStarts = await firstStarts(quiet, quietJobs, options.readConcurrency);

  const firstQuietCreated = Math.min(...quietStarts.map((s) => s.createdAt));
  const lastNoisyStart = Math.max(...noisyStarts.map((s) => s.startedAt));
  return {
    noisy: waitOf(options.noisyJobs, noisyStarts),
    quiet: waitOf(options.quietJobs, quietStarts),
    // Scaled up from the sample to the whole backlog.
    noisyBacklogAtQuietSubmit: Math.round((noisyStarts.filter((s) => s.startedAt > firstQuietCreated).length * noisyJobs.length) / Math.max(1, noisyStarts.length)),
    fifoWaitEstimateMs: Math.max(0, lastNoisyStart - firstQuietCreated),
    noisySubmitMs,
    drainMs,
  };
}

interface JobStart {
  readonly createdAt: number;
  readonly startedAt: number;
}

async function firstStarts(client: ApiClient, jobs: readonly JobView[], concurrency: number): Promise<JobStart[]> {
  const starts = await runPool(jobs.length, concurrency, async (i) => {
    const job = jobs[i];
    const response = await client.attempts(job.jobId);
    const first = response.body.items?.[0];
    return first ? { createdAt: Date.parse(job.createdAt), startedAt: Date.parse(first.startedAt) } : undefined;
  });
  return starts.filter((s): s is JobStart => s !== undefined);
}

function waitOf(jobs: number, starts: readonly JobStart[]): TenantWait {
  return { jobs, sampled: starts.length, submitToStartMs: summarize(starts.map((s) => s.startedAt - s.createdAt)) };
}

/** At most `count` of `items`, evenly spaced, first and last included. */
export function evenlySpread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  if (count <= 1) return items.slice(0, count);
  return Array.from({ length: count }, (_, i) => items[Math.round((i * (items.length - 1)) / (count - 1))]);
}
