/**
 * Backoff (SPEC §4): exponential with full jitter, never below 1 s, capped at
 * the maximum, a failure's minimum delay (Retry-After) honoured up to the cap.
 * A pure function: the random draw is an argument, so every case is exact.
 */
import fc from 'fast-check';
import { backoffDelayMs, MIN_RETRY_DELAY_MS } from '../../../lambdas/jobs/backoff';

const DEFAULTS = { baseMs: 2000, maxMs: 3_600_000 };

describe('backoffDelayMs', () => {
  it.each([
    // attempt, random, expected: random · min(max, base · 2^(attempt − 1)), floored at 1 s
    [1, 0.999, 1998],
    [1, 0.5, 1000],
    [2, 0.5, 2000],
    [3, 0.5, 4000],
    [5, 1, 32_000],
    [10, 0.5, 512_000],
    [12, 1, 3_600_000],
  ])('attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(backoffDelayMs(attempt, DEFAULTS, random)).toBe(expected);
  });

  it('never waits less than 1 s, even with a tiny base or a zero draw', () => {
    expect(backoffDelayMs(1, DEFAULTS, 0)).toBe(MIN_RETRY_DELAY_MS);
    expect(backoffDelayMs(1, { baseMs: 50, maxMs: 1000 }, 0.9)).toBe(1000);
  });

  it('caps the exponential at the maximum delay, however many attempts', () => {
    expect(backoffDelayMs(25, DEFAULTS, 1)).toBe(3_600_000);
    expect(backoffDelayMs(1000, DEFAULTS, 1)).toBe(3_600_000);
    expect(backoffDelayMs(Number.MAX_SAFE_INTEGER, DEFAULTS, 0.5)).toBe(1_800_000);
  });

  it('honours a minimum delay (Retry-After) above the jittered delay', () => {
    expect(backoffDelayMs(1, DEFAULTS, 0.5, 120_000)).toBe(120_000);
  });

  it('keeps the jittered delay when it is already above the minimum', () => {
    expect(backoffDelayMs(10, DEFAULTS, 0.5, 5000)).toBe(512_000);
  });

  it('honours a minimum delay only up to the maximum', () => {
    expect(backoffDelayMs(1, DEFAULTS, 0, 86_400_000)).toBe(3_600_000);
    expect(backoffDelayMs(1, { baseMs: 50, maxMs: 1500 }, 0, 1_200_000)).toBe(1500);
  });

  it('treats attempt 0 or less as the first attempt, and clamps draws outside [0, 1]', () => {
    expect(backoffDelayMs(0, DEFAULTS, 1)).toBe(2000);
    expect(backoffDelayMs(-3, DEFAULTS, 1)).toBe(2000);
    expect(backoffDelayMs(3, DEFAULTS, 7)).toBe(8000);
    expect(backoffDelayMs(3, DEFAULTS, -1)).toBe(MIN_RETRY_DELAY_MS);
  });

  it('stays within [max(1 s, min(minDelay, max)), max(1 s, min(max, base · 2^(n−1)))] for any input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.integer({ min: 0, max: 86_400_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 0, max: 200_000_000 }),
        (attempt, baseMs, extraMs, random, minDelayMs) => {
          const policy = { baseMs, maxMs: baseMs + extraMs };
          const delay = backoffDelayMs(attempt, policy, random, minDelayMs);
          const ceiling = Math.min(policy.maxMs, baseMs * 2 ** (attempt - 1));
          const floor = Math.max(MIN_RETRY_DELAY_MS, Math.min(minDelayMs, policy.maxMs));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(floor);
          expect(delay).toBeLessThanOrEqual(Math.max(floor, ceiling));
        },
      ),
    );
  });

  it('spreads draws over the whole range (full jitter), not around a point', () => {
    const delays = Array.from({ length: 1000 }, (_, i) => backoffDelayMs(8, DEFAULTS, i / 1000));
    const ceiling = 2000 * 2 ** 7;
    expect(Math.min(...delays)).toBe(MIN_RETRY_DELAY_MS);
    expect(Math.max(...delays)).toBeGreaterThan(0.99 * ceiling);
    // Deciles are evenly filled: the draw maps linearly onto [0, ceiling).
    const perDecile = new Array(10).fill(0);
    for (const d of delays) perDecile[Math.min(9, Math.floor((d / ceiling) * 10))]++;
    expect(perDecile.every((n) => n === 100)).toBe(true);
  });
});
