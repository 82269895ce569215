/**
 * `http`: one HTTP request from the worker to a tenant's URL (SPEC §5).
 *
 * The request goes through the SSRF guard and is pinned to the checked address
 * (lambdas/outbound/pinned-request.ts); redirects are not followed. Every request
 * is signed the Standard Webhooks way with the tenant's secret and carries
 * `Idempotency-Key: <jobId>`, the same on every attempt, so the target can drop
 * repeats of an attempt that did reach it.
 *
 * Decisions:
 * - GET with a body is rejected at submit: RFC 9110 gives it no meaning, and
 *   many servers, proxies and CDNs drop or refuse it. DELETE may carry a body
 *   (RFC 9110 allows it and real APIs use it). `body: null` means no body.
 * - A body that is not a string is sent as JSON, with `content-type:
 *   application/json` unless the client set a content type.
 * - `webhook-id` is `<jobId>.attempt-<n>`: one id per attempt, as each attempt is
 *   a separate request with its own timestamp; repeats across attempts are
 *   what `Idempotency-Key` is for. The `attempt-` word keeps these ids apart
 *   from the job's own completion-webhook event ids.
 * - Defaults (`method`, `timeoutSeconds`) are applied here rather than with zod
 *   `.default()`, so the served JSON Schema shows those fields as optional.
 * - Nothing from the request or response (URL, headers, bodies) is logged.
 */
import * as z from '../zod';
import { FatalJobError, JobError, JobTimeoutError, RetryableJobError } from '../jobs/errors';
import { boundError, RESULT_LIMIT_BYTES } from '../jobs/job';
import { InvalidRequestError, OutboundError, UnsafeTargetError } from '../outbound/errors';
import type { PinnedResponse } from '../outbound/pinned-request';
import { signWebhook } from '../outbound/signer';
import type { JobContext, JobType } from './job-type';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const DEFAULT_METHOD = 'POST';
const DEFAULT_TIMEOUT_SECONDS = 10;
const USER_AGENT = 'JobsService/1';

/** Headers a client may not set: hop-by-hop, framing, and the ones this service sets itself. */
const FORBIDDEN_HEADERS = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'idempotency-key',
  'x-job-id',
  'x-job-attempt',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
]);
const MAX_HEADERS = 50;
const MAX_HEADER_VALUE_LENGTH = 8192;
/** RFC 9110 §5.6.2 token. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;
/** What Node accepts in a header value: tab, visible ASCII, space and Latin-1 (no CR, LF or other controls). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * A custom schema rather than `z.record`: a record's output is a copy that drops
 * a key named `__proto__`, which would then go unchecked yet be sent (the
 * handler gets the payload as submitted). This one checks the object itself.
 */
const HeadersSchema = z.withMeta(
  z
    .custom<Record<string, string>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
      message: 'must be an object of header names to values',
    })
    .check(
      z.superRefine((headers, ctx) => {
        const names = Object.keys(headers);
        if (names.length > MAX_HEADERS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_HEADERS} headers` });
        const seen = new Set<string>();
        for (const name of names) {
          const lower = name.toLowerCase();
          const value: unknown = headers[name];
          const problem =
            typeof value !== 'string'
              ? 'must be a string'
              : !HEADER_NAME.test(name)
                ? 'not a valid header name'
                : FORBIDDEN_HEADERS.has(lower) || lower.startsWith('proxy-')
                  ? `header ${name} may not be set (hop-by-hop, framing, or set by the service)`
                  : seen.has(lower)
                    ? `header ${name} is given twice (names are case-insensitive)`
                    : !HEADER_VALUE.test(value)
                      ? 'header values must be one line of printable Latin-1 text'
                      : value.length > MAX_HEADER_VALUE_LENGTH
                        ? `header values must be at most ${MAX_HEADER_VALUE_LENGTH} characters`
                        : undefined;
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, path: [name] });
          seen.add(lower);
        }
      }),
    ),
  { type: 'object', additionalProperties: { type: 'string' } },
);

export const HttpPayloadSchema = z
  .strictObject({
    // Length and the other URL rules: the URL guard at submit (invalid_target_url).
    url: z.withMeta(z.string().check(z.minLength(1)), { description: 'Target URL (https; see the URL rules).' }),
    method: z.withMeta(z.optional(z.enum(HTTP_METHODS)), { default: DEFAULT_METHOD }),
    headers: z.withMeta(z.optional(HeadersSchema), { description: 'Extra request headers (no hop-by-hop, host or service headers).' }),
    body: z.withMeta(z.optional(z.unknown()), {
      description: 'A string is sent as is; any other JSON value is sent as JSON. null means no body. Not allowed with GET.',
    }),
    timeoutSeconds: z.withMeta(z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(30))), { default: DEFAULT_TIMEOUT_SECONDS }),
  })
  .check(
    z.refine((p) => !(p.method === 'GET' && p.body !== undefined && p.body !== null), {
      message: 'a GET request cannot have a body',
      path: ['body'],
    }),
  );
export type HttpPayload = z.infer<typeof HttpPayloadSchema>;

/**
 * The transport: pinned sockets, the SSRF guard with its CIDR tables, and
 * ipaddr.js (≈ 25 KB). Loaded by the first `http` job, not at every cold start
 * of the worker, whose jobs may be of any type.
 */
const transport = () => import('../outbound/pinned-request');

export interface HttpResult {
  status: number;
  body: string;
  /** Present when the response body was cut to keep the result within 4 KiB. */
  truncated?: true;
}

export const httpJobType: JobType<HttpPayload> = {
  type: 'http',
  description:
    'Makes one signed HTTP request. 2xx succeeds; 408, 429, 5xx and network errors are retried; other statuses are fatal. Redirects are not followed.',
  schema: HttpPayloadSchema,
  targetUrl: (payload) => payload.url,

  async handle(payload, ctx) {
    const body = encodeBody(payload.body);
    const headers = requestHeaders(payload, body, ctx);
    const { parseRetryAfter, sendPinnedRequest } = await transport();
    let response: PinnedResponse;
    try {
      response = await untilAborted(ctx, () =>
        sendPinnedRequest({
          url: payload.url,
          method: payload.method ?? DEFAULT_METHOD,
          headers,
          body: body?.text,
          timeoutMs: Math.max(1, Math.min((payload.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000, ctx.timeoutMs)),
          policy: { allowPrivate: ctx.allowPrivateTargets },
          // Only what fits in the result is ever kept.
          maxResponseBytes: RESULT_LIMIT_BYTES,
          // The attempt's end (timeout or shutdown) closes the connection too.
          signal: ctx.signal,
        }),
      );
    } catch (error) {
      throw toJobError(error);
    }
    ctx.logger.debug('http job response', { status: response.status, durationMs: response.durationMs });
    return outcomeOf(response, parseRetryAfter);
  },
};

function encodeBody(body: unknown): { text: string; json: boolean } | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return { text: body, json: false };
  return { text: JSON.stringify(body), json: true };
}

function requestHeaders(payload: HttpPayload, body: { text: string; json: boolean } | undefined, ctx: JobContext): Record<string, string> {
  const headers: Record<string, string> = { ...payload.headers };
  const given = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!given.has('user-agent')) headers['user-agent'] = USER_AGENT;
  if (body?.json && !given.has('content-type')) headers['content-type'] = 'application/json';
  return {
    ...headers,
    'Idempotency-Key': ctx.jobId,
    'x-job-id': ctx.jobId,
    'x-job-attempt': String(ctx.attempt),
    ...signatureHeaders(body?.text ?? '', ctx),
  };
}

/** An unsigned request would be indistinguishable from a forgery: without a usable secret, nothing is sent. */
function signatureHeaders(body: string, ctx: JobContext): Record<string, string> {
  if (ctx.signingSecrets.length === 0) throw new FatalJobError('cannot sign the request: the tenant has no webhook secret');
  try {
    return {
      ...signWebhook({
        id: `${ctx.jobId}.attempt-${ctx.attempt}`,
        timestampSeconds: Math.floor(Date.now() / 1000),
        body,
        secrets: ctx.signingSecrets,
      }),
    };
  } catch (error) {
    // signWebhook's messages never include the secret.
    throw new FatalJobError(`cannot sign the request: ${(error as Error).message}`, { cause: error });
  }
}

/** SPEC §5: 2xx succeeds; 408, 429 and 5xx may heal; 3xx and other statuses will not. */
function outcomeOf(response: PinnedResponse, parseRetryAfter: Awaited<ReturnType<typeof transport>>['parseRetryAfter']): HttpResult {
  const { status } = response;
  if (status >= 200 && status <= 299) return boundedResult(status, response.body, response.truncated);
  if (status === 408 || status === 429 || (status >= 500 && status <= 599)) {
    const minDelaySeconds =
      status === 429 || status === 503 ? parseRetryAfter(firstHeader(response.headers['retry-after']), Date.now()) : undefined;
    throw new RetryableJobError(`HTTP ${status} from target`, { minDelaySeconds });
  }
  if (status >= 300 && status <= 399) throw new FatalJobError(`HTTP ${status} from target (redirects are not followed)`);
  throw new FatalJobError(`HTTP ${status} from target`);
}

/** `{ status, body }` whose JSON is at most RESULT_LIMIT_BYTES, the body cut on a character boundary if needed. */
export function boundedResult(status: number, body: string, alreadyTruncated = false): HttpResult {
  const size = (result: HttpResult) => Buffer.byteLength(JSON.stringify(result));
  if (!alreadyTruncated && size({ status, body }) <= RESULT_LIMIT_BYTES) return { status, body };
  // Escaping makes JSON size non-linear in the body, so search for the longest prefix that fits.
  const chars = Array.from(body);
  let [fits, tooLong] = [0, chars.length + 1];
  while (tooLong - fits > 1) {
    const middle = Math.floor((fits + tooLong) / 2);
    if (size({ status, body: chars.slice(0, middle).join(''), truncated: true }) <= RESULT_LIMIT_BYTES) fits = middle;
    else tooLong = middle;
  }
  return { status, body: chars.slice(0, fits).join(''), truncated: true };
}

/**
 * Ends the attempt when `ctx.signal` aborts (its timeout passed). The request
 * itself stops at its own deadline, which is never later than the attempt's.
 */
async function untilAborted<T>(ctx: JobContext, start: () => Promise<T>): Promise<T> {
  const { signal } = ctx;
  const abortError = () =>
    signal.reason instanceof JobError ? signal.reason : new JobTimeoutError(`attempt timed out after ${ctx.timeoutMs} ms`);
  if (signal.aborted) throw abortError();
  const work = start();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Outbound failures → job errors; messages stay short and carry no header values or bodies. */
function toJobError(error: unknown): Error {
  if (error instanceof JobError) return error;
  if (error instanceof UnsafeTargetError) return new FatalJobError(`target blocked: ${error.message}`, { cause: error });
  if (error instanceof InvalidRequestError) return new FatalJobError(error.message, { cause: error });
  if (error instanceof OutboundError) {
    const message = boundError(error.message);
    return error.retryable ? new RetryableJobError(message, { cause: error }) : new FatalJobError(message, { cause: error });
  }
  return new RetryableJobError('request to target failed', { cause: error });
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
