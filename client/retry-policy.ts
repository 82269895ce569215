/**
 * When the client repeats a request, and after how long: pure functions of the
 * request's safety, what came back, the attempt number and a random number, so
 * test/client/retry-policy.test.ts checks every rule without a clock.
 *
 * Safe to repeat (`idempotent`): reads, a submit that carries an Idempotency-Key
 * (the service answers a repeat with the job the first one created), a batch whose
 * every item carries one. Not safe: a keyless submit, cancel, retry, delete,
 * redeliver — repeated after an unknown outcome, they could create a second job or
 * answer a 409 for what the first call did.
 *
 * - Any request is repeated when the outcome is known to be "nothing happened": a 429
 *   (rate limited, refused before any work), a 503 `service_unavailable` problem
 *   (SPEC §3: nothing was kept), a connection that was never made.
 * - Only a safe request is repeated after an unknown outcome: a network error once
 *   the request may have been sent, a timeout, a 500/502/504, a 503 without the
 *   service's problem document.
 * - The delay is `Retry-After` when the answer carries one (capped: past the cap the
 *   error goes to the caller, who knows better than to block that long), else full
 *   jitter: uniform in [0, min(maxDelayMs, baseDelayMs · 2^(retry-1))).
 */

export interface RetryOptions {
  /** Tries in all, the first included; 1 turns retries off. @default 4 */
  readonly maxAttempts?: number;
  /** @default 200 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
  /** The longest `Retry-After` the client waits out itself. @default 30000 */
  readonly maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 30_000 };

/** What one try ended with. */
export type TryOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly problemCode?: string; readonly retryAfterMs?: number | null }
  /** `sent: false` only when the connection was never made (refused, no such host). */
  | { readonly kind: 'network'; readonly sent: boolean };

export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly reason: string };

const UNKNOWN_OUTCOME_STATUSES = new Set([500, 502, 503, 504]);

/** Whether `outcome` leaves the request certainly not acted on. */
export function nothingHappened(outcome: TryOutcome): boolean {
  if (outcome.kind === 'network') return !outcome.sent;
  return outcome.status === 429 || (outcome.status === 503 && outcome.problemCode === 'service_unavailable');
}

/** Whether `outcome` is worth another try at all (a 4xx other than 429 never is: it would answer the same). */
export function isTransient(outcome: TryOutcome): boolean {
  if (outcome.kind === 'network') return true;
  return outcome.status === 429 || UNKNOWN_OUTCOME_STATUSES.has(outcome.status);
}

/**
 * Decides about the next try after try number `attempt` (1-based) ended with
 * `outcome`. `random` is uniform in [0, 1).
 */
export function decideRetry(
  outcome: TryOutcome,
  request: { readonly idempotent: boolean },
  attempt: number,
  options: RetryOptions = {},
  random: () => number = Math.random,
): RetryDecision {
  const settings = { ...DEFAULT_RETRY, ...options };
  if (!isTransient(outcome)) return { retry: false, reason: 'not transient' };
  if (!request.idempotent && !nothingHappened(outcome)) return { retry: false, reason: 'outcome unknown and the request is not safe to repeat' };
  if (attempt >= settings.maxAttempts) return { retry: false, reason: `gave up after ${attempt} tries` };
  const retryAfterMs = outcome.kind === 'response' ? outcome.retryAfterMs : null;
  if (retryAfterMs !== undefined && retryAfterMs !== null) {
    if (retryAfterMs > settings.maxRetryAfterMs) return { retry: false, reason: `Retry-After ${retryAfterMs} ms is longer than ${settings.maxRetryAfterMs} ms` };
    return { retry: true, delayMs: retryAfterMs };
  }
  return { retry: true, delayMs: fullJitterDelay(attempt, settings, random) };
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, cap). */
export function fullJitterDelay(retry: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'> = {}, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const cap = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3);
 * null when absent or unreadable. A date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date has a weekday and a month name; Date.parse alone would take '-1' as a year.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}
