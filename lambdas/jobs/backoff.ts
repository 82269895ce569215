/**
 * Retry delay: exponential with full jitter (SPEC §4),
 * `random(0, min(max, base · 2^(attempt−1)))`, never below 1 s; a minimum delay
 * the failure asked for (HTTP Retry-After) is honoured up to `max`.
 * Pure: the random draw is an argument, so tests fix it.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export const MIN_RETRY_DELAY_MS = 1000;

export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: number,
  minDelayMs = 0,
): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 52);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jittered = Math.floor(Math.min(Math.max(random, 0), 1) * ceiling);
  const floor = Math.max(MIN_RETRY_DELAY_MS, Math.min(minDelayMs, policy.maxMs));
  return Math.max(jittered, floor);
}
