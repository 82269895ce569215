/**
 * Errors of outbound HTTP (webhook deliveries and `http` jobs).
 *
 * Every error says whether trying again later may succeed (`retryable`), so the
 * worker and the webhook deliverer can choose retry or fatal without knowing
 * how the request failed. Messages end up in attempt records and API
 * responses: they stay short and never carry stack traces, header values or
 * secrets; the underlying error travels in `cause` for logs only.
 */

/** Longest message we keep; attempt records and problem details stay small. */
const MAX_MESSAGE_LENGTH = 200;

function shortMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/** Base class: anything that went wrong making an outbound request. */
export class OutboundError extends Error {
  /** Whether the same request may succeed if tried again later. */
  public readonly retryable: boolean;

  public constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(shortMessage(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OutboundError';
    this.retryable = options.retryable;
  }
}

/**
 * The target is not allowed: bad scheme, userinfo, too long, or its host is or
 * resolves to a non-public address. Not retryable: the same URL stays blocked.
 * (A name that does not resolve at all is a {@link NetworkError}: DNS may heal.)
 */
export class UnsafeTargetError extends OutboundError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
    this.name = 'UnsafeTargetError';
  }
}

/** The whole request (DNS, connect, response body) did not finish in time. */
export class RequestTimeoutError extends OutboundError {
  public readonly timeoutMs: number;

  public constructor(timeoutMs: number, options: { cause?: unknown } = {}) {
    super(`request timed out after ${timeoutMs} ms`, { retryable: true, cause: options.cause });
    this.name = 'RequestTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The network failed: DNS lookup failed (NXDOMAIN, EAI_AGAIN…), connection
 * refused or reset, TLS handshake or certificate failure. Retryable: these are
 * often transient, and a receiver can fix its DNS or certificate.
 */
export class NetworkError extends OutboundError {
  /** Node's error code when there is one (`ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`…). */
  public readonly code: string | undefined;

  public constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { retryable: true, cause: options.cause });
    this.name = 'NetworkError';
    this.code = options.code;
  }
}

/**
 * The request itself cannot be sent as given (a method or header Node refuses,
 * such as a header value with a line break). Not retryable: it will never pass.
 */
export class InvalidRequestError extends OutboundError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { retryable: false, cause: options.cause });
    this.name = 'InvalidRequestError';
  }
}
