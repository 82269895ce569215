/**
 * A webhook event's delivery, as pure functions (job, facts) → decision, in the
 * same shape as lambdas/jobs/transitions.ts: the store writes a decision on
 * condition that the job did not change since it was read.
 *
 * These functions change only the webhook's own state (`webhook`: its event and
 * backlog included, and `dispatched` while the job is finished)
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
 *
 * A first try writes nothing before its POST (issue 11: that write cost a write
 * unit, three while the body lived in the item): the message it came in stays
 * in flight until the outcome is written, as a running job's does, so if the
 * deliverer dies mid-POST the message comes back after the webhooks queue's
 * visibility timeout (and the job's sweep entry brings the event back too). Its
 * outcome counts only if the event is still as the try read it (`firstTry`'s
 * `fence`: same event, same tries, same schedule, no lease): a second copy of
 * the message may POST the same event meanwhile (at-least-once, same
 * `webhook-id`, same body), but only one of them records what came of it.
 *
 * A message received again (its first receive may have died mid-POST) leases
 * the event instead, as a worker owns a running job (SPEC §4, leases):
 * `leaseDelivery` sets the event's `deliveryLease` (a fresh token, an end) in
 * one conditional write before the POST, and only the write of that token's
 * outcome (`recordTry`) counts. Other copies stand back while the lease holds.
 * A leased try that dies leaves its lease to expire; the delivery that takes it
 * over counts the lost try, so a receiver that kills every deliverer still ends
 * `failed` (each message's first receive aside, every later one counts).
 */
import { freshDelivery, isTerminal, pendingWebhook, webhookEventOf, type DeliveredWebhook, type FailedWebhook, type Job, type PendingWebhook, type WebhookEvent } from '../jobs/job';
import { iso, touched, type Decision, type Timing } from '../jobs/transitions';
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
  | 'not-due'
  /** Another try holds the event's lease: it records what comes next, or the sweep brings the event back once the lease ends. */
  | 'in-flight';

export type DeliveryCheck = { deliver: true; job: Job; url: string; pending: PendingWebhook } | { deliver: false; reason: SkipReason };

/** `lastError` of a try that took the event and never recorded an outcome (its deliverer died or stalled). */
export const LOST_TRY_ERROR = 'delivery try lost: its lease expired';

/** Whether `message` should lead to a delivery try of the job's pending event now. */
export function checkDeliverable(job: Job | undefined, message: WebhookMessage, nowMs: number): DeliveryCheck {
  if (!job) return { deliver: false, reason: 'missing' };
  // The job's status does not matter: an event's body was fixed when it was created,
  // and it is delivered even while the retry route has the job running again.
  const event = webhookEventOf(job.webhook);
  if (!event || !job.webhookUrl) return { deliver: false, reason: 'no-event' };
  if (message.eventId !== undefined && event.id !== message.eventId) return { deliver: false, reason: 'other-event' };
  const pending = pendingWebhook(job.webhook);
  if (!pending) return { deliver: false, reason: 'not-pending' };
  if (event.deliveryLease && event.deliveryLease.untilMs > nowMs) return { deliver: false, reason: 'in-flight' };
  if (event.nextAttemptAt !== null && event.nextAttemptAt - nowMs > EARLY_TOLERANCE_MS) return { deliver: false, reason: 'not-due' };
  return { deliver: true, job, url: job.webhookUrl, pending };
}

/** How a try's outcome is told to still be the one that counts (see above). */
export type TryFence =
  /** A leased try: its lease's token. */
  | { readonly token: string }
  /** A first try, unleased: the event's tries and next try as it read them. */
  | { readonly attempts: number; readonly nextAttemptAt: number | null };

export type FirstTryCheck =
  | { outcome: 'ready'; job: Job; url: string; event: WebhookEvent; attempt: number; fence: TryFence }
  | { outcome: 'skipped'; reason: SkipReason }
  /** The event carries a lease (live: skipped above; expired: a try died): only a leased try may take it. */
  | { outcome: 'lease-needed' };

/** Whether a first receive of `message` tries the event now without a lease (see above). */
export function firstTry(job: Job | undefined, message: WebhookMessage, nowMs: number): FirstTryCheck {
  const check = checkDeliverable(job, message, nowMs);
  if (!check.deliver) return { outcome: 'skipped', reason: check.reason };
  const { pending } = check;
  if (pending.event.deliveryLease !== undefined) return { outcome: 'lease-needed' };
  const fence = { attempts: pending.attempts, nextAttemptAt: pending.event.nextAttemptAt };
  return { outcome: 'ready', job: check.job, url: check.url, event: pending.event, attempt: pending.attempts + 1, fence };
}

export interface LeaseFacts {
  /** Fences this try: a fresh random id, passed again to `recordTry`. */
  readonly token: string;
  /** How long the try may take, POST and outcome write included (`WEBHOOK_TIMEOUT_SECONDS` + a margin). */
  readonly leaseMs: number;
  /** Decides whether a lost try was the last one allowed. */
  readonly retrySchedule: readonly number[];
}

export type LeaseResult =
  /** This try owns the event: POST `event`, then record the outcome with the same token. `attempt`: this try's number. */
  | { outcome: 'leased'; job: Job; url: string; event: WebhookEvent; attempt: number; lostTry: boolean }
  | { outcome: 'skipped'; reason: SkipReason }
  /** The try whose lease expired was the last one the schedule allows: the webhook failed, nothing to POST. */
  | { outcome: 'failed'; job: Job; attempt: number; next?: WebhookEvent };

/**
 * Takes the event for one try, if `message` should lead to one now. The lease of
 * a try that never recorded its outcome is taken over once it has expired; that
 * try counts as a failed one (`LOST_TRY_ERROR`), like a worker's lost attempt, so
 * a receiver that kills every deliverer still ends `failed`. A plain lease leaves
 * `updatedAt` alone: nothing the API shows has changed.
 */
export function leaseDelivery(job: Job | undefined, message: WebhookMessage, facts: LeaseFacts, t: Timing): Decision<LeaseResult> {
  const check = checkDeliverable(job, message, t.nowMs);
  if (!check.deliver) return { result: { outcome: 'skipped', reason: check.reason } };
  let current = check.job;
  let pending = check.pending;
  const lostTry = pending.event.deliveryLease !== undefined;
  if (lostTry) {
    const attempt = pending.attempts + 1;
    if (facts.retrySchedule[attempt - 1] === undefined) {
      const { job: failed, next } = eventEnded(current, pending, { status: 'failed', attempts: attempt, lastStatusCode: null, lastError: LOST_TRY_ERROR }, t);
      return { write: failed, result: { outcome: 'failed', job: failed, attempt, next } };
    }
    pending = { ...pending, attempts: attempt, lastStatusCode: null, lastError: LOST_TRY_ERROR };
    current = touched({ ...current, webhook: pending }, t);
  }
  const event: WebhookEvent = { ...pending.event, deliveryLease: { token: facts.token, untilMs: t.nowMs + facts.leaseMs } };
  const leased: Job = { ...current, webhook: { ...pending, event } };
  return { write: leased, result: { outcome: 'leased', job: leased, url: check.url, event, attempt: pending.attempts + 1, lostTry } };
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
  /** The lease this try took (`leaseDelivery`), or the event as a first try read it (`firstTry`): see above. */
  readonly fence: TryFence;
  readonly outcome: TryOutcome;
  /** Seconds to wait after the 1st, 2nd, … failed try (`WEBHOOK_RETRY_SCHEDULE`). */
  readonly retrySchedule: readonly number[];
  /** A retry due within this many ms is re-sent to the webhooks queue now, with a delay (SQS's 900 s cap). */
  readonly dispatchWithinMs: number;
}

export type TryResult =
  /** The try no longer owns the event (its lease expired and another try took it over, or the event ended): nothing recorded. */
  | { outcome: 'stale' }
  /** `next`: an event from the backlog that is now pending; the caller enqueues it. */
  | { outcome: 'delivered'; job: Job; attempt: number; next?: WebhookEvent }
  /** Another try is due at the event's `nextAttemptAt`; `dispatch`: the caller sends it with `delayMs` now. */
  | { outcome: 'retry'; job: Job; attempt: number; delayMs: number; dispatch: boolean }
  | { outcome: 'failed'; job: Job; attempt: number; next?: WebhookEvent };

/**
 * Records the outcome of a try, and clears the lease it held. Fenced, a 2xx
 * included: a try whose lease was taken over has no say any more (the try that
 * took over records), nor has a first try once anything else recorded a try,
 * redelivered the event or leased it; so two outcomes are never recorded for one try.
 */
export function recordTry(job: Job | undefined, facts: TryFacts, t: Timing): Decision<TryResult> {
  const pending = job && pendingWebhook(job.webhook);
  if (!job || !pending || pending.event.id !== facts.eventId || !stillCounts(pending, facts.fence)) {
    return { result: { outcome: 'stale' } };
  }
  const { outcome } = facts;
  const attempt = pending.attempts + 1;
  if (outcome.kind === 'delivered') {
    const ended = { status: 'delivered', attempts: attempt, lastStatusCode: outcome.statusCode, deliveredAt: iso(t.nowMs) } as const;
    const { job: delivered, next } = eventEnded(job, pending, ended, t);
    return { write: delivered, result: { outcome: 'delivered', job: delivered, attempt, next } };
  }
  const delaySeconds = outcome.retryable ? facts.retrySchedule[attempt - 1] : undefined;
  if (delaySeconds === undefined) {
    const ended = { status: 'failed', attempts: attempt, lastStatusCode: outcome.statusCode, lastError: outcome.error } as const;
    const { job: failed, next } = eventEnded(job, pending, ended, t);
    return { write: failed, result: { outcome: 'failed', job: failed, attempt, next } };
  }
  const delayMs = delaySeconds * 1000;
  const dispatch = delayMs <= facts.dispatchWithinMs;
  const waiting = touched(
    {
      ...job,
      // Not dispatched: the sweep index holds it until `nextAttemptAt`, then the scheduler enqueues it.
      // (While the job runs again, `dispatched` is about the job's own message: left alone.)
      dispatched: isTerminal(job.status) ? dispatch : job.dispatched,
      webhook: {
        ...pending,
        attempts: attempt,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        event: { ...unleased(pending.event), nextAttemptAt: t.nowMs + delayMs },
      },
    },
    t,
  );
  return { write: waiting, result: { outcome: 'retry', job: waiting, attempt, delayMs, dispatch } };
}

function stillCounts(pending: PendingWebhook, fence: TryFence): boolean {
  const lease = pending.event.deliveryLease;
  if ('token' in fence) return lease?.token === fence.token;
  return lease === undefined && pending.attempts === fence.attempts && pending.event.nextAttemptAt === fence.nextAttemptAt;
}

/**
 * The pending event delivered or failed for good: its lease cleared. The next
 * event of the backlog, if any, becomes the pending one, due now (`next`); on a
 * finished job it counts as dispatched: the caller enqueues it, and the sweep
 * index re-sends it if that never happens.
 */
function eventEnded(
  job: Job,
  pending: PendingWebhook,
  ending: Omit<DeliveredWebhook, 'event'> | Omit<FailedWebhook, 'event'>,
  t: Timing,
): { job: Job; next?: WebhookEvent } {
  const event: WebhookEvent = { ...unleased(pending.event), nextAttemptAt: null };
  const [queued, ...rest] = pending.backlog;
  if (queued) {
    const next: WebhookEvent = { ...queued, nextAttemptAt: t.nowMs };
    return { job: touched({ ...job, dispatched: isTerminal(job.status) ? true : job.dispatched, webhook: freshDelivery(next, rest) }, t), next };
  }
  const webhook: DeliveredWebhook | FailedWebhook = { ...ending, event };
  return { job: touched({ ...job, dispatched: isTerminal(job.status) ? false : job.dispatched, webhook }, t) };
}

function unleased(event: WebhookEvent): WebhookEvent {
  const { deliveryLease: _ended, ...rest } = event;
  return rest;
}
