/**
 * Use cases: where the pure domain (lambdas/jobs) meets the store, the queues and
 * the registry, so that the domain never imports them and `api/` only translates.
 *
 * Submitting a job (SPEC §3.1): judge it by the submission rules, then either send
 * its message and create it with one conditional put (due soon, no key), or put
 * it and send after (keyed; due later than the look-ahead, it is only put, on the
 * sweep index for the scheduler to send). A create due at once carries no sweep
 * entry: if its message is lost, the scheduler's open-bucket scan finds it
 * (scheduler/recover-lost-creates.ts).
 */
import { getJobTypeDefinition } from '../job-types/registry';
import type { Job } from '../jobs/job';
import { prepareJob, rejection, type PreparedJob, type Rejection, type SubmissionPolicy } from '../jobs/prepare-job';
import type { Dispatch, JobMessage } from '../queue/job-queue';
import type { ServiceContext } from '../service-context';
import { checkUrlStatic } from '../outbound/url-guard';

export interface Submitted {
  readonly kind: 'submitted';
  /** 202 created, 200 replayed. */
  readonly status: 202 | 200;
  readonly job: Job;
}

/** The rules' view of the service: the registry, the URL guard with this deployment's policy, the configuration. */
export function submissionPolicy(ctx: ServiceContext): SubmissionPolicy {
  const urlPolicy = { allowPrivate: ctx.config.allowPrivateTargets };
  return {
    jobType: getJobTypeDefinition,
    checkUrl: (url) => checkUrlStatic(url, urlPolicy),
    defaultMaxAttempts: ctx.config.defaultMaxAttempts,
    retentionDays: ctx.config.retentionDays,
    lookaheadMs: ctx.config.schedulerLookaheadSeconds * 1000,
  };
}

/** Judges one submission at the service's clock. */
export function prepareSubmission(ctx: ServiceContext, tenantId: string, body: unknown, idempotencyKey: string | undefined): PreparedJob | Rejection {
  return prepareJob({ tenantId, body, idempotencyKey }, submissionPolicy(ctx), ctx.now());
}

/**
 * Whether a new job's message goes to SQS before its put (SPEC §4, nothing is
 * stranded): a job due within the look-ahead without an Idempotency-Key. A
 * keyed submission may be a replay, which must enqueue nothing (SPEC §3.1), and
 * only the put can tell: it is put first and sent after (a process that dies in
 * between leaves it to the open-bucket scan, or to its sweep entry if delayed).
 */
function sendsFirst(prepared: PreparedJob): boolean {
  return prepared.job.dispatched && !prepared.job.sentFirst && prepared.job.idempotencyKey === null;
}

/** The create's message: the job has no attempts yet; `sentAt` lets a worker that finds no job yet wait for the put. */
function createMessage(prepared: PreparedJob, sentAt?: number): JobMessage {
  const { job, runAtMs } = prepared;
  return { tenantId: job.tenantId, jobId: job.jobId, attempts: 0, dueAt: runAtMs, ...(sentAt === undefined ? {} : { sentAt }) };
}

/**
 * Sends the messages of new jobs before their puts (one SendMessageBatch per
 * ten), and marks each job with how that went: sent (`sentFirst`: no sweep entry
 * when due at once, the open-bucket scan covers it; delayed, an entry at
 * `nextRunAt + STALE_AFTER_SECONDS`) or not (put with an entry due now, the
 * scheduler sends it, and the client still gets 202). Jobs that are not sent first come back as they were.
 * Each job must be storable (JobStore.assertStorable): a refused one must leave no message.
 */
export async function sendCreatesFirst(ctx: ServiceContext, prepared: readonly PreparedJob[]): Promise<PreparedJob[]> {
  const first = prepared.filter(sendsFirst);
  if (first.length === 0) return [...prepared];
  const nowMs = ctx.now();
  const dispatches = new Map(first.map((p) => [p, { message: createMessage(p, nowMs), delaySeconds: Math.max(0, (p.runAtMs - nowMs) / 1000) }]));
  let failed: ReadonlySet<Dispatch<JobMessage>>;
  try {
    const all = [...dispatches.values()];
    failed = new Set(all.length === 1 ? (await ctx.jobsQueue.send(all[0]), []) : await ctx.jobsQueue.sendMany(all));
  } catch {
    failed = new Set(dispatches.values());
  }
  if (failed.size > 0) ctx.logger.warn('enqueue failed; the sweep will dispatch', { count: failed.size });
  return prepared.map((p) => {
    const dispatch = dispatches.get(p);
    if (!dispatch) return p;
    const sent = !failed.has(dispatch);
    return { ...p, job: sent ? { ...p.job, sentFirst: true } : { ...p.job, dispatched: false } };
  });
}

/**
 * Writes a prepared job: created (202), replayed (200), or refused when its key
 * was used with another request. A job due soon without a key has its message
 * sent first (`sendCreatesFirst`, unless the caller did that already).
 */
export async function createPreparedJob(ctx: ServiceContext, prepared: PreparedJob): Promise<Submitted | Rejection> {
  let ready = prepared;
  if (sendsFirst(prepared)) {
    ctx.jobs.assertStorable(prepared.job);
    [ready] = await sendCreatesFirst(ctx, [prepared]);
  }
  const outcome = await ctx.jobs.create(ready.job);
  if (outcome.created) return { kind: 'submitted', status: 202, job: outcome.job };
  if (outcome.job.payloadHash !== prepared.job.payloadHash) {
    return rejection('idempotency_key_reused', 'This Idempotency-Key was used with a different request.');
  }
  return { kind: 'submitted', status: 200, job: outcome.job };
}

/** The SQS message for a newly created job that is due within the look-ahead and was put before its send. */
export function dispatchFor(job: Job, runAtMs: number, nowMs: number): Dispatch<JobMessage> | undefined {
  if (!job.dispatched || job.sentFirst) return undefined;
  return { message: createMessage({ kind: 'prepared', job, runAtMs }), delaySeconds: Math.max(0, (runAtMs - nowMs) / 1000) };
}

/**
 * Hands new jobs that were put first to SQS. A failed send is not the client's
 * problem: the scheduler sends the job once its message should have run (the
 * open-bucket scan finds a job due at once; a delayed one is on the sweep index,
 * `nextRunAt + STALE_AFTER_SECONDS`).
 */
export async function enqueueCreated(ctx: ServiceContext, dispatches: readonly Dispatch<JobMessage>[]): Promise<void> {
  if (dispatches.length === 0) return;
  try {
    const failed = dispatches.length === 1 ? (await ctx.jobsQueue.send(dispatches[0]), []) : await ctx.jobsQueue.sendMany(dispatches);
    if (failed.length > 0) ctx.logger.warn('enqueue failed; the sweep will dispatch', { count: failed.length });
  } catch (error) {
    ctx.logger.warn('enqueue failed; the sweep will dispatch', { error: (error as Error).message });
  }
}

/** POST /v1/jobs: judged, created (or replayed), enqueued when due soon. Store failures throw (the api maps them). */
export async function submitJob(
  ctx: ServiceContext,
  tenantId: string,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<Submitted | Rejection> {
  const prepared = prepareSubmission(ctx, tenantId, body, idempotencyKey);
  if (prepared.kind === 'rejected') return prepared;
  const submitted = await createPreparedJob(ctx, prepared);
  if (submitted.kind === 'submitted' && submitted.status === 202) {
    const dispatch = dispatchFor(submitted.job, prepared.runAtMs, ctx.now());
    if (dispatch) await enqueueCreated(ctx, [dispatch]);
  }
  return submitted;
}
