/**
 * Waiting in tests (SPEC §13): never sleep for a fixed time, wait for a
 * condition with a deadline, and say which condition failed.
 */

// Taken when this module loads, before any test installs jest's fake timers: a test on the
// fake clock can still wait for real I/O (a request reaching a server) with a real deadline.
const realSetTimeout = globalThis.setTimeout;
const monotonicNow = performance.now.bind(performance);
export interface WaitOptions {
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** Pause between probes. @default 25 */
  readonly intervalMs?: number;
  /** Named in the error when the deadline passes. */
  readonly description?: string;
}

/**
 * Calls `probe` until it returns something other than `undefined`, `null` or
 * `false`, and returns that. A probe that throws is retried too (the condition
 * may not be reachable yet); the last error is reported when the deadline passes.
 */
export async function waitFor<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = monotonicNow() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (monotonicNow() >= deadline) {
      const what = options.description ?? 'condition';
      const why = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})`;
      throw new Error(`${what} not met within ${timeoutMs} ms${why}`);
    }
    await new Promise((resolve) => realSetTimeout(resolve, options.intervalMs ?? 25));
  }
}
