/**
 * RFC 9457 problem documents (SPEC §3 "Errors"), and the one catalogue of the
 * problem codes: each code's status and default detail is declared here and
 * nowhere else. The api Lambda, the CDK gateway responses (lib/jobs-api.ts),
 * the twin's gateway (local/api-gateway.ts, local/parser-refusals.ts) and the
 * OpenAPI document all read it. `title` is always the reason phrase of the
 * status (Node's `http.STATUS_CODES`), as SPEC §3 fixes.
 *
 * An `HttpProblem` thrown anywhere in a request becomes the response; anything
 * else becomes a 500 whose detail never leaks internals.
 */
import { STATUS_CODES } from 'node:http';
import type { FieldProblem } from '../jobs/submission';

export interface ProblemEntry {
  readonly status: number;
  /** What the client is told when the place that raises the problem has nothing more precise to say. */
  readonly detail: string;
}

export const PROBLEMS = {
  invalid_json: { status: 400, detail: 'The body is not valid JSON.' },
  validation_failed: { status: 400, detail: 'The request is invalid.' },
  unknown_job_type: { status: 400, detail: 'Unknown job type.' },
  invalid_webhook_url: { status: 400, detail: 'webhookUrl is not a URL this service may call.' },
  invalid_target_url: { status: 400, detail: 'payload.url is not a URL this service may call.' },
  invalid_idempotency_key: { status: 400, detail: 'Idempotency-Key must be 1..255 visible ASCII characters.' },
  invalid_cursor: { status: 400, detail: 'This cursor was not issued for this query.' },
  forbidden: { status: 403, detail: 'A valid x-api-key header is required.' },
  job_not_found: { status: 404, detail: 'No such job.' },
  not_found: { status: 404, detail: 'No such route.' },
  method_not_allowed: { status: 405, detail: 'The route does not have this method.' },
  job_not_cancelable: { status: 409, detail: 'Only a queued or retry job can be canceled.' },
  job_not_retryable: { status: 409, detail: 'Only a fatal or canceled job can be retried.' },
  job_not_deletable: { status: 409, detail: 'A waiting or running job cannot be deleted; cancel it first.' },
  webhook_not_redeliverable: { status: 409, detail: 'The job is not finished or has no webhookUrl.' },
  payload_too_large: { status: 413, detail: 'The request body is too large.' },
  unsupported_media_type: { status: 415, detail: 'Send the body as application/json.' },
  idempotency_key_reused: { status: 422, detail: 'This Idempotency-Key was used with a different request.' },
  rate_limited: { status: 429, detail: 'Too many requests for this API key; slow down.' },
  internal_error: { status: 500, detail: 'An internal error occurred.' },
  service_unavailable: { status: 503, detail: 'The job could not be stored right now and was not kept; try again.' },
  // The HTTP front's own answers to bytes that are not HTTP it can read (README: what the front door refuses).
  malformed_request: { status: 400, detail: 'The request is not HTTP/1.1 this API can read.' },
  request_timeout: { status: 408, detail: 'The request did not arrive in time.' },
  uri_too_long: { status: 414, detail: 'The request line is too long.' },
  headers_too_large: { status: 431, detail: 'The request headers are too large.' },
} as const satisfies Record<string, ProblemEntry>;

export type ProblemCode = keyof typeof PROBLEMS;
export const PROBLEM_CODES = Object.keys(PROBLEMS) as ProblemCode[];

/** The reason phrase of a status: a problem document's `title`. */
export const problemTitle = (status: number): string => STATUS_CODES[status] ?? 'Error';

export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string = PROBLEMS[code].detail,
    readonly extras: { errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = PROBLEMS[code].status;
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
    title: problemTitle(problem.status),
    status: problem.status,
    code: problem.code,
    detail: problem.detail,
    requestId,
    ...(problem.extras.errors ? { errors: problem.extras.errors } : {}),
  };
}

export const validationFailed = (errors: FieldProblem[]) =>
  new HttpProblem('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; ').slice(0, 1000), { errors });

export const jobNotFound = () => new HttpProblem('job_not_found');
