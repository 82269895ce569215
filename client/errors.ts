/**
 * What the client throws. One base class; `name` set on each; `cause` passed on.
 * - JobsApiError: the service answered with an error (a problem document, SPEC §3).
 * - JobsNetworkError: no answer (connection refused, reset, DNS, a timeout). `outcomeUnknown`
 *   says the request may have reached the service and been acted on: a keyless submit,
 *   cancel, retry or delete is then never repeated by the client, and the message says so.
 * - JobsWaitTimeoutError: `waitFor` gave up before the job reached the state asked for.
 */
import type { Job, Problem, ProblemCode } from './types';

export class JobsClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobsClientError';
  }
}

export class JobsApiError extends JobsClientError {
  readonly status: number;
  /** The problem's code; `unexpected_response` when the answer was no problem document (a proxy's error page). */
  readonly code: ProblemCode | 'unexpected_response';
  readonly detail: string;
  /** The problem's `requestId`, else the response's `x-request-id`. */
  readonly requestId: string | null;
  readonly errors: NonNullable<Problem['errors']>;
  /** The problem document as received (null when the body was none). */
  readonly problem: Problem | null;
  /** `Retry-After` in seconds, when the response carried one. */
  readonly retryAfterSeconds: number | null;
  readonly method: string;
  readonly url: string;

  constructor(init: {
    status: number;
    problem: Problem | null;
    requestId: string | null;
    retryAfterSeconds: number | null;
    method: string;
    url: string;
    text?: string;
  }) {
    const problem = init.problem;
    const code = problem?.code ?? 'unexpected_response';
    const detail = problem?.detail ?? `HTTP ${init.status} without a problem document${init.text ? `: ${init.text.slice(0, 200)}` : ''}`;
    super(`${init.method} ${init.url}: ${init.status} ${code}: ${detail}`);
    this.name = 'JobsApiError';
    this.status = init.status;
    this.code = code;
    this.detail = detail;
    this.requestId = problem?.requestId ?? init.requestId;
    this.errors = problem?.errors ?? [];
    this.problem = problem;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.method = init.method;
    this.url = init.url;
  }
}

export class JobsNetworkError extends JobsClientError {
  /** True when the request may have been received and acted on (the client could not tell). */
  readonly outcomeUnknown: boolean;
  /** True when the per-request timeout ended it. */
  readonly timedOut: boolean;
  readonly method: string;
  readonly url: string;

  /** How many times it was sent. */
  readonly tries: number;
  /** What went wrong, short: `timed out`, `ECONNREFUSED`, … */
  readonly reason: string;

  constructor(init: { method: string; url: string; outcomeUnknown: boolean; timedOut: boolean; repeatable: boolean; tries: number; cause: unknown }) {
    const reason = init.timedOut ? 'timed out' : describeCause(init.cause);
    const why = init.timedOut ? 'timed out' : `failed (${reason})`;
    const tries = init.tries > 1 ? ` after ${init.tries} tries` : '';
    const outcome =
      init.outcomeUnknown && !init.repeatable
        ? '; the service may have acted on it, and it was not repeated because repeating it is not safe' +
          (init.method === 'POST' ? ' (an idempotency key makes a submit safe to repeat)' : '')
        : '';
    super(`${init.method} ${init.url} ${why}${tries}${outcome}`, { cause: init.cause });
    this.name = 'JobsNetworkError';
    this.outcomeUnknown = init.outcomeUnknown;
    this.timedOut = init.timedOut;
    this.method = init.method;
    this.url = init.url;
    this.tries = init.tries;
    this.reason = reason;
  }
}

export class JobsWaitTimeoutError extends JobsClientError {
  /** The job as last seen. */
  readonly job: Job | null;

  constructor(jobId: string, timeoutMs: number, job: Job | null) {
    super(`job ${jobId} did not reach the awaited state within ${timeoutMs} ms (last seen: ${job?.status ?? 'never'})`);
    this.name = 'JobsWaitTimeoutError';
    this.job = job;
  }
}

function describeCause(cause: unknown): string {
  // Node's fetch says "fetch failed" and puts the socket error in `cause` (duck-typed: errors may come from another realm).
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof inner?.code === 'string') return inner.code;
  if (typeof inner?.message === 'string') return inner.message;
  const message = (cause as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(cause);
}
