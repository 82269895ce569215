/**
 * The OpenAPI 3.1 document served at `GET /v1/openapi.json` (SPEC §3.8).
 *
 * Written by hand from SPEC §3 and the routes (job-routes.ts); request bodies
 * and job payloads are derived from their zod schemas with `z.toJSONSchema`, so
 * a new job type or a changed submission field shows up here by itself. Built
 * on first use and memoized (`openApiDocument()`), so the api Lambda's cold
 * start does not pay for it.
 */
import * as z from 'zod';
import { listJobTypes } from '../job-types/registry';
import { JOB_STATUSES } from '../jobs/job';
import { BatchSubmissionSchema, JobSubmissionSchema, MAX_RUN_AHEAD_SECONDS } from '../jobs/submission';
import type { ProblemCode } from './problem';
import { MAX_BODY_BYTES } from './request';

type Schema = Record<string, unknown>;

/** Every problem code with its HTTP status (SPEC §3 "Errors"); the compiler insists on all of them. */
export const PROBLEM_STATUS: Readonly<Record<ProblemCode, number>> = {
  invalid_json: 400,
  validation_failed: 400,
  unknown_job_type: 400,
  invalid_webhook_url: 400,
  invalid_target_url: 400,
  invalid_idempotency_key: 400,
  invalid_cursor: 400,
  forbidden: 403,
  job_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  job_not_cancelable: 409,
  job_not_retryable: 409,
  job_not_deletable: 409,
  webhook_not_redeliverable: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
  malformed_request: 400,
  uri_too_long: 414,
  headers_too_large: 431,
  request_timeout: 408,
};
export const PROBLEM_CODES = Object.keys(PROBLEM_STATUS) as ProblemCode[];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string, extra: Schema = {}): Schema => ({ type: [type, 'null'], ...extra });
const dateTime = { type: 'string', format: 'date-time' } as const;
const JSON_MEDIA = 'application/json';
const PROBLEM_MEDIA = 'application/problem+json';
const IDEMPOTENCY_KEY = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]{1,255}$' } as const;

/** `ab-cd` → `AbCd`, for component names (`^[A-Za-z0-9._-]+$`). */
const pascal = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

/**
 * A zod schema as the component `name`: the JSON Schema of what a client may
 * send, without `$schema`. Recursive schemas refer to themselves (`#`) and to
 * their `$defs`; those become `name` and components `name.<def>`.
 */
function fromZod(schema: z.ZodType, name: string, components: Record<string, Schema>): Schema {
  const { $schema: _, $defs, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  const local = (target: string) =>
    target === '#' ? `#/components/schemas/${name}` : target.startsWith('#/$defs/') ? `#/components/schemas/${name}.${target.slice(8)}` : target;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, key === '$ref' && typeof v === 'string' ? local(v) : rewrite(v)]));
  };
  for (const [def, defSchema] of Object.entries(($defs ?? {}) as Record<string, unknown>)) components[`${name}.${def}`] = rewrite(defSchema) as Schema;
  return rewrite(json) as Schema;
}

const SUBMISSION_DESCRIPTIONS: Record<string, string> = {
  type: 'A registered job type (GET /v1/job-types); anything else is 400 `unknown_job_type`.',
  payload: "The job's input, validated by its type's schema.",
  webhookUrl: 'Where to send the signed completion webhook (https; public hosts only, else 400 `invalid_webhook_url`).',
  maxAttempts: 'Attempts before the job is `fatal`; default 5.',
  runAt: `Earliest start (ISO-8601). Past or absent means now; at most ${MAX_RUN_AHEAD_SECONDS / 86400} days ahead. Not together with delaySeconds.`,
  delaySeconds: 'Start after this many seconds instead of at runAt. Not together with runAt.',
};

function schemas(): Record<string, Schema> {
  const components: Record<string, Schema> = {};

  // --- What clients send -------------------------------------------------------
  const submission = fromZod(JobSubmissionSchema, 'JobSubmissionFields', components);
  const fields = { ...(submission.properties as Record<string, Schema>) };
  for (const [field, description] of Object.entries(SUBMISSION_DESCRIPTIONS)) {
    if (fields[field]) fields[field] = { ...fields[field], description };
  }
  // Unknown fields are refused by the unions below (`unevaluatedProperties`), so
  // the per-type variants and the batch item can add their own properties.
  const { additionalProperties: _, ...open } = submission;
  components.JobSubmissionFields = {
    ...open,
    description: 'The fields of a job submission (SPEC §3.1), common to every job type.',
    properties: fields,
    not: { required: ['runAt', 'delaySeconds'] },
  };

  const variants: string[] = [];
  const mapping: Record<string, string> = {};
  for (const jobType of listJobTypes()) {
    const name = pascal(jobType.type);
    components[`${name}Payload`] = { description: `Payload of a \`${jobType.type}\` job.`, ...fromZod(jobType.schema, `${name}Payload`, components) };
    components[`${name}JobSubmission`] = {
      description: `A \`${jobType.type}\` job: ${jobType.description}`,
      allOf: [ref('JobSubmissionFields')],
      type: 'object',
      properties: { type: { const: jobType.type }, payload: ref(`${name}Payload`) },
      required: ['type', 'payload'],
    };
    variants.push(`${name}JobSubmission`);
    mapping[jobType.type] = `#/components/schemas/${name}JobSubmission`;
  }
  const byType = { oneOf: variants.map(ref), discriminator: { propertyName: 'type', mapping } };
  components.JobSubmission = {
    description: 'Body of POST /v1/jobs: `payload` follows the schema of the job `type`. Unknown fields are 400 `validation_failed`.',
    ...byType,
    unevaluatedProperties: false,
  };
  components.BatchJobSubmission = {
    description: 'One batch item: a job submission plus its own optional idempotency key.',
    ...byType,
    properties: { idempotencyKey: { ...IDEMPOTENCY_KEY, description: 'Same rules as the Idempotency-Key header.' } },
    unevaluatedProperties: false,
  };
  const batch = fromZod(BatchSubmissionSchema, 'BatchSubmission', components);
  const batchProps = batch.properties as Record<string, Schema>;
  components.BatchSubmission = {
    ...batch,
    description: 'Body of POST /v1/jobs/batch: 1..100 jobs, judged one by one.',
    properties: { ...batchProps, jobs: { ...batchProps.jobs, items: ref('BatchJobSubmission') } },
  };

  // --- What the service answers ------------------------------------------------
  components.JobStatus = {
    type: 'string',
    enum: [...JOB_STATUSES],
    description:
      '`queued` (waiting for its first attempt), `running`, `retry` (failed, waiting for the next attempt), `succeeded`, `fatal` (out of attempts or a non-retryable error), `canceled`.',
  };
  components.WebhookState = {
    type: 'object',
    description: "Delivery of the job's completion webhook.",
    properties: {
      status: { type: 'string', enum: ['none', 'pending', 'delivered', 'failed'], description: '`none` when the job has no webhookUrl.' },
      attempts: { type: 'integer', minimum: 0 },
      lastStatusCode: nullable('integer'),
      lastError: nullable('string'),
      deliveredAt: nullable('string', { format: 'date-time' }),
    },
    required: ['status', 'attempts', 'lastStatusCode', 'lastError', 'deliveredAt'],
  };
  const jobProperties: Record<string, Schema> = {
    jobId: { type: 'string', format: 'uuid' },
    tenantId: { type: 'string' },
    type: { type: 'string' },
    status: ref('JobStatus'),
    attempts: { type: 'integer', minimum: 0, description: 'Attempts made so far (keeps counting across retries).' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 25 },
    nextRunAt: nullable('string', { format: 'date-time', description: 'When the job may next run; null unless it is waiting.' }),
    idempotencyKey: nullable('string'),
    payloadHash: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$', description: 'SHA-256 of the canonical JSON (RFC 8785) of the submitted fields.' },
    payload: { type: 'object', description: "The submitted payload (its type's schema: see GET /v1/job-types)." },
    webhookUrl: nullable('string', { format: 'uri' }),
    webhook: ref('WebhookState'),
    result: { description: 'What the handler returned when it is at most 4 KiB of JSON, else `{"truncated": true, "bytes": N}`; null until then.' },
    lastError: nullable('string'),
    createdAt: dateTime,
    updatedAt: dateTime,
    finishedAt: nullable('string', { format: 'date-time' }),
    expiresAt: { ...dateTime, description: 'When the job (and its idempotency key) is forgotten.' },
  };
  components.Job = {
    type: 'object',
    description: 'A job (SPEC §3.6). Absent values are null, never omitted.',
    properties: jobProperties,
    required: Object.keys(jobProperties),
  };
  const { payload: _payload, ...summaryProperties } = jobProperties;
  components.JobSummary = {
    type: 'object',
    description: 'A job without its payload.',
    properties: summaryProperties,
    required: Object.keys(summaryProperties),
  };
  components.JobList = {
    type: 'object',
    properties: {
      items: { type: 'array', items: ref('JobSummary'), description: 'Newest first.' },
      nextCursor: nullable('string', { description: 'Pass as `cursor` for the next page; null on the last page.' }),
    },
    required: ['items', 'nextCursor'],
  };
  components.Attempt = {
    type: 'object',
    description: 'One run of the job handler.',
    properties: {
      attempt: { type: 'integer', minimum: 1 },
      status: { type: 'string', enum: ['running', 'failed', 'succeeded'] },
      error: nullable('string', { description: 'A short message (at most 1 KiB), never a stack trace.' }),
      startedAt: dateTime,
      finishedAt: nullable('string', { format: 'date-time' }),
      durationMs: nullable('integer', { minimum: 0 }),
    },
    required: ['attempt', 'status', 'error', 'startedAt', 'finishedAt', 'durationMs'],
  };
  components.AttemptList = {
    type: 'object',
    properties: { items: { type: 'array', items: ref('Attempt'), description: 'Oldest first; the most recent 50.' } },
    required: ['items'],
  };
  components.BatchItemAccepted = {
    type: 'object',
    properties: { status: { type: 'integer', enum: [202, 200], description: '202 created, 200 idempotent replay.' }, job: ref('Job') },
    required: ['status', 'job'],
  };
  components.BatchItemFailed = {
    type: 'object',
    properties: {
      status: { type: 'integer', minimum: 400, maximum: 599, description: 'The 4xx the item would get alone; 503 if it could not be stored right now (nothing kept; the response carries Retry-After); 500 if it failed unexpectedly. Other items are unaffected.' },
      error: ref('Problem'),
    },
    required: ['status', 'error'],
  };
  components.BatchResult = {
    type: 'object',
    properties: {
      items: {
        type: 'array',
        description: 'One result per submitted job, in request order.',
        items: { oneOf: [ref('BatchItemAccepted'), ref('BatchItemFailed')] },
      },
    },
    required: ['items'],
  };
  components.JobTypeList = {
    type: 'object',
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            type: { type: 'string' },
            description: { type: 'string' },
            schema: { type: 'object', description: 'JSON Schema (2020-12) of the payload.' },
          },
          required: ['type', 'description', 'schema'],
        },
      },
    },
    required: ['items'],
  };
  components.Problem = {
    type: 'object',
    description: 'An RFC 9457 problem document.',
    properties: {
      type: { type: 'string', format: 'uri-reference', default: 'about:blank' },
      title: { type: 'string', description: 'The HTTP reason phrase of the status.' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      code: { type: 'string', enum: PROBLEM_CODES },
      detail: { type: 'string' },
      requestId: { type: 'string', description: 'The same as the x-request-id header.' },
      errors: {
        type: 'array',
        description: 'For `validation_failed`: each field problem, path relative to the body (or the batch item).',
        items: {
          type: 'object',
          properties: { path: { type: 'string', examples: ['payload.to'] }, message: { type: 'string' } },
          required: ['path', 'message'],
        },
      },
    },
    required: ['type', 'title', 'status', 'code', 'detail', 'requestId'],
  };
  return components;
}

// --- Responses ---------------------------------------------------------------------

const requestIdHeader = { 'x-request-id': { $ref: '#/components/headers/RequestId' } };

/** A problem response limited to `codes` (which must all have `status`). */
function problem(status: number, codes: ProblemCode[], description: string, headers: Schema = {}): Schema {
  const wrong = codes.filter((code) => PROBLEM_STATUS[code] !== status);
  if (wrong.length > 0) throw new Error(`openapi: ${wrong.join(', ')} are not ${status} problems`);
  return {
    description: `${description} (${codes.map((c) => `\`${c}\``).join(', ')})`,
    headers: { ...headers, ...requestIdHeader },
    content: { [PROBLEM_MEDIA]: { schema: { allOf: [ref('Problem')], properties: { code: { enum: codes } } } } },
  };
}

function ok(description: string, schemaName: string | undefined, headers: Schema = {}): Schema {
  return {
    description,
    headers: { ...headers, ...requestIdHeader },
    ...(schemaName ? { content: { [JSON_MEDIA]: { schema: ref(schemaName) } } } : {}),
  };
}

const shared = (name: string) => ({ $ref: `#/components/responses/${name}` });
const locationHeader = { Location: { $ref: '#/components/headers/Location' } };

/** The responses every keyed route may give, besides its own. */
const keyed = { '403': shared('Forbidden'), '429': shared('RateLimited'), '500': shared('InternalError') };
const withBody = { '413': shared('PayloadTooLarge') };
const withJsonBody = { ...withBody, '415': shared('UnsupportedMediaType') };
const jobNotFound = { '404': problem(404, ['job_not_found'], 'No such job for this tenant (also: expired, or another tenant’s)') };

const SUBMISSION_400: ProblemCode[] = [
  'invalid_json',
  'invalid_idempotency_key',
  'validation_failed',
  'unknown_job_type',
  'invalid_webhook_url',
  'invalid_target_url',
];

function paths(): Schema {
  const jobIdParam = { $ref: '#/components/parameters/JobId' };
  const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });
  const jsonBody = (schemaName: string, example?: unknown) => ({
    required: true,
    content: { [JSON_MEDIA]: { schema: ref(schemaName), ...(example === undefined ? {} : { example }) } },
  });

  return {
    '/v1/jobs': {
      post: {
        operationId: 'submitJob',
        summary: 'Submit a job',
        description:
          'Creates a job with one conditional write. With an `Idempotency-Key`, the same request again returns the existing job (200, `Idempotent-Replayed: true`); the same key with a different request is 422.',
        tags: ['Jobs'],
        parameters: [param('IdempotencyKey')],
        requestBody: jsonBody('JobSubmission', {
          type: 'email',
          payload: { to: 'ann@example.com', subject: 'Hi', text: 'Hello' },
          webhookUrl: 'https://hooks.example.com/jobs',
          maxAttempts: 5,
        }),
        responses: {
          '202': ok('Job created.', 'Job', locationHeader),
          '200': ok('Idempotent replay: the job this key created, in its current state.', 'Job', {
            ...locationHeader,
            'Idempotent-Replayed': { $ref: '#/components/headers/IdempotentReplayed' },
          }),
          '400': problem(400, SUBMISSION_400, 'The request is invalid'),
          ...keyed,
          ...withJsonBody,
          '413': problem(413, ['payload_too_large'], `The request body is over ${MAX_BODY_BYTES / 1024} KiB, or the job it asks for would not fit in storage with room to record its attempts, result and webhook events`),
          '422': problem(422, ['idempotency_key_reused'], 'This Idempotency-Key was used with a different request'),
          '503': shared('ServiceUnavailable'),
        },
      },
      get: {
        operationId: 'listJobs',
        summary: 'List jobs by status',
        description: 'Jobs of one status, newest first, a page at a time.',
        tags: ['Jobs'],
        parameters: [param('Status'), param('Limit'), param('Cursor'), param('Type')],
        responses: {
          '200': ok('A page of jobs (without payloads).', 'JobList'),
          '400': problem(400, ['validation_failed', 'invalid_cursor'], 'A query parameter is invalid'),
          ...keyed,
        },
      },
    },
    '/v1/jobs/batch': {
      post: {
        operationId: 'submitJobBatch',
        summary: 'Submit up to 100 jobs at once',
        description:
          'Items are independent (not atomic): each is judged exactly as POST /v1/jobs would judge it alone, and its result (job or problem) is returned in request order.',
        tags: ['Jobs'],
        requestBody: jsonBody('BatchSubmission'),
        responses: {
          '200': ok('One result per item, in request order; with Retry-After when an item is a 503.', 'BatchResult', {
            'Retry-After': { $ref: '#/components/headers/RetryAfter' },
          }),
          '400': problem(400, ['invalid_json', 'validation_failed'], 'The body is not a batch at all'),
          ...keyed,
          ...withJsonBody,
        },
      },
    },
    '/v1/jobs/{jobId}': {
      parameters: [jobIdParam],
      get: {
        operationId: 'getJob',
        summary: 'Get a job',
        tags: ['Jobs'],
        responses: { '200': ok('The job, with its payload.', 'Job'), ...jobNotFound, ...keyed },
      },
      delete: {
        operationId: 'deleteJob',
        summary: 'Delete a finished or canceled job',
        description: 'Erases the job now rather than at the end of retention; its idempotency key becomes free.',
        tags: ['Jobs'],
        responses: {
          '204': ok('Deleted.', undefined),
          ...jobNotFound,
          '409': problem(409, ['job_not_deletable'], 'The job is waiting or running'),
          ...keyed,
        },
      },
    },
    '/v1/jobs/{jobId}/attempts': {
      parameters: [jobIdParam],
      get: {
        operationId: 'listJobAttempts',
        summary: "Get a job's attempt history",
        tags: ['Jobs'],
        responses: { '200': ok('The attempts, oldest first.', 'AttemptList'), ...jobNotFound, ...keyed },
      },
    },
    '/v1/jobs/{jobId}/cancel': {
      parameters: [jobIdParam],
      post: {
        operationId: 'cancelJob',
        summary: 'Cancel a waiting job',
        description: 'A `queued` or `retry` job becomes `canceled` and never runs.',
        tags: ['Jobs'],
        responses: {
          '200': ok('The canceled job.', 'Job'),
          ...jobNotFound,
          '409': problem(409, ['job_not_cancelable'], 'The job is not queued or retry'),
          ...keyed,
          ...withBody,
        },
      },
    },
    '/v1/jobs/{jobId}/retry': {
      parameters: [jobIdParam],
      post: {
        operationId: 'retryJob',
        summary: 'Retry a fatal or canceled job',
        description: 'The job goes back to `queued`, due now, with a fresh budget of `maxAttempts` attempts.',
        tags: ['Jobs'],
        responses: {
          '202': ok('The job, queued again.', 'Job', locationHeader),
          ...jobNotFound,
          '409': problem(409, ['job_not_retryable'], 'The job is not fatal or canceled'),
          ...keyed,
          ...withBody,
        },
      },
    },
    '/v1/jobs/{jobId}/webhook/redeliver': {
      parameters: [jobIdParam],
      post: {
        operationId: 'redeliverJobWebhook',
        summary: "Send a job's completion webhook again",
        description: 'The same event (same `webhook-id`) on a fresh delivery schedule.',
        tags: ['Jobs'],
        responses: {
          '202': ok('Redelivery scheduled; the job without its payload.', 'JobSummary'),
          ...jobNotFound,
          '409': problem(409, ['webhook_not_redeliverable'], 'The job is not finished or has no webhookUrl'),
          ...keyed,
          ...withBody,
        },
      },
    },
    '/v1/job-types': {
      get: {
        operationId: 'listJobTypes',
        summary: 'List the job types',
        description: 'The registered job types with the JSON Schemas of their payloads.',
        tags: ['Job types'],
        responses: { '200': ok('The job types.', 'JobTypeList'), ...keyed },
      },
    },
    '/v1/openapi.json': {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI document',
        tags: ['Meta'],
        security: [],
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 document of this API.',
            headers: requestIdHeader,
            content: { [JSON_MEDIA]: { schema: { type: 'object' } } },
          },
          '500': shared('InternalError'),
        },
      },
    },
  };
}

function build(): Schema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Jobs Service API',
      version: '1.0.0',
      description: [
        'Multi-tenant background jobs: submit a job (idempotently), follow it, act on it, and get a signed webhook when it finishes.',
        '',
        'Every route but this document needs an `x-api-key`. Errors are RFC 9457 problem documents (`application/problem+json`) with a `code`; every response carries `x-request-id`.',
        'Besides the responses listed per operation, a path that is no route answers 404 `not_found`, and a method a route does not have answers 405 `method_not_allowed` with an `Allow` header.',
      ].join('\n'),
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    tags: [
      { name: 'Jobs', description: 'Submitting, reading and acting on jobs.' },
      { name: 'Job types', description: 'What can be submitted.' },
      { name: 'Meta', description: 'This document.' },
    ],
    paths: paths(),
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: "The tenant's API key." },
      },
      parameters: {
        JobId: { name: 'jobId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'Any other shape is 404 `job_not_found`.' },
        Status: { name: 'status', in: 'query', required: true, schema: ref('JobStatus') },
        Limit: { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
        Cursor: {
          name: 'cursor',
          in: 'query',
          required: false,
          schema: { type: 'string' },
          description: 'The `nextCursor` of the previous page, unchanged, with the same status and type; anything else is 400 `invalid_cursor`.',
        },
        Type: { name: 'type', in: 'query', required: false, schema: { type: 'string', minLength: 1, maxLength: 64 }, description: 'Only jobs of this type.' },
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          schema: IDEMPOTENCY_KEY,
          description: 'Makes the submission safe to repeat: one key, one job, per tenant, while the job is retained.',
        },
      },
      headers: {
        RequestId: { description: 'The id of this request (also `requestId` in problem documents).', required: true, schema: { type: 'string' } },
        Location: { description: "The job's path, as the client addressed the API.", required: true, schema: { type: 'string', format: 'uri-reference' } },
        IdempotentReplayed: { description: 'This is the job an earlier request with the same key created.', required: true, schema: { type: 'string', enum: ['true'] } },
        RetryAfter: { description: 'Seconds to wait before trying again.', required: false, schema: { type: 'integer', minimum: 0 } },
        Allow: { description: 'The methods this route has.', required: true, schema: { type: 'string' } },
      },
      responses: {
        Forbidden: problem(403, ['forbidden'], 'The API key is missing, unknown or disabled'),
        RateLimited: problem(429, ['rate_limited'], 'Over the request rate or quota', { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } }),
        InternalError: problem(500, ['internal_error'], 'Something unexpected happened'),
        ServiceUnavailable: problem(503, ['service_unavailable'], 'The job could not be stored right now and was not kept; send the same request again after Retry-After', {
          'Retry-After': { $ref: '#/components/headers/RetryAfter' },
        }),
        PayloadTooLarge: problem(413, ['payload_too_large'], `The request body is over ${MAX_BODY_BYTES / 1024} KiB`),
        UnsupportedMediaType: problem(415, ['unsupported_media_type'], 'The body is not sent as application/json'),
        NotFound: problem(404, ['not_found'], 'No such route'),
        MethodNotAllowed: problem(405, ['method_not_allowed'], 'The route does not have this method', { Allow: { $ref: '#/components/headers/Allow' } }),
      },
      schemas: schemas(),
    },
  };
}

let document: Schema | undefined;

/** The document (built once, on first call). */
export function openApiDocument(): Schema {
  document ??= build();
  return document;
}
