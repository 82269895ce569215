/**
 * The submission rules (SPEC §3.1, §3.7) as one pure function:
 * (submission, policy, now) → the job to create, or a rejection.
 *
 * Checks run in the order SPEC §3 fixes for errors, and the first that fails
 * decides: the body's shape (invalid_json), the Idempotency-Key
 * (invalid_idempotency_key), the submission's fields, `runAt`, what the payload
 * can hold (validation_failed), the type (unknown_job_type), the type's payload
 * schema (validation_failed), `webhookUrl` (invalid_webhook_url), the payload's
 * target URL (invalid_target_url). A rejection is data; only `api/` turns it
 * into a problem document (lambdas/api/rejection-problem.ts).
 */
import type * as z from '../zod';
import { awaitedWebhook, expiryOf, type Job } from './job';
import { jobIdFor } from './job-id';
import { payloadHash } from './payload-hash';
import { fieldProblems, isValidIdempotencyKey, JobSubmissionSchema, resolveRunAt, unstorableValues, type FieldProblem } from './submission';
import { isDueForDispatch } from './sweep';

/** One submission: the body of POST /v1/jobs, or one item of a batch (its `idempotencyKey` taken out). */
export interface Submission {
  readonly tenantId: string;
  readonly body: unknown;
  readonly idempotencyKey: string | undefined;
}

/** What a job type offers the rules: its payload schema, and the URL a payload targets (if any). */
export interface SubmittableJobType {
  readonly schema: z.ZodMiniType;
  readonly targetUrl?: (payload: never) => string | undefined;
}

/** What the rules need from outside the domain: the type registry, the URL guard and the configuration. */
export interface SubmissionPolicy {
  /** The type of this name, or undefined when there is none. */
  readonly jobType: (type: string) => SubmittableJobType | undefined;
  /** The URL guard's static check (no DNS): `reason` says what is wrong, never more than the URL shows. */
  readonly checkUrl: (url: string) => { ok: true } | { ok: false; reason: string };
  /** `maxAttempts` of a submission that gives none. */
  readonly defaultMaxAttempts: number;
  readonly retentionDays: number;
  /** A job due within this many ms counts as dispatched: the caller hands it to SQS at once. */
  readonly lookaheadMs: number;
}

/** The codes of SPEC §3 a submission can be refused with. */
export type RejectionCode =
  | 'invalid_json'
  | 'invalid_idempotency_key'
  | 'validation_failed'
  | 'unknown_job_type'
  | 'invalid_webhook_url'
  | 'invalid_target_url'
  /** Decided against the stored job, not by these rules (lambdas/use-cases/submit-job.ts). */
  | 'idempotency_key_reused';

/** Why a submission is refused; `errors` (the fields at fault) only for `validation_failed`. */
export type Rejection =
  | { readonly kind: 'rejected'; readonly code: 'validation_failed'; readonly detail: string; readonly errors: FieldProblem[] }
  | { readonly kind: 'rejected'; readonly code: Exclude<RejectionCode, 'validation_failed'>; readonly detail: string };

/** A submission that passed every rule: the job to create, and when it runs (epoch ms). */
export interface PreparedJob {
  readonly kind: 'prepared';
  readonly job: Job;
  readonly runAtMs: number;
}

export function rejection(code: Exclude<RejectionCode, 'validation_failed'>, detail: string): Rejection {
  return { kind: 'rejected', code, detail };
}

export function validationRejection(errors: FieldProblem[]): Rejection {
  return { kind: 'rejected', code: 'validation_failed', detail: errors.map((e) => `${e.path}: ${e.message}`).join('; ').slice(0, 1000), errors };
}

export function prepareJob(submission: Submission, policy: SubmissionPolicy, nowMs: number): PreparedJob | Rejection {
  const { body, idempotencyKey, tenantId } = submission;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return rejection('invalid_json', 'The body must be a JSON object.');
  if (idempotencyKey !== undefined && !isValidIdempotencyKey(idempotencyKey)) {
    return rejection('invalid_idempotency_key', 'Idempotency-Key must be 1..255 visible ASCII characters.');
  }
  const parsed = JobSubmissionSchema.safeParse(body);
  if (!parsed.success) return validationRejection(fieldProblems(parsed.error));
  const fields = parsed.data;
  const when = resolveRunAt(fields, nowMs);
  if ('problem' in when) return validationRejection([when.problem]);

  // The payload as parsed from JSON, not as zod rebuilt it (zod drops a `__proto__`
  // key): this one is checked, stored, hashed and handed to the handler.
  const sentPayload = (body as Record<string, unknown>).payload as Record<string, unknown>;
  const unstorable = unstorableValues(sentPayload, 'payload');
  if (unstorable.length > 0) return validationRejection(unstorable);

  const jobType = policy.jobType(fields.type);
  if (!jobType) return rejection('unknown_job_type', `Unknown job type "${fields.type.slice(0, 64)}".`);
  const payload = jobType.schema.safeParse(sentPayload);
  if (!payload.success) return validationRejection(fieldProblems(payload.error, 'payload'));

  if (fields.webhookUrl !== undefined) {
    const check = policy.checkUrl(fields.webhookUrl);
    if (!check.ok) return rejection('invalid_webhook_url', `webhookUrl: ${check.reason}`);
  }
  const target = jobType.targetUrl?.(payload.data as never);
  if (target !== undefined) {
    const check = policy.checkUrl(target);
    if (!check.ok) return rejection('invalid_target_url', `payload.url: ${check.reason}`);
  }

  const now = new Date(nowMs).toISOString();
  const runAtMs = when.runAtMs;
  const maxAttempts = fields.maxAttempts ?? policy.defaultMaxAttempts;
  const job: Job = {
    jobId: jobIdFor(tenantId, idempotencyKey ?? null),
    tenantId,
    type: fields.type,
    status: 'queued',
    payload: sentPayload,
    payloadHash: payloadHash(body as Record<string, unknown>),
    idempotencyKey: idempotencyKey ?? null,
    webhookUrl: fields.webhookUrl ?? null,
    maxAttempts,
    attemptLimit: maxAttempts,
    attempts: 0,
    nextRunAt: new Date(runAtMs).toISOString(),
    leaseUntilMs: null,
    result: null,
    lastError: null,
    history: [],
    webhook: awaitedWebhook(fields.webhookUrl ?? null),
    dispatched: isDueForDispatch(runAtMs, nowMs, policy.lookaheadMs),
    createdAt: now,
    updatedAt: now,
    finishedAt: null,
    expiresAt: expiryOf(nowMs, runAtMs, policy.retentionDays),
    // Not 1: a job that replaces an expired one with the same id must not share
    // its version with a writer that read the old job a moment ago.
    version: nowMs,
  };
  return { kind: 'prepared', job, runAtMs };
}
