/**
 * Runs one attempt of a job's handler and says how it ended, as the outcome
 * `finishAttempt` takes. The attempt has a deadline: when it passes, the
 * handler's signal aborts and the attempt ends as a retryable timeout, whether
 * or not the handler listens to its signal.
 */
import type { JobContext, JobType } from '../job-types/job-type';
import { backoffDelayMs, type BackoffPolicy } from '../jobs/backoff';
import { FatalJobError, JobTimeoutError, RetryableJobError } from '../jobs/errors';
import type { AttemptOutcome } from '../jobs/transitions';

export interface AttemptSettings {
  readonly timeoutMs: number;
  /**
   * Aborted when the process is shutting down (the local twin's Ctrl-C): the
   * attempt stops and is `interrupted`, so the caller can hand the job back
   * rather than burn an attempt. (On AWS the function's own timeout plays this part.)
   */
  readonly stop?: AbortSignal;
  readonly backoff: BackoffPolicy;
  /** Draws the backoff's jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** What the handler needs besides the payload, minus what this module supplies (signal, timeout). */
export type AttemptContext = Omit<JobContext, 'signal' | 'timeoutMs'>;

/** The attempt was stopped by a shutdown before its handler finished; it does not count. */
export interface Interrupted {
  kind: 'interrupted';
}

export async function runAttempt(
  jobType: JobType<unknown>,
  payload: unknown,
  context: AttemptContext,
  settings: AttemptSettings,
): Promise<AttemptOutcome | Interrupted> {
  const parsed = jobType.schema.safeParse(payload);
  if (!parsed.success) {
    // Validated at submit; a payload that no longer fits its type (the type changed) can never run.
    return { kind: 'fatal', error: `payload no longer matches the ${jobType.type} schema` };
  }
  if (settings.stop?.aborted) return { kind: 'interrupted' };
  const abort = new AbortController();
  // Made when they happen: an Error captures its stack, which every attempt paid for twice when they were made up front.
  let interruption: Error | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeoutError = new JobTimeoutError(`attempt timed out after ${formatSeconds(settings.timeoutMs)}`);
      abort.abort(timeoutError);
      reject(timeoutError);
    }, settings.timeoutMs);
    onStop = () => {
      interruption = new Error('interrupted by shutdown');
      abort.abort(interruption);
      reject(interruption);
    };
    settings.stop?.addEventListener('abort', onStop, { once: true });
  });
  try {
    const result = await Promise.race([
      // The payload as sent, not zod's copy of it (which drops a `__proto__` key): schemas only validate.
      jobType.handle(payload, { ...context, signal: abort.signal, timeoutMs: settings.timeoutMs }),
      ended,
    ]);
    return { kind: 'succeeded', result };
  } catch (error) {
    if (interruption !== undefined && (error === interruption || (abort.signal.reason === interruption && settings.stop?.aborted))) return { kind: 'interrupted' };
    return failureOutcome(error, context.attempt, settings);
  } finally {
    clearTimeout(timer);
    if (onStop) settings.stop?.removeEventListener('abort', onStop);
  }
}

/** A thrown error → fatal or retryable (with its backoff); anything unknown may be transient. */
export function failureOutcome(error: unknown, attempt: number, settings: Pick<AttemptSettings, 'backoff' | 'random'>): AttemptOutcome {
  if (error instanceof FatalJobError) return { kind: 'fatal', error: messageOf(error) };
  const minDelayMs = error instanceof RetryableJobError ? (error.minDelaySeconds ?? 0) * 1000 : 0;
  const delayMs = backoffDelayMs(attempt, settings.backoff, (settings.random ?? Math.random)(), minDelayMs);
  return { kind: 'retryable', error: messageOf(error), delayMs };
}

/** A short message, never a stack trace (SPEC §3.4); bounded by finishAttempt. */
function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' && error.length > 0 ? error : 'the handler failed';
}

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
}
