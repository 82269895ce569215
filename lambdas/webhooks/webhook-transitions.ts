/**
 * A webhook event's delivery, as pure functions (job, facts) → decision, in the
 * same shape as lambdas/jobs/transitions.ts: the store writes a decision on
 * condition that the job did not change since it was read.
 *
 * These functions change only the webhook's own fields (`webhook`,
 * `webhookEvent`, `webhookBacklog`, and `dispatched` while the job is finished)
 * and `updatedAt`/`expiresAt`: a webhook never changes the job's status or
 * result (SPEC §6). An event is delivered whatever the job's status: its body
 * was fixed when it was created, and the retry route may have the job running
 * again meanwhile. When one ends (delivered or failed), the next event of the
 * backlog takes its place.
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
  // The job's status does not matter: an event's body was fixed when it was created,
  // and it is delivered even while the retry route has the job running again.
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
  /** `next`: an event from the backlog that is now pending; the caller enqueues it. */
  | { outcome: 'delivered'; job: Job; attempt: number; next?: WebhookEvent }
  /** Another try is due at `webhookEvent.nextAttemptAt`; `dispatch`: the caller sends it with `delayMs` now. */
  | { outcome: 'retry'; job: Job; attempt: number; delayMs: number; dispatch: boolean }
  | { outcome: 'failed'; job: Job; attempt: number; next?: WebhookEvent };

/** Records one try of the job's pending event. */
export function recordTry(job: Job | undefined, facts: TryFacts, t: Timing): Decision<TryResult> {
  if (!job || job.webhook.status !== 'pending' || job.webhookEvent?.id !== facts.eventId) {
    return { result: { outcome: 'stale' } };
  }
  const event = job.webhookEvent;
  const { outcome } = facts;
  if (outcome.kind === 'delivered') {
    // A 2xx is news whoever else tried meanwhile: the receiver has the event.
    const attempt = job.webhook.attempts + 1;
    const delivered = promoteBacklog(
      touched(
        {
          ...job,
          dispatched: isTerminal(job.status) ? false : job.dispatched,
          webhook: { status: 'delivered', attempts: attempt, lastStatusCode: outcome.statusCode, lastError: null, deliveredAt: iso(t.nowMs) },
          webhookEvent: { ...event, nextAttemptAt: null },
        },
        t,
      ),
      t,
    );
    return { write: delivered, result: { outcome: 'delivered', job: delivered, attempt, next: nextEventOf(job, delivered) } };
  }
  // A failure is fenced like a worker's attempt: if another try was recorded
  // since this one began, that one already scheduled what comes next.
  if (job.webhook.attempts !== facts.attemptsBefore) return { result: { outcome: 'stale' } };
  const attempt = job.webhook.attempts + 1;
  const failedTry = { attempts: attempt, lastStatusCode: outcome.statusCode, lastError: outcome.error, deliveredAt: null };
  const delaySeconds = outcome.retryable ? facts.retrySchedule[attempt - 1] : undefined;
  if (delaySeconds === undefined) {
    const failed = promoteBacklog(
      touched(
        {
          ...job,
          dispatched: isTerminal(job.status) ? false : job.dispatched,
          webhook: { status: 'failed', ...failedTry },
          webhookEvent: { ...event, nextAttemptAt: null },
        },
        t,
      ),
      t,
    );
    return { write: failed, result: { outcome: 'failed', job: failed, attempt, next: nextEventOf(job, failed) } };
  }
  const delayMs = delaySeconds * 1000;
  const dispatch = delayMs <= facts.dispatchWithinMs;
  const waiting = touched(
    {
      ...job,
      // Not dispatched: the sweep index holds it until `nextAttemptAt`, then the scheduler enqueues it.
      // (While the job runs again, `dispatched` is about the job's own message: left alone.)
      dispatched: isTerminal(job.status) ? dispatch : job.dispatched,
      webhook: { status: 'pending', ...failedTry },
      webhookEvent: { ...event, nextAttemptAt: t.nowMs + delayMs },
    },
    t,
  );
  return { write: waiting, result: { outcome: 'retry', job: waiting, attempt, delayMs, dispatch } };
}

/**
 * Once an event is delivered or has failed, the next one in the backlog (if any)
 * becomes the pending event, due now. On a finished job it counts as dispatched:
 * the caller enqueues it, and the sweep index re-sends it if that never happens.
 */
function promoteBacklog(job: Job, t: Timing): Job {
  const [next, ...rest] = job.webhookBacklog ?? [];
  if (!next) return job;
  return {
    ...job,
    webhook: { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null },
    webhookEvent: { ...next, nextAttemptAt: t.nowMs },
    webhookBacklog: rest,
    dispatched: isTerminal(job.status) ? true : job.dispatched,
  };
}

function nextEventOf(before: Job, after: Job): WebhookEvent | undefined {
  return after.webhookEvent && after.webhookEvent.id !== before.webhookEvent?.id ? after.webhookEvent : undefined;
}
