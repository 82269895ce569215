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
  readonly backoff: BackoffPolicy;
  /** Draws the backoff's jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** What the handler needs besides the payload, minus what this module supplies (signal, timeout). */
export type AttemptContext = Omit<JobContext, 'signal' | 'timeoutMs'>;

export async function runAttempt(
  jobType: JobType<unknown>,
  payload: unknown,
  context: AttemptContext,
  settings: AttemptSettings,
): Promise<AttemptOutcome> {
  const parsed = jobType.schema.safeParse(payload);
  if (!parsed.success) {
    // Validated at submit; a payload that no longer fits its type (the type changed) can never run.
    return { kind: 'fatal', error: `payload no longer matches the ${jobType.type} schema` };
  }
  const abort = new AbortController();
  const timeoutError = new JobTimeoutError(`attempt timed out after ${formatSeconds(settings.timeoutMs)}`);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort(timeoutError);
      reject(timeoutError);
    }, settings.timeoutMs);
  });
  try {
    const result = await Promise.race([
      jobType.handle(parsed.data, { ...context, signal: abort.signal, timeoutMs: settings.timeoutMs }),
      timedOut,
    ]);
    return { kind: 'succeeded', result };
  } catch (error) {
    return failureOutcome(error, context.attempt, settings);
  } finally {
    clearTimeout(timer);
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
