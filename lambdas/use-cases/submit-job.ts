/**
 * Use cases: where the pure domain (lambdas/jobs) meets the store, the queues and
 * the registry, so that the domain never imports them and `api/` only translates.
 *
 * Submitting a job (SPEC §3.1): judge it by the submission rules, create it with
 * one conditional put, then hand a job that is due soon to SQS.
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

/** Writes a prepared job: created (202), replayed (200), or refused when its key was used with another request. */
export async function createPreparedJob(ctx: ServiceContext, prepared: PreparedJob): Promise<Submitted | Rejection> {
  const outcome = await ctx.jobs.create(prepared.job);
  if (outcome.created) return { kind: 'submitted', status: 202, job: outcome.job };
  if (outcome.job.payloadHash !== prepared.job.payloadHash) {
    return rejection('idempotency_key_reused', 'This Idempotency-Key was used with a different request.');
  }
  return { kind: 'submitted', status: 200, job: outcome.job };
}

/** The SQS message for a newly created job that is due within the look-ahead. */
export function dispatchFor(prepared: PreparedJob, nowMs: number): Dispatch<JobMessage> | undefined {
  if (!prepared.job.dispatched) return undefined;
  return {
    message: { tenantId: prepared.job.tenantId, jobId: prepared.job.jobId },
    delaySeconds: Math.max(0, (prepared.runAtMs - nowMs) / 1000),
  };
}

/**
 * Hands new jobs to SQS. A failed send is not the client's problem: the job is
 * on the sweep index (`nextRunAt + STALE_AFTER_SECONDS`) and the scheduler sends it.
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
    const dispatch = dispatchFor(prepared, ctx.now());
    if (dispatch) await enqueueCreated(ctx, [dispatch]);
  }
  return submitted;
}
