/**
 * A webhook event's delivery, as pure functions (job, facts) → decision, in the
 * same shape as lambdas/jobs/transitions.ts: the store writes a decision on
 * condition that the job did not change since it was read.
 *
 * These functions change only the webhook's own fields (`webhook`,
 * `webhookEvent.nextAttemptAt`, `dispatched`) and `updatedAt`/`expiresAt`:
 * a webhook never changes the job's status or result (SPEC §6).
 *
 * Tries: one first try plus one retry per entry of the retry schedule. After the
 * n-th failed try, the next one is due `schedule[n - 1]` seconds later; when the
 * schedule is exhausted, or the receiver answers 410 Gone, or the target can never
 * be reached (blocked by the URL guard), the webhook is `failed`.
 */
import { isTerminal, type Job, type WebhookEvent } from '../jobs/job';
import { iso, touched, type Timing } from '../jobs/transitions';
import type { Decision } from '../store/job-store';
import type { WebhookMessage } from '../queue/job-queue';

/** A message this early (clock skew between hosts) still delivers. */
export const EARLY_TOLERANCE_MS = 1000;

/** Why a webhooks-queue message leads to no delivery: it is stale, a duplicate, or early. */
export type SkipReason =
  /** The job is gone (deleted or expired). */
  | 'missing'
  /** The job is not in a terminal state (re-run by the retry route since). */
  | 'not-finished'
  /** The job has no webhook event (no `webhookUrl`, or re-run since). */
  | 'no-event'
  /** The message is for an older event of this job. */
  | 'other-event'
  /** The event was delivered or has failed for good. */
  | 'not-pending'
  /** The next try is not due yet: a duplicate of an earlier message. The queued retry or the sweep brings it. */
  | 'not-due';

export type DeliveryCheck =
  | { deliver: true; job: Job; url: string; event: WebhookEvent; attemptsBefore: number }
  | { deliver: false; reason: SkipReason };

/** Whether `message` should lead to a delivery try of the job's pending event now. */
export function checkDeliverable(job: Job | undefined, message: WebhookMessage, nowMs: number): DeliveryCheck {
  if (!job) return { deliver: false, reason: 'missing' };
  if (!isTerminal(job.status)) return { deliver: false, reason: 'not-finished' };
  const event = job.webhookEvent;
  if (!event || !job.webhookUrl) return { deliver: false, reason: 'no-event' };
  if (event.id !== message.eventId) return { deliver: false, reason: 'other-event' };
  if (job.webhook.status !== 'pending') return { deliver: false, reason: 'not-pending' };
  if (event.nextAttemptAt !== null && event.nextAttemptAt - nowMs > EARLY_TOLERANCE_MS) return { deliver: false, reason: 'not-due' };
  return { deliver: true, job, url: job.webhookUrl, event, attemptsBefore: job.webhook.attempts };
}

/** What one try came to. */
export type TryOutcome =
  /** The receiver answered 2xx. */
  | { kind: 'delivered'; statusCode: number }
  /**
   * Anything else: an HTTP status other than 2xx (`statusCode` set), or no
   * answer at all (timeout, network, blocked target: `statusCode` null).
   * `retryable: false` ends the webhook at once (410 Gone, a blocked target).
   */
  | { kind: 'failed'; statusCode: number | null; error: string; retryable: boolean };

/** An HTTP answer as a try outcome: 2xx delivers, 410 Gone stops, anything else is retried (SPEC §6). */
export function outcomeOfStatus(statusCode: number): TryOutcome {
  if (statusCode >= 200 && statusCode < 300) return { kind: 'delivered', statusCode };
  if (statusCode === 410) return { kind: 'failed', statusCode, error: 'HTTP 410 Gone: the receiver asked for no more deliveries', retryable: false };
  return { kind: 'failed', statusCode, error: `HTTP ${statusCode} from receiver`, retryable: true };
}

export interface TryFacts {
  readonly eventId: string;
  /** `webhook.attempts` when the try began: a failure counts only if no other try was recorded since. */
  readonly attemptsBefore: number;
  readonly outcome: TryOutcome;
  /** Seconds to wait after the 1st, 2nd, … failed try (`WEBHOOK_RETRY_SCHEDULE`). */
  readonly retrySchedule: readonly number[];
  /** A retry due within this many ms is re-sent to the webhooks queue now, with a delay (SQS's 900 s cap). */
  readonly dispatchWithinMs: number;
}

export type TryResult =
  /** The job or its event moved on while the try ran (another try, a redelivery, a re-run): nothing recorded. */
  | { outcome: 'stale' }
  | { outcome: 'delivered'; job: Job; attempt: number }
  /** Another try is due at `webhookEvent.nextAttemptAt`; `dispatch`: the caller sends it with `delayMs` now. */
  | { outcome: 'retry'; job: Job; attempt: number; delayMs: number; dispatch: boolean }
  | { outcome: 'failed'; job: Job; attempt: number };

/** Records one try of the job's pending event. */
export function recordTry(job: Job | undefined, facts: TryFacts, t: Timing): Decision<TryResult> {
  if (!job || !isTerminal(job.status) || job.webhook.status !== 'pending' || job.webhookEvent?.id !== facts.eventId) {
    return { result: { outcome: 'stale' } };
  }
  const event = job.webhookEvent;
  const { outcome } = facts;
  if (outcome.kind === 'delivered') {
    // A 2xx is news whoever else tried meanwhile: the receiver has the event.
    const attempt = job.webhook.attempts + 1;
    const delivered = touched(
      {
        ...job,
        dispatched: false,
        webhook: { status: 'delivered', attempts: attempt, lastStatusCode: outcome.statusCode, lastError: null, deliveredAt: iso(t.nowMs) },
        webhookEvent: { ...event, nextAttemptAt: null },
      },
      t,
    );
    return { write: delivered, result: { outcome: 'delivered', job: delivered, attempt } };
  }
  // A failure is fenced like a worker's attempt: if another try was recorded
  // since this one began, that one already scheduled what comes next.
  if (job.webhook.attempts !== facts.attemptsBefore) return { result: { outcome: 'stale' } };
  const attempt = job.webhook.attempts + 1;
  const failedTry = { attempts: attempt, lastStatusCode: outcome.statusCode, lastError: outcome.error, deliveredAt: null };
  const delaySeconds = outcome.retryable ? facts.retrySchedule[attempt - 1] : undefined;
  if (delaySeconds === undefined) {
    const failed = touched(
      { ...job, dispatched: false, webhook: { status: 'failed', ...failedTry }, webhookEvent: { ...event, nextAttemptAt: null } },
      t,
    );
    return { write: failed, result: { outcome: 'failed', job: failed, attempt } };
  }
  const delayMs = delaySeconds * 1000;
  const dispatch = delayMs <= facts.dispatchWithinMs;
  const waiting = touched(
    {
      ...job,
      // Not dispatched: the sweep index holds it until `nextAttemptAt`, then the scheduler enqueues it.
      dispatched: dispatch,
      webhook: { status: 'pending', ...failedTry },
      webhookEvent: { ...event, nextAttemptAt: t.nowMs + delayMs },
    },
    t,
  );
  return { write: waiting, result: { outcome: 'retry', job: waiting, attempt, delayMs, dispatch } };
}
