/**
 * Every change of a job's state, as pure functions: (job, facts) → decision.
 * The store writes a decision on condition that the job did not change since it
 * was read (SPEC §4: at-least-once delivery, at most one effect per attempt).
 */
import { randomUUID } from 'node:crypto';
import {
  ATTEMPT_HISTORY_LIMIT,
  WEBHOOK_BACKLOG_LIMIT,
  boundError,
  boundResult,
  expiryOf,
  awaitedWebhook,
  freshDelivery,
  isTerminal,
  pendingWebhook,
  toJobView,
  webhookEventOf,
  type Attempt,
  type Job,
  type WebhookEvent,
  type WebhookState,
} from './job';

/**
 * What a transition decides: write this job, delete it, or leave it and answer
 * `result`. The store carries it out (JobStore.transition), on condition that the
 * job is still the one decided on.
 */
export type Decision<R> = { write: Job; result: R } | { delete: true; result: R } | { result: R };

export interface Timing {
  readonly nowMs: number;
  readonly retentionDays: number;
}

/** Lease margin past the attempt's timeout: time to write the outcome after the handler stops. */
export const LEASE_MARGIN_MS = 5000;

/** A message that arrives this early (clock skew) still claims the job. */
const EARLY_TOLERANCE_MS = 1000;

export const iso = (ms: number) => new Date(ms).toISOString();

/** Stamps `updatedAt` and recomputes `expiresAt` (SPEC §7): every transition's last step. */
export function touched(job: Job, t: Timing): Job {
  const nextRunAtMs = job.nextRunAt ? Date.parse(job.nextRunAt) : null;
  return { ...job, updatedAt: iso(t.nowMs), expiresAt: expiryOf(t.nowMs, nextRunAtMs, t.retentionDays) };
}

function withAttempt(history: readonly Attempt[], attempt: Attempt): Attempt[] {
  const next = [...history.filter((a) => a.attempt !== attempt.attempt), attempt].sort((a, b) => a.attempt - b.attempt);
  return next.slice(-ATTEMPT_HISTORY_LIMIT);
}

function endRunningAttempt(job: Job, status: 'failed' | 'succeeded', error: string | null, nowMs: number): Attempt[] {
  const running = job.history.find((a) => a.attempt === job.attempts);
  const startedAt = running?.startedAt ?? job.updatedAt;
  return withAttempt(job.history, {
    attempt: job.attempts,
    status,
    error,
    startedAt,
    finishedAt: iso(nowMs),
    durationMs: Math.max(0, nowMs - Date.parse(startedAt)),
  });
}

/**
 * The terminal state, with a new webhook event when the job has a `webhookUrl`
 * (created in this same write, so a crash before the enqueue cannot lose it).
 * The event counts as dispatched: the caller enqueues it right after the write,
 * and the sweep index re-sends it if that never happens. If an earlier event is
 * still being delivered (the job was re-run by the retry route), the new one
 * waits behind it in the backlog, so neither is lost and they arrive in order.
 *
 * The event's body is not stored: it is this finished job's view, made again at
 * each try (`webhookBodyOf`). A backlog event stores its body (rare: a re-run
 * while an event is still being tried).
 */
function finished(job: Job, status: 'succeeded' | 'fatal', t: Timing): Job {
  const done: Job = touched({ ...job, status, nextRunAt: null, leaseUntilMs: null, finishedAt: iso(t.nowMs), dispatched: false, sentFirst: false }, t);
  if (!job.webhookUrl) return { ...done, webhook: { status: 'none' } };
  const type = status === 'succeeded' ? 'job.succeeded' : 'job.fatal';
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  const inDelivery = pendingWebhook(job.webhook);
  if (inDelivery) {
    const queued: WebhookEvent = { id, type, body: eventBody(done, type, t.nowMs, done.expiresAt), nextAttemptAt: t.nowMs };
    // Not dispatched: the sweep index brings the earlier event's next try (it may have been waiting there).
    return { ...done, webhook: { ...inDelivery, backlog: [...inDelivery.backlog, queued].slice(-WEBHOOK_BACKLOG_LIMIT) } };
  }
  return { ...done, dispatched: true, webhook: freshDelivery({ id, type, at: t.nowMs, expiresAt: done.expiresAt, nextAttemptAt: t.nowMs }) };
}

/**
 * The exact body of `event` for every try (SPEC §6: fixed when the event is
 * created): the stored one, or the finished job's view made again. That view
 * is a pure function of the job as `finished` wrote it: the webhook's own
 * writes change only `webhook`, `updatedAt`, `expiresAt` and `dispatched`, and
 * the body takes those from the event (`at`, `expiresAt`; the webhook as a
 * fresh event's, pending and not tried); nothing else changes a finished job
 * but the retry route, which writes the body out first (`retry`).
 */
export function webhookBodyOf(job: Job, event: WebhookEvent): string {
  if (event.body !== undefined) return event.body;
  if (event.at === undefined || event.expiresAt === undefined) throw new Error(`webhook event ${event.id} has neither a body nor what makes it`);
  return eventBody(job, event.type, event.at, event.expiresAt);
}

function eventBody(job: Job, type: WebhookEvent['type'], atMs: number, expiresAt: number): string {
  const at = iso(atMs);
  // The body shows the webhook as a fresh event's: pending, not tried yet.
  const shown: Job = { ...job, updatedAt: at, expiresAt, webhook: awaitedWebhook(job.webhookUrl) };
  return JSON.stringify({ type, timestamp: at, data: toJobView(shown, { withPayload: false }) });
}

/** The event with its body stored, for a job about to stop being the finished job that makes it. */
function withStoredBody(job: Job, event: WebhookEvent): WebhookEvent {
  if (event.body !== undefined) return event;
  const { at: _at, expiresAt: _expiresAt, ...rest } = event;
  return { ...rest, body: webhookBodyOf(job, event) };
}

// ---------------------------------------------------------------------------
// Worker: claim and finish

export type ClaimResult =
  | { outcome: 'claimed'; job: Job; lostAttempt?: number }
  | { outcome: 'missing' | 'finished' }
  /** Running under another delivery's live lease, until `leaseUntilMs`. */
  | { outcome: 'busy'; leaseUntilMs: number }
  | { outcome: 'not-due'; dueInMs: number }
  /** The expired lease used up the last attempt: the job is now fatal. */
  | { outcome: 'lease-expired-fatal'; job: Job };

/**
 * `queued|retry → running` (attempts + 1, lease), or take over a running job
 * whose lease expired: the lost attempt is recorded as failed (`lease expired`)
 * and counts; the job runs again if attempts remain, else it is fatal.
 */
export function claim(job: Job | undefined, leaseMs: number, t: Timing): Decision<ClaimResult> {
  if (!job) return { result: { outcome: 'missing' } };
  if (isTerminal(job.status)) return { result: { outcome: 'finished' } };
  let current = job;
  let lostAttempt: number | undefined;
  if (job.status === 'running') {
    const leaseUntilMs = job.leaseUntilMs ?? 0;
    if (leaseUntilMs > t.nowMs) return { result: { outcome: 'busy', leaseUntilMs } };
    lostAttempt = job.attempts;
    current = { ...job, history: endRunningAttempt(job, 'failed', 'lease expired', t.nowMs), lastError: 'lease expired' };
    if (current.attempts >= current.attemptLimit) {
      const fatal = finished(current, 'fatal', t);
      return { write: fatal, result: { outcome: 'lease-expired-fatal', job: fatal } };
    }
  } else {
    const dueInMs = Date.parse(job.nextRunAt ?? job.updatedAt) - t.nowMs;
    if (dueInMs > EARLY_TOLERANCE_MS) return { result: { outcome: 'not-due', dueInMs } };
  }
  const attempt = current.attempts + 1;
  const running: Job = touched(
    {
      ...current,
      status: 'running',
      attempts: attempt,
      nextRunAt: null,
      leaseUntilMs: t.nowMs + leaseMs,
      dispatched: false,
      sentFirst: false,
      history: withAttempt(current.history, runningAttempt(attempt, t.nowMs)),
    },
    t,
  );
  return { write: running, result: { outcome: 'claimed', job: running, ...(lostAttempt ? { lostAttempt } : {}) } };
}

function runningAttempt(attempt: number, nowMs: number): Attempt {
  return { attempt, status: 'running', error: null, startedAt: iso(nowMs), finishedAt: null, durationMs: null };
}

/**
 * The claim of a waiting job as the attributes one conditional update sets,
 * for the store to write without reading the job first (JobStore.claimInPlace).
 * It is `claim` for a job that is `queued|retry` with `attempts` attempts,
 * due by `dueBy`, not expired, with room for one more attempt record and no
 * webhook event pending: the store's condition checks exactly that, and any
 * other job goes through `claim` after a read.
 */
export interface InPlaceClaim {
  readonly attempts: number;
  readonly attempt: Attempt;
  readonly leaseUntilMs: number;
  readonly updatedAt: string;
  readonly expiresAt: number;
  /** ISO: the latest `nextRunAt` that is due now (EARLY_TOLERANCE_MS ahead). */
  readonly dueBy: string;
  readonly nowSeconds: number;
  readonly historyLimit: number;
}

export function inPlaceClaim(attempts: number, leaseMs: number, t: Timing): InPlaceClaim {
  return {
    attempts: attempts + 1,
    attempt: runningAttempt(attempts + 1, t.nowMs),
    leaseUntilMs: t.nowMs + leaseMs,
    updatedAt: iso(t.nowMs),
    expiresAt: expiryOf(t.nowMs, null, t.retentionDays),
    dueBy: iso(t.nowMs + EARLY_TOLERANCE_MS),
    nowSeconds: Math.floor(t.nowMs / 1000),
    historyLimit: ATTEMPT_HISTORY_LIMIT,
  };
}

export type AttemptOutcome =
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'retryable'; error: string; delayMs: number }
  | { kind: 'fatal'; error: string };

export type FinishResult = { outcome: 'lost' } | { outcome: 'succeeded' | 'retry' | 'fatal'; job: Job };

/**
 * Ends attempt `attempt`, fenced: only if the job is still running that very
 * attempt. `dispatchWithinMs`: a retry due within it is handed to SQS by the
 * caller right away. `sent` says how: undefined, after this write (it counts as
 * dispatched, on the sweep index in case the send is lost); true, its message
 * was sent before this write (`sentFirst`, no entry); false, that send failed
 * (on the sweep index, due for the scheduler to send it).
 */
export function finishAttempt(
  job: Job | undefined,
  attempt: number,
  outcome: AttemptOutcome,
  dispatchWithinMs: number,
  t: Timing,
  sent?: boolean,
): Decision<FinishResult> {
  if (!job || job.status !== 'running' || job.attempts !== attempt) return { result: { outcome: 'lost' } };
  if (outcome.kind === 'succeeded') {
    const done = finished(
      { ...job, result: boundResult(outcome.result), lastError: null, history: endRunningAttempt(job, 'succeeded', null, t.nowMs) },
      'succeeded',
      t,
    );
    return { write: done, result: { outcome: 'succeeded', job: done } };
  }
  const error = boundError(outcome.error);
  const failed: Job = { ...job, lastError: error, history: endRunningAttempt(job, 'failed', error, t.nowMs) };
  if (outcome.kind === 'fatal' || job.attempts >= job.attemptLimit) {
    const done = finished(failed, 'fatal', t);
    return { write: done, result: { outcome: 'fatal', job: done } };
  }
  const dispatchNow = outcome.delayMs <= dispatchWithinMs;
  const waiting: Job = touched(
    {
      ...failed,
      status: 'retry',
      leaseUntilMs: null,
      nextRunAt: iso(t.nowMs + outcome.delayMs),
      ...handedOn(dispatchNow, sent),
    },
    t,
  );
  return { write: waiting, result: { outcome: 'retry', job: waiting } };
}

/** Where a wait stands with SQS: see `finishAttempt`'s `sent`. */
function handedOn(dispatchNow: boolean, sent: boolean | undefined): Pick<Job, 'dispatched' | 'sentFirst'> {
  if (!dispatchNow) return { dispatched: false, sentFirst: false };
  if (sent === undefined) return { dispatched: true, sentFirst: false };
  return { dispatched: sent, sentFirst: sent };
}

/**
 * Hands a running attempt back without counting it (the local twin shutting
 * down mid-attempt): the job waits again, due now, its message re-sent by the
 * caller (`sent` as for finishAttempt). Fenced like finishAttempt; the handler
 * may have had effects, which the target can recognise by the job's stable
 * Idempotency-Key.
 */
export function releaseAttempt(job: Job | undefined, attempt: number, t: Timing, sent?: boolean): Decision<{ released: boolean }> {
  if (!job || job.status !== 'running' || job.attempts !== attempt) return { result: { released: false } };
  const waiting = touched(
    {
      ...job,
      status: attempt > 1 ? 'retry' : 'queued',
      attempts: attempt - 1,
      leaseUntilMs: null,
      nextRunAt: iso(t.nowMs),
      ...handedOn(true, sent),
      history: job.history.filter((a) => a.attempt !== attempt),
    },
    t,
  );
  return { write: waiting, result: { released: true } };
}

// ---------------------------------------------------------------------------
// API actions (SPEC §3.5). Each answers with the state it found when it cannot act.

export type ActionResult = { ok: true; job: Job } | { ok: false; job: Job | undefined };

export function cancel(job: Job | undefined, t: Timing): Decision<ActionResult> {
  if (!job || (job.status !== 'queued' && job.status !== 'retry')) return { result: { ok: false, job } };
  // A canceled job sends no webhook of its own: say so rather than leave it "pending" (the retry route re-arms it).
  const canceled = touched(
    {
      ...job,
      status: 'canceled',
      nextRunAt: null,
      leaseUntilMs: null,
      dispatched: false,
      sentFirst: false,
      finishedAt: iso(t.nowMs),
      // An earlier run's event still being tried goes on being tried (the job was re-run by the retry route).
      webhook: pendingWebhook(job.webhook) ?? { status: 'none' },
    },
    t,
  );
  return { write: canceled, result: { ok: true, job: canceled } };
}

/** `fatal|canceled → queued`, due now, with `maxAttempts` more attempts; the caller enqueues it. */
export function retry(job: Job | undefined, t: Timing): Decision<ActionResult> {
  if (!job || (job.status !== 'fatal' && job.status !== 'canceled')) return { result: { ok: false, job } };
  const queued = touched(
    {
      ...job,
      status: 'queued',
      nextRunAt: iso(t.nowMs),
      leaseUntilMs: null,
      attemptLimit: job.attempts + job.maxAttempts,
      finishedAt: null,
      result: null,
      dispatched: true,
      sentFirst: false,
      // An event still being delivered goes on being delivered while the job runs again, its body written out:
      // the job no longer is the finished one it was made from.
      webhook: retainedWebhook(job),
    },
    t,
  );
  return { write: queued, result: { ok: true, job: queued } };
}

function retainedWebhook(job: Job): WebhookState {
  const pending = pendingWebhook(job.webhook);
  return pending ? { ...pending, event: withStoredBody(job, pending.event) } : awaitedWebhook(job.webhookUrl);
}

/** `DELETE /v1/jobs/{jobId}`: a finished job is deleted now, not at retention's end (its idempotency key becomes free). */
export function deleteFinished(job: Job | undefined): Decision<ActionResult> {
  if (!job || !isTerminal(job.status)) return { result: { ok: false, job } };
  return { delete: true, result: { ok: true, job } };
}

/** Sends the terminal event again: same `webhook-id`, a fresh delivery schedule. */
export function redeliverWebhook(job: Job | undefined, t: Timing): Decision<ActionResult> {
  const event = job && webhookEventOf(job.webhook);
  if (!job || (job.status !== 'succeeded' && job.status !== 'fatal') || !job.webhookUrl || !event) {
    return { result: { ok: false, job } };
  }
  const pending = touched(
    {
      ...job,
      dispatched: true,
      webhook: freshDelivery({ ...event, nextAttemptAt: t.nowMs }, pendingWebhook(job.webhook)?.backlog),
    },
    t,
  );
  return { write: pending, result: { ok: true, job: pending } };
}
