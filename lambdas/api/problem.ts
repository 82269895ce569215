/**
 * RFC 9457 problem documents (SPEC §3 "Errors"). An `HttpProblem` thrown anywhere
 * in a request becomes the response; anything else becomes a 500 whose detail
 * never leaks internals.
 */
import { STATUS_CODES } from 'node:http';
import type { FieldProblem } from '../jobs/submission';

export type ProblemCode =
  | 'invalid_json'
  | 'validation_failed'
  | 'unknown_job_type'
  | 'invalid_webhook_url'
  | 'invalid_target_url'
  | 'invalid_idempotency_key'
  | 'invalid_cursor'
  | 'forbidden'
  | 'job_not_found'
  | 'not_found'
  | 'method_not_allowed'
  | 'job_not_cancelable'
  | 'job_not_retryable'
  | 'job_not_deletable'
  | 'webhook_not_redeliverable'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'idempotency_key_reused'
  | 'rate_limited'
  | 'internal_error'
  | 'service_unavailable'
  // The HTTP front's own answers to bytes that are not HTTP it can read (README: what the front door refuses).
  | 'malformed_request'
  | 'uri_too_long'
  | 'headers_too_large'
  | 'request_timeout';

export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extras: { errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export interface ProblemDocument {
  type: 'about:blank';
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  requestId: string;
  errors?: FieldProblem[];
}

export function problemDocument(problem: HttpProblem, requestId: string): ProblemDocument {
  return {
    type: 'about:blank',
    title: STATUS_CODES[problem.status] ?? 'Error',
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    requestId,
    ...(problem.extras.errors ? { errors: problem.extras.errors } : {}),
  };
}

export const validationFailed = (errors: FieldProblem[]) =>
  new HttpProblem(400, 'validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; ').slice(0, 1000), { errors });

export const jobNotFound = () => new HttpProblem(404, 'job_not_found', 'No such job.');
