/**
 * Submitting a job (SPEC §3.1): validate in the order SPEC §3 fixes for errors,
 * create with one conditional put, then hand a job that is due soon to SQS.
 */
import { getJobType } from '../job-types/registry';
import { HttpProblem, validationFailed } from '../api/problem';
import type { ServiceContext } from '../service-context';
import type { Dispatch, JobMessage } from '../queue/job-queue';
import { checkUrlStatic } from '../webhooks/url-guard';
import { expiryOf, type Job } from './job';
import { jobIdFor } from './job-id';
import { payloadHash } from './payload-hash';
import { fieldProblems, isValidIdempotencyKey, JobSubmissionSchema, resolveRunAt, unstorableValues } from './submission';
import { isDueForDispatch } from './sweep';

export interface Submitted {
  /** 202 created, 200 replayed. */
  status: 202 | 200;
  job: Job;
}

/** A validated submission, ready to write. */
export interface PreparedJob {
  job: Job;
  runAtMs: number;
}

/**
 * Checks one submission (the body of POST /v1/jobs, or one batch item) and builds
 * the job it asks for. Throws the HttpProblem SPEC §3 prescribes.
 */
export function prepareJob(
  ctx: ServiceContext,
  tenantId: string,
  body: unknown,
  idempotencyKey: string | undefined,
  pathPrefix = '',
): PreparedJob {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem('invalid_json', 'The body must be a JSON object.');
  }
  if (idempotencyKey !== undefined && !isValidIdempotencyKey(idempotencyKey)) {
    throw new HttpProblem('invalid_idempotency_key', 'Idempotency-Key must be 1..255 visible ASCII characters.');
  }
  const parsed = JobSubmissionSchema.safeParse(body);
  if (!parsed.success) throw validationFailed(fieldProblems(parsed.error, pathPrefix));
  const submission = parsed.data;
  const nowMs = ctx.now();
  const when = resolveRunAt(submission, nowMs);
  if ('problem' in when) throw validationFailed([{ ...when.problem, path: [pathPrefix, when.problem.path].filter(Boolean).join('.') }]);

  // The payload as parsed from JSON, not as zod rebuilt it (zod drops a `__proto__`
  // key): this one is checked, stored, hashed and handed to the handler.
  const sentPayload = (body as Record<string, unknown>).payload as Record<string, unknown>;
  const unstorable = unstorableValues(sentPayload, [pathPrefix, 'payload'].filter(Boolean).join('.'));
  if (unstorable.length > 0) throw validationFailed(unstorable);

  const jobType = getJobType(submission.type);
  if (!jobType) throw new HttpProblem('unknown_job_type', `Unknown job type "${submission.type.slice(0, 64)}".`);
  const payload = jobType.schema.safeParse(sentPayload);
  if (!payload.success) throw validationFailed(fieldProblems(payload.error, [pathPrefix, 'payload'].filter(Boolean).join('.')));

  const policy = { allowPrivate: ctx.config.allowPrivateTargets };
  if (submission.webhookUrl !== undefined) {
    const check = checkUrlStatic(submission.webhookUrl, policy);
    if (!check.ok) throw new HttpProblem('invalid_webhook_url', `webhookUrl: ${check.reason}`);
  }
  const target = jobType.targetUrl?.(payload.data);
  if (target !== undefined) {
    const check = checkUrlStatic(target, policy);
    if (!check.ok) throw new HttpProblem('invalid_target_url', `payload.url: ${check.reason}`);
  }

  const now = new Date(nowMs).toISOString();
  const runAtMs = when.runAtMs;
  const job: Job = {
    jobId: jobIdFor(tenantId, idempotencyKey ?? null),
    tenantId,
    type: submission.type,
    status: 'queued',
    payload: sentPayload,
    payloadHash: payloadHash(body as Record<string, unknown>),
    idempotencyKey: idempotencyKey ?? null,
    webhookUrl: submission.webhookUrl ?? null,
    maxAttempts: submission.maxAttempts ?? ctx.config.defaultMaxAttempts,
    attemptLimit: submission.maxAttempts ?? ctx.config.defaultMaxAttempts,
    attempts: 0,
    nextRunAt: new Date(runAtMs).toISOString(),
    leaseUntilMs: null,
    result: null,
    lastError: null,
    history: [],
    webhook: { status: submission.webhookUrl ? 'pending' : 'none', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null },
    webhookEvent: null,
    dispatched: isDueForDispatch(runAtMs, nowMs, ctx.config.schedulerLookaheadSeconds * 1000),
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    expiresAt: expiryOf(nowMs, runAtMs, ctx.config.retentionDays),
    // Not 1: a job that replaces an expired one with the same id must not share
    // its version with a writer that read the old job a moment ago.
    version: nowMs,
  };
  return { job, runAtMs };
}

/** Writes a prepared job: created (202), replayed (200) or a reused key (422). */
export async function createPreparedJob(ctx: ServiceContext, prepared: PreparedJob): Promise<Submitted> {
  const outcome = await ctx.jobs.create(prepared.job);
  if (outcome.created) return { status: 202, job: outcome.job };
  if (outcome.job.payloadHash !== prepared.job.payloadHash) {
    throw new HttpProblem('idempotency_key_reused', 'This Idempotency-Key was used with a different request.');
  }
  return { status: 200, job: outcome.job };
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
    const failed = dispatches.length === 1 ? (await ctx.jobsQueue.send(dispatches[0]!), []) : await ctx.jobsQueue.sendMany(dispatches);
    if (failed.length > 0) ctx.logger.warn('enqueue failed; the sweep will dispatch', { count: failed.length });
  } catch (error) {
    ctx.logger.warn('enqueue failed; the sweep will dispatch', { error: (error as Error).message });
  }
}

export async function submitJob(
  ctx: ServiceContext,
  tenantId: string,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<Submitted> {
  const prepared = prepareJob(ctx, tenantId, body, idempotencyKey);
  const submitted = await createPreparedJob(ctx, prepared);
  if (submitted.status === 202) {
    const dispatch = dispatchFor(prepared, ctx.now());
    if (dispatch) await enqueueCreated(ctx, [dispatch]);
  }
  return submitted;
}
