/**
 * One HTTP exchange with the API, repeated as ./retry-policy.ts allows: a
 * timeout per try, the caller's AbortSignal on every try and every pause, the
 * problem document turned into a JobsApiError. Only `fetch`, `AbortSignal` and
 * `URL` are used, so the same code runs on Node ≥ 20 and in browsers.
 */
import { JobsApiError, JobsNetworkError } from './errors';
import { decideRetry, parseRetryAfter, type RetryOptions, type TryOutcome } from './retry-policy';
import type { Problem } from './types';

export interface TransportOptions {
  /** The API's base URL, stage prefix included on AWS (`https://….execute-api….amazonaws.com/prod`). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Per try. @default 10000 */
  readonly timeoutMs?: number;
  /** `false`: never repeat a request. */
  readonly retry?: RetryOptions | false;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Uniform in [0, 1), for the jitter. @default Math.random */
  readonly random?: () => number;
  /** Waits `ms` unless `signal` aborts first (then rejects with its reason). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each repeat: logs, a CLI's "retrying…". */
  readonly onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  readonly method: string;
  readonly url: string;
  /** The try that just failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: JobsApiError | JobsNetworkError;
}

/** Per call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** Per try; overrides the client's. */
  readonly timeoutMs?: number;
}

export interface Call extends CallOptions {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Safe to repeat after an unknown outcome (see ./retry-policy.ts). */
  readonly idempotent: boolean;
  /** Send without the API key (the public OpenAPI document). */
  readonly public?: boolean;
}

export interface Reply<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** Socket errors that mean the connection was never made, so the service saw nothing. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

export class Transport {
  private readonly baseUrl: string;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  urlOf(path: string, query?: Call['query']): string {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  async send<T>(call: Call): Promise<Reply<T>> {
    const url = this.urlOf(call.path, call.query);
    const fetchImpl = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const sleep = this.options.sleep ?? abortableSleep;
    const retry = this.options.retry === false ? { maxAttempts: 1 } : this.options.retry;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...call.headers };
    if (!call.public) headers['x-api-key'] = this.options.apiKey;
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    for (let attempt = 1; ; attempt++) {
      call.signal?.throwIfAborted();
      const timeout = AbortSignal.timeout(call.timeoutMs ?? this.options.timeoutMs ?? 10_000);
      const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
      let outcome: TryOutcome;
      let failure: JobsApiError | JobsNetworkError;
      try {
        const response = await fetchImpl(url, { method: call.method, headers, body, signal });
        const text = await response.text();
        if (response.ok) return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
        const problem = problemOf(text);
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        failure = new JobsApiError({
          status: response.status,
          problem,
          requestId: response.headers.get('x-request-id'),
          retryAfterSeconds: retryAfterMs === null ? null : Math.ceil(retryAfterMs / 1000),
          method: call.method,
          url,
          text,
        });
        outcome = { kind: 'response', status: response.status, problemCode: problem?.code, retryAfterMs };
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        const timedOut = timeout.aborted;
        const sent = timedOut || !NOT_CONNECTED.has(socketErrorCode(error) ?? '');
        outcome = { kind: 'network', sent };
        failure = new JobsNetworkError({ method: call.method, url, outcomeUnknown: sent, timedOut, repeatable: call.idempotent, tries: attempt, cause: error });
      }
      const decision = decideRetry(outcome, call, attempt, retry, this.options.random);
      if (!decision.retry) throw failure;
      this.options.onRetry?.({ method: call.method, url, attempt, delayMs: decision.delayMs, error: failure });
      await sleep(decision.delayMs, call.signal);
    }
  }
}

/** The problem document in `text`, or null when it is none (an empty body, a proxy's HTML page). */
function problemOf(text: string): Problem | null {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as Problem).code === 'string' && typeof (parsed as Problem).status === 'number') return parsed as Problem;
  } catch {
    // not JSON
  }
  return null;
}

/** The socket error's code under Node's "fetch failed" (duck-typed: the error may come from another realm). */
function socketErrorCode(error: unknown): string | undefined {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
