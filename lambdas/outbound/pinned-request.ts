/**
 * One outbound HTTP(S) request to a tenant-chosen URL, made safe against SSRF:
 * static check → resolve and check every address → connect to exactly the
 * checked address. Pinning closes the DNS-rebinding gap: a name that resolved
 * to a public address for the check cannot resolve to 127.0.0.1 for the
 * connect, because the connect never asks DNS again. TLS still uses the
 * original hostname for SNI and certificate verification, and the Host header
 * is always the URL's host.
 *
 * Redirects are never followed (SPEC §5, §6): a 3xx is returned to the caller,
 * whose rules make it fatal or a failed delivery. Following one would need the
 * whole guard again for the new URL, and buys tenants nothing.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { InvalidRequestError, NetworkError, OutboundError, RequestTimeoutError, UnsafeTargetError } from './errors';
import { checkUrlStatic, resolveSafeAddress, type Resolver, type UrlPolicy } from './url-guard';

export interface PinnedRequest {
  url: string | URL;
  method: string;
  /** Sent as given, except `host`: the Host header is always the URL's host. */
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Deadline for the whole request: DNS, connect, TLS, response head and body. */
  timeoutMs: number;
  policy: UrlPolicy;
  /** @default systemResolver */
  resolver?: Resolver;
  /** Response body bytes kept; the rest is dropped and `truncated` set. @default 65536 */
  maxResponseBytes?: number;
  /** Ends the request early (its connection closed) when aborted, e.g. when the job attempt's time is up. */
  signal?: AbortSignal;
}

export interface PinnedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The kept bytes as UTF-8. */
  body: string;
  truncated: boolean;
  durationMs: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/** setTimeout's ceiling; a larger delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Node codes of errors raised while building a request: its method or headers are unusable. */
const INVALID_REQUEST_CODES = new Set([
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_UNESCAPED_CHARACTERS',
]);

/**
 * Sends one request to a URL that passes the guard, connected to the address
 * that was checked.
 *
 * @throws UnsafeTargetError the URL or an address it resolves to is not allowed (nothing was sent)
 * @throws RequestTimeoutError the deadline passed
 * @throws NetworkError DNS failure, connection refused or reset, TLS failure, broken response
 * @throws InvalidRequestError the method, a header or the timeout is unusable
 */
export async function sendPinnedRequest(req: PinnedRequest): Promise<PinnedResponse> {
  const started = performance.now();
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0 || req.timeoutMs > MAX_TIMER_MS) {
    throw new InvalidRequestError(`timeoutMs must be between 1 and ${MAX_TIMER_MS}`);
  }
  const check = checkUrlStatic(typeof req.url === 'string' ? req.url : req.url.href, req.policy);
  if (!check.ok) throw new UnsafeTargetError(check.reason);
  const url = check.url;
  const maxResponseBytes = req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  return new Promise<PinnedResponse>((resolve, reject) => {
    let settled = false;
    let request: http.ClientRequest | undefined;

    const settle = (outcome: { response: PinnedResponse } | { error: OutboundError }, closeConnection: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      if (closeConnection) request?.destroy();
      if ('response' in outcome) resolve(outcome.response);
      else reject(outcome.error);
    };
    const fail = (error: OutboundError): void => settle({ error }, true);

    const timer = setTimeout(() => fail(new RequestTimeoutError(req.timeoutMs)), req.timeoutMs);
    const onAbort = () => fail(new NetworkError('request aborted by the caller', { code: 'ABORT_ERR' }));
    if (req.signal?.aborted) {
      onAbort();
      return;
    }
    req.signal?.addEventListener('abort', onAbort, { once: true });

    resolveSafeAddress(url, req.policy, req.resolver).then(
      (pinned) => {
        if (settled) return; // the deadline passed while resolving
        try {
          request = openRequest(url, req, pinned);
        } catch (error) {
          fail(toOutboundError(error, url));
          return;
        }
        request.on('error', (error) => fail(toOutboundError(error, url)));
        request.on('response', (response) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          const respond = (truncated: boolean): void =>
            settle(
              {
                response: {
                  status: response.statusCode ?? 0,
                  headers: { ...response.headers },
                  body: Buffer.concat(chunks).toString('utf8'),
                  truncated,
                  durationMs: Math.round(performance.now() - started),
                },
              },
              truncated,
            );
          response.on('data', (chunk: Buffer) => {
            const room = maxResponseBytes - kept;
            if (chunk.length > room) {
              // Stop reading at the cap: a target streaming without end must not
              // hold the worker until the deadline.
              chunks.push(chunk.subarray(0, room));
              kept = maxResponseBytes;
              respond(true);
              return;
            }
            chunks.push(chunk);
            kept += chunk.length;
          });
          response.on('end', () => respond(false));
          response.on('error', (error) => fail(toOutboundError(error, url)));
          response.on('close', () => {
            if (!response.complete) fail(new NetworkError(`connection to ${url.host} closed before the response was complete`));
          });
        });
        if (req.body === undefined) request.end();
        else request.end(req.body);
      },
      (error: unknown) => fail(toOutboundError(error, url)),
    );
  });
}

function openRequest(url: URL, req: PinnedRequest, pinned: { address: string; family: 4 | 6 }): http.ClientRequest {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // fromEntries defines each header as its own key (`headers[name] = …` would drop one named `__proto__`).
  const headers: Record<string, string> = Object.fromEntries(Object.entries(req.headers).filter(([name]) => name.toLowerCase() !== 'host'));
  headers.host = url.host;
  const hasContentLength = Object.keys(headers).some((name) => name.toLowerCase() === 'content-length');
  if (req.body !== undefined && !hasContentLength) headers['content-length'] = String(Buffer.byteLength(req.body));

  const options: https.RequestOptions = {
    protocol: url.protocol,
    hostname, // kept for SNI and certificate verification; `lookup` decides where we connect
    port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method: req.method,
    headers,
    lookup: pinnedLookup(pinned),
    // A private agent per request: no pooled socket connected to an address
    // checked for another URL (or another tenant) can be reused.
    agent: false,
  };
  if (url.protocol === 'https:' && isIP(hostname) === 0) options.servername = hostname;
  return url.protocol === 'https:' ? https.request(options) : http.request(options);
}

/** A `lookup` that answers every query with the checked address, so DNS is never asked twice. */
function pinnedLookup(pinned: { address: string; family: 4 | 6 }): LookupFunction {
  return (_hostname, options, callback) => {
    // With autoSelectFamily (default since Node 20) net asks for all addresses.
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
}

const CONNECTION_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused by',
  ECONNRESET: 'connection reset by',
  EPIPE: 'connection reset by',
  ETIMEDOUT: 'connect timed out to',
  EHOSTUNREACH: 'no route to',
  ENETUNREACH: 'network unreachable for',
};

function toOutboundError(error: unknown, url: URL): OutboundError {
  if (error instanceof OutboundError) return error;
  const code = typeof (error as NodeJS.ErrnoException | undefined)?.code === 'string'
    ? (error as NodeJS.ErrnoException).code
    : undefined;
  if (code !== undefined && INVALID_REQUEST_CODES.has(code)) {
    // Node's message for these quotes the offending header value; ours never does.
    return new InvalidRequestError(`request cannot be sent: invalid method or header (${code})`, { cause: error });
  }
  if (code !== undefined && code in CONNECTION_MESSAGES) {
    return new NetworkError(`${CONNECTION_MESSAGES[code]} ${url.host}`, { code, cause: error });
  }
  if (code?.startsWith('HPE_')) {
    return new NetworkError(`invalid HTTP response from ${url.host} (${code})`, { code, cause: error });
  }
  if (code !== undefined && (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || /CERT|SELF_SIGNED|UNABLE_TO/.test(code))) {
    return new NetworkError(`TLS failed with ${url.host} (${code})`, { code, cause: error });
  }
  return new NetworkError(`request to ${url.host} failed${code ? ` (${code})` : ''}`, { code, cause: error });
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) as seconds from `nowMs`: delay-seconds or an
 * HTTP date (a past date gives 0). Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds : undefined;
  }
  // HTTP dates always name a day or month; this keeps bare numbers such as
  // "-5" or "1.5" (which Date.parse reads as years) out.
  if (!/[a-z]/i.test(text)) return undefined;
  const dateMs = Date.parse(text);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, Math.ceil((dateMs - nowMs) / 1000));
}
