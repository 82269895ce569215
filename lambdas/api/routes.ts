/**
 * The route table of API v1 (SPEC §3): each operation once — path template,
 * method, keyed or public, request and response schemas, the problems it may
 * answer. Three readers build from it and nothing else: the api Lambda's router
 * (./api-handler.ts, with the handler named by `operationId` in ./job-routes.ts),
 * the API Gateway resources (lib/jobs-api.ts) and the OpenAPI document
 * (cli/openapi-document.ts). It holds data only, so the CDK app can read it without
 * loading the handlers.
 */
import type * as z from '../zod';
import type { ProblemCode } from './problem';
import { batchSubmissionBody, JobIdParams, jobSubmissionBody, ListJobsQuery, SubmitJobHeaders, type BodyByJobType, type ResponseSchemas } from './schemas';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** Response headers besides `x-request-id` (which every response carries). */
export type ResponseHeader = 'Location' | 'Idempotent-Replayed' | 'Retry-After';

export interface RouteResponse {
  readonly description: string;
  /** The JSON body, by name ({@link responseSchemas}: built for the document only); none for an empty response (204). */
  readonly body?: keyof ResponseSchemas;
  readonly headers?: readonly ResponseHeader[];
}

export interface RouteSpec {
  /** Names the operation in the document and its handler in job-routes.ts. */
  readonly operationId: string;
  readonly method: HttpMethod;
  /** As API Gateway writes resources: `/v1/jobs/{jobId}`; a `{param}` is one whole segment. */
  readonly path: string;
  /** Needs an `x-api-key` (SPEC §3 "Authentication"); only the document itself is public. */
  readonly keyed: boolean;
  readonly summary: string;
  readonly description?: string;
  readonly tag: 'Jobs' | 'Job types' | 'Meta';
  readonly params?: z.ZodMiniObject;
  readonly query?: z.ZodMiniObject;
  readonly headers?: z.ZodMiniObject;
  /** A JSON request body: its schema depends on the registered job types. */
  readonly body?: BodyByJobType;
  readonly responses: Readonly<Record<number, RouteResponse>>;
  /**
   * The problems of this operation's own. Every route may also answer
   * `internal_error`; a keyed one `forbidden` and `rate_limited`; a POST
   * `payload_too_large`; one with a body `unsupported_media_type` and `invalid_json`.
   */
  readonly problems: readonly ProblemCode[];
}

/** A keyed operation on one job, addressed by its id (`/v1/jobs/{jobId}…`). */
function onJob<const Route extends Omit<RouteSpec, 'keyed' | 'tag' | 'params'>>(route: Route) {
  return { ...route, keyed: true, tag: 'Jobs', params: JobIdParams } as const;
}

const SUBMISSION_PROBLEMS: readonly ProblemCode[] = [
  'invalid_idempotency_key',
  'validation_failed',
  'unknown_job_type',
  'invalid_webhook_url',
  'invalid_target_url',
  'idempotency_key_reused',
];

export const ROUTES = [
  {
    operationId: 'submitJob',
    method: 'POST',
    path: '/v1/jobs',
    keyed: true,
    summary: 'Submit a job',
    description:
      'Creates a job with one conditional write. With an `Idempotency-Key`, the same request again returns the existing job (200, `Idempotent-Replayed: true`); the same key with a different request is 422.',
    tag: 'Jobs',
    headers: SubmitJobHeaders,
    body: jobSubmissionBody,
    responses: {
      202: { description: 'Job created.', body: 'JobSchema', headers: ['Location'] },
      200: { description: 'Idempotent replay: the job this key created, in its current state.', body: 'JobSchema', headers: ['Location', 'Idempotent-Replayed'] },
    },
    problems: [...SUBMISSION_PROBLEMS, 'service_unavailable'],
  },
  {
    operationId: 'listJobs',
    method: 'GET',
    path: '/v1/jobs',
    keyed: true,
    summary: 'List jobs by status',
    description: 'Jobs of one status, newest first, a page at a time.',
    tag: 'Jobs',
    query: ListJobsQuery,
    responses: { 200: { description: 'A page of jobs (without payloads).', body: 'JobListSchema' } },
    problems: ['validation_failed', 'invalid_cursor'],
  },
  {
    operationId: 'submitJobBatch',
    method: 'POST',
    path: '/v1/jobs/batch',
    keyed: true,
    summary: 'Submit up to 100 jobs at once',
    description:
      'Items are independent (not atomic): each is judged exactly as POST /v1/jobs would judge it alone, and its result (job or problem) is returned in request order.',
    tag: 'Jobs',
    body: batchSubmissionBody,
    responses: {
      200: { description: 'One result per item, in request order; with Retry-After when an item is a 503.', body: 'BatchResultSchema', headers: ['Retry-After'] },
    },
    problems: ['validation_failed'],
  },
  onJob({
    operationId: 'getJob',
    method: 'GET',
    path: '/v1/jobs/{jobId}',
    summary: 'Get a job',
    responses: { 200: { description: 'The job, with its payload.', body: 'JobSchema' } },
    problems: ['job_not_found'],
  }),
  onJob({
    operationId: 'deleteJob',
    method: 'DELETE',
    path: '/v1/jobs/{jobId}',
    summary: 'Delete a finished or canceled job',
    description: 'Erases the job now rather than at the end of retention; its idempotency key becomes free.',
    responses: { 204: { description: 'Deleted.' } },
    problems: ['job_not_found', 'job_not_deletable'],
  }),
  onJob({
    operationId: 'listJobAttempts',
    method: 'GET',
    path: '/v1/jobs/{jobId}/attempts',
    summary: "Get a job's attempt history",
    responses: { 200: { description: 'The attempts, oldest first.', body: 'AttemptListSchema' } },
    problems: ['job_not_found'],
  }),
  onJob({
    operationId: 'cancelJob',
    method: 'POST',
    path: '/v1/jobs/{jobId}/cancel',
    summary: 'Cancel a waiting job',
    description: 'A `queued` or `retry` job becomes `canceled` and never runs.',
    responses: { 200: { description: 'The canceled job.', body: 'JobSchema' } },
    problems: ['job_not_found', 'job_not_cancelable'],
  }),
  onJob({
    operationId: 'retryJob',
    method: 'POST',
    path: '/v1/jobs/{jobId}/retry',
    summary: 'Retry a fatal or canceled job',
    description: 'The job goes back to `queued`, due now, with a fresh budget of `maxAttempts` attempts.',
    responses: { 202: { description: 'The job, queued again.', body: 'JobSchema', headers: ['Location'] } },
    problems: ['job_not_found', 'job_not_retryable'],
  }),
  onJob({
    operationId: 'redeliverJobWebhook',
    method: 'POST',
    path: '/v1/jobs/{jobId}/webhook/redeliver',
    summary: "Send a job's completion webhook again",
    description: 'The same event (same `webhook-id`) on a fresh delivery schedule.',
    responses: { 202: { description: 'Redelivery scheduled; the job without its payload.', body: 'JobSummarySchema' } },
    problems: ['job_not_found', 'webhook_not_redeliverable'],
  }),
  {
    operationId: 'listJobTypes',
    method: 'GET',
    path: '/v1/job-types',
    keyed: true,
    summary: 'List the job types',
    description: 'The registered job types with the JSON Schemas of their payloads.',
    tag: 'Job types',
    responses: { 200: { description: 'The job types.', body: 'JobTypeListSchema' } },
    problems: [],
  },
  {
    operationId: 'getOpenApiDocument',
    method: 'GET',
    path: '/v1/openapi.json',
    keyed: false,
    summary: 'This OpenAPI document',
    tag: 'Meta',
    responses: { 200: { description: 'The OpenAPI 3.1 document of this API.', body: 'OpenApiDocumentSchema' } },
    problems: [],
  },
] as const satisfies readonly RouteSpec[];

export type OperationId = (typeof ROUTES)[number]['operationId'];

/** The problems an operation may answer: its own and those every route of its kind may give (see RouteSpec.problems). */
export function problemsOf(route: RouteSpec): ProblemCode[] {
  const codes = new Set<ProblemCode>(route.body ? ['invalid_json', 'unsupported_media_type'] : []);
  route.problems.forEach((code) => codes.add(code));
  if (route.method === 'POST') codes.add('payload_too_large');
  if (route.keyed) ['forbidden', 'rate_limited'].forEach((code) => codes.add(code as ProblemCode));
  codes.add('internal_error');
  return [...codes];
}

/** What the service sends to a job's `webhookUrl` (SPEC §6): the document's `webhooks`. */
export const WEBHOOKS = [
  {
    name: 'jobFinished',
    summary: 'A job finished (succeeded or fatal)',
    description:
      'POSTed to the job\'s `webhookUrl`, signed per Standard Webhooks with the tenant\'s secret. A 2xx within 10 s is delivered; anything else is retried on WEBHOOK_RETRY_SCHEDULE; 410 Gone stops at once. Redirects are not followed.',
    headers: 'WebhookHeaders',
    body: 'WebhookEventSchema',
  },
] as const;
