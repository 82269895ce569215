/**
 * The shapes of API v1 (SPEC §3) as zod schemas: what clients send (the
 * submission schemas of lambdas/jobs/submission.ts, plus query strings, path
 * parameters and headers) and what the service answers (the Job view, Attempt,
 * list pages, batch results, the problem document, the job-types list, the
 * webhook event). The route table (./routes.ts) names them per operation; the
 * OpenAPI document (cli/openapi-document.ts) is generated from them.
 * `z.withMeta(…, { id })` makes a schema a named component of the document; it
 * is zod's own metadata, so this module needs no OpenAPI library at run time.
 * `zod/mini` (../zod.ts), and the responses built only when the document is:
 * the api Lambda loads this module at every cold start.
 */
import * as z from '../zod';
import { JOB_STATUSES } from '../jobs/job';
import { JobSubmissionSchema, MAX_RUN_AHEAD_SECONDS } from '../jobs/submission';
import type { JobTypeDefinition } from '../job-types/job-type';
import { PROBLEM_CODES } from './problem';

const dateTime = () => z.iso.datetime();
const nullableDateTime = () => z.nullable(z.iso.datetime());

// --- Path, query and header parameters ----------------------------------------------

export const JobIdParams = z.object({
  jobId: z.withMeta(z.uuid(), { description: 'Any other shape is 404 `job_not_found`.' }),
});

export const JobStatusSchema = z.withMeta(z.enum(JOB_STATUSES), {
  id: 'JobStatus',
  description:
    '`queued` (waiting for its first attempt), `running`, `retry` (failed, waiting for the next attempt), `succeeded`, `fatal` (out of attempts or a non-retryable error), `canceled`.',
});

/** A job type name as a filter: what the registry's names look like (ASCII, short); unknown names simply match nothing. */
const TYPE_FILTER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * `GET /v1/jobs` (SPEC §3.3), one value per parameter (the router refuses a
 * repeated one before this runs). Query values are strings: `limit` is digits
 * only (no sign, exponent, space or other digits), then a number 1..100.
 */
export const ListJobsQuery = z.object({
  status: z.enum(JOB_STATUSES, {
    error: (issue) => `${issue.input === undefined ? 'required; one of' : 'must be one of'} ${JOB_STATUSES.join(', ')}`,
  }),
  limit: z.withMeta(
    z.optional(
      z.pipe(
        z.pipe(z.string().check(z.regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')), z.transform(Number)),
        z.number().check(z.int(), z.minimum(1, 'must be an integer from 1 to 100'), z.maximum(100, 'must be an integer from 1 to 100')),
      ),
    ),
    { description: 'Page size, 1..100; default 25.', param: { schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } } },
  ),
  cursor: z.withMeta(z.optional(z.string()), {
    description: 'The `nextCursor` of the previous page, unchanged, with the same status and type; anything else is 400 `invalid_cursor`.',
  }),
  type: z.withMeta(z.optional(z.string().check(z.regex(TYPE_FILTER, 'must be a job type name (1..64 ASCII letters, digits, ".", "_" or "-")'))), {
    description: 'Only jobs of this type.',
  }),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;

const IdempotencyKey = z.withMeta(z.string().check(z.regex(/^[\x21-\x7E]{1,255}$/)), {
  description: 'Makes the submission safe to repeat: one key, one job, per tenant, while the job is retained.',
});

export const SubmitJobHeaders = z.object({ 'Idempotency-Key': z.optional(IdempotencyKey) });

// --- Request bodies ---------------------------------------------------------------

const SUBMISSION_DESCRIPTIONS: Record<keyof typeof JobSubmissionSchema.shape, string> = {
  type: 'A registered job type (GET /v1/job-types); anything else is 400 `unknown_job_type`.',
  payload: "The job's input, validated by its type's schema.",
  webhookUrl: 'Where to send the signed completion webhook (https; public hosts only, else 400 `invalid_webhook_url`).',
  maxAttempts: 'Attempts before the job is `fatal`; default 5.',
  runAt: `Earliest start (ISO-8601). Past or absent means now; at most ${MAX_RUN_AHEAD_SECONDS / 86400} days ahead. Not together with delaySeconds.`,
  delaySeconds: 'Start after this many seconds instead of at runAt. Not together with runAt.',
};

/** The submission fields (SPEC §3.1), each with its description. */
const submissionFields = Object.fromEntries(
  Object.entries(JobSubmissionSchema.shape).map(([name, schema]) => [name, z.withMeta(schema, { description: SUBMISSION_DESCRIPTIONS[name as keyof typeof SUBMISSION_DESCRIPTIONS] })]),
) as typeof JobSubmissionSchema.shape;

/** `ab-cd` → `AbCd`, for component names. */
const pascal = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

/**
 * A request body that depends on the registered job types: `payload` follows
 * the schema of the job `type`. The route table names the builder; the OpenAPI
 * generator calls it with the registry, so this module does not load the job types.
 */
export type BodyByJobType = (jobTypes: readonly JobTypeDefinition<unknown>[]) => z.ZodMiniType;

/**
 * Builds a body once per list of job types: a schema's `id` may be registered
 * only once (zod's registry refuses a second), and a payload schema is shared
 * by the single and the batch submission.
 */
function once(build: BodyByJobType): BodyByJobType {
  const built = new WeakMap<readonly JobTypeDefinition<unknown>[], z.ZodMiniType>();
  return (jobTypes) => {
    if (!built.has(jobTypes)) built.set(jobTypes, build(jobTypes));
    return built.get(jobTypes)!;
  };
}

const payloadSchemas = new WeakMap<JobTypeDefinition<unknown>, z.ZodMiniType>();
function payloadSchema(jobType: JobTypeDefinition<unknown>): z.ZodMiniType {
  if (!payloadSchemas.has(jobType)) {
    payloadSchemas.set(jobType, z.withMeta(jobType.schema, { id: `${pascal(jobType.type)}Payload`, description: `Payload of a \`${jobType.type}\` job.` }));
  }
  return payloadSchemas.get(jobType)!;
}

/** Body of POST /v1/jobs: one variant per job type, told apart by `type`. */
export const jobSubmissionBody: BodyByJobType = once((jobTypes) =>
  z.withMeta(z.discriminatedUnion('type', submissionVariants(jobTypes, {})), {
    id: 'JobSubmission',
    description: 'Body of POST /v1/jobs (SPEC §3.1): `payload` follows the schema of the job `type`. Unknown fields are 400 `validation_failed`; runAt and delaySeconds are exclusive.',
  }),
);

/** Body of POST /v1/jobs/batch: 1..100 submissions, each with its own optional idempotency key. */
export const batchSubmissionBody: BodyByJobType = once((jobTypes) =>
  z.withMeta(
    z.strictObject({
      jobs: z
        .array(
          z.withMeta(z.discriminatedUnion('type', submissionVariants(jobTypes, { idempotencyKey: z.optional(IdempotencyKey) }, 'Batch')), {
            id: 'BatchJobSubmission',
            description: 'One batch item: a job submission plus its own optional idempotency key (same rules as the Idempotency-Key header).',
          }),
        )
        .check(z.minLength(1), z.maxLength(100)),
    }),
    { id: 'BatchSubmission', description: 'Body of POST /v1/jobs/batch (SPEC §3.7): 1..100 jobs, judged one by one.' },
  ),
);

function submissionVariants(jobTypes: readonly JobTypeDefinition<unknown>[], extra: z.core.$ZodShape, prefix = '') {
  return jobTypes.map((jobType) => {
    const name = pascal(jobType.type);
    return z.withMeta(
      z.strictObject({
        ...submissionFields,
        type: z.literal(jobType.type),
        payload: payloadSchema(jobType),
        ...extra,
      }),
      // runAt and delaySeconds exclude each other (the refinement of JobSubmissionSchema, said in JSON Schema).
      { id: `${prefix}${name}JobSubmission`, description: `A \`${jobType.type}\` job: ${jobType.description}`, not: { required: ['runAt', 'delaySeconds'] } },
    );
  }) as unknown as [z.ZodMiniObject, ...z.ZodMiniObject[]];
}

// --- Responses ----------------------------------------------------------------------
function memo<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}


/**
 * What the service answers, and the webhook it sends: described for the
 * OpenAPI document only (the api builds its answers itself), so built on first
 * call, by the generator, and never at a cold start of the api (`@__PURE__`:
 * a bundle that never calls it leaves it out). The route table names them
 * (`body: 'JobSchema'`).
 */
export const responseSchemas = /* @__PURE__ */ memo(() => {
  const WebhookStateSchema = z.withMeta(
    z.object({
      status: z.withMeta(z.enum(['none', 'pending', 'delivered', 'failed']), { description: '`none` when the job has no webhookUrl.' }),
      attempts: z.int().check(z.minimum(0)),
      lastStatusCode: z.nullable(z.int()),
      lastError: z.nullable(z.string()),
      deliveredAt: nullableDateTime(),
    }),
    { id: 'WebhookState', description: "Delivery of the job's completion webhook." },
  );

  const jobFields = {
    jobId: z.uuid(),
    tenantId: z.string(),
    type: z.string(),
    status: JobStatusSchema,
    attempts: z.withMeta(z.int().check(z.minimum(0)), { description: 'Attempts made so far (keeps counting across retries).' }),
    maxAttempts: z.int().check(z.minimum(1), z.maximum(25)),
    nextRunAt: z.withMeta(nullableDateTime(), { description: 'When the job may next run; null unless it is waiting.' }),
    idempotencyKey: z.nullable(z.string()),
    payloadHash: z.withMeta(z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/)), {
      description: 'SHA-256 of the canonical JSON (RFC 8785) of the submitted fields.',
    }),
    payload: z.withMeta(z.record(z.string(), z.unknown()), { description: "The submitted payload (its type's schema: see GET /v1/job-types)." }),
    webhookUrl: z.nullable(z.url()),
    webhook: WebhookStateSchema,
    // Present always (null until there is one): a value that refuses `undefined` is what marks it required.
    result: z.withMeta(z.unknown().check(z.refine((value) => value !== undefined)), {
      description: 'What the handler returned when it is at most 4 KiB of JSON, else `{"truncated": true, "bytes": N}`; null until then.',
    }),
    lastError: z.nullable(z.string()),
    createdAt: dateTime(),
    updatedAt: dateTime(),
    finishedAt: nullableDateTime(),
    expiresAt: z.withMeta(dateTime(), { description: 'When the job (and its idempotency key) is forgotten.' }),
  };

  const JobSchema = z.withMeta(z.object(jobFields), { id: 'Job', description: 'A job (SPEC §3.6). Absent values are null, never omitted.' });
  const { payload: _payload, ...summaryFields } = jobFields;
  const JobSummarySchema = z.withMeta(z.object(summaryFields), { id: 'JobSummary', description: 'A job without its payload.' });

  const JobListSchema = z.withMeta(
    z.object({
      items: z.withMeta(z.array(JobSummarySchema), { description: 'Newest first.' }),
      nextCursor: z.withMeta(z.nullable(z.string()), { description: 'Pass as `cursor` for the next page; null on the last page.' }),
    }),
    { id: 'JobList' },
  );

  const AttemptSchema = z.withMeta(
    z.object({
      attempt: z.int().check(z.minimum(1)),
      status: z.enum(['running', 'failed', 'succeeded']),
      error: z.withMeta(z.nullable(z.string()), { description: 'A short message (at most 1 KiB), never a stack trace.' }),
      startedAt: dateTime(),
      finishedAt: nullableDateTime(),
      durationMs: z.nullable(z.int().check(z.minimum(0))),
    }),
    { id: 'Attempt', description: 'One run of the job handler.' },
  );

  const AttemptListSchema = z.withMeta(z.object({ items: z.withMeta(z.array(AttemptSchema), { description: 'Oldest first; the most recent 50.' }) }), {
    id: 'AttemptList',
  });

  const FieldProblemSchema = z.object({ path: z.withMeta(z.string(), { examples: ['payload.to'] }), message: z.string() });

  const ProblemSchema = z.withMeta(
    z.object({
      type: z.literal('about:blank'),
      title: z.withMeta(z.string(), { description: 'The HTTP reason phrase of the status.' }),
      status: z.int().check(z.minimum(400), z.maximum(599)),
      code: z.enum(PROBLEM_CODES),
      detail: z.string(),
      requestId: z.withMeta(z.string(), { description: 'The same as the x-request-id header.' }),
      errors: z.withMeta(z.optional(z.array(FieldProblemSchema)), {
        description: 'For `validation_failed`: each field problem, path relative to the body (or the batch item).',
      }),
    }),
    { id: 'Problem', description: 'An RFC 9457 problem document.' },
  );

  const BatchResultSchema = z.withMeta(
    z.object({
      items: z.withMeta(
        z.array(
          z.union([
            z.withMeta(
              z.object({
                status: z.withMeta(z.union([z.literal(202), z.literal(200)]), { description: '202 created, 200 idempotent replay.' }),
                job: JobSchema,
              }),
              { id: 'BatchItemAccepted' },
            ),
            z.withMeta(
              z.object({
                status: z.withMeta(z.int().check(z.minimum(400), z.maximum(599)), {
                  description:
                    'The 4xx the item would get alone; 503 if it could not be stored right now (nothing kept; the response carries Retry-After); 500 if it failed unexpectedly. Other items are unaffected.',
                }),
                error: ProblemSchema,
              }),
              { id: 'BatchItemFailed' },
            ),
          ]),
        ),
        { description: 'One result per submitted job, in request order.' },
      ),
    }),
    { id: 'BatchResult' },
  );

  const JobTypeListSchema = z.withMeta(
    z.object({
      items: z.array(
        z.object({
          type: z.string(),
          description: z.string(),
          schema: z.withMeta(z.record(z.string(), z.unknown()), { description: 'JSON Schema (2020-12) of the payload.' }),
        }),
      ),
    }),
    { id: 'JobTypeList' },
  );

  /** The OpenAPI document itself: an object, described by the OpenAPI 3.1 specification rather than here. */
  const OpenApiDocumentSchema = z.record(z.string(), z.unknown());

  /** The body of a completion webhook (SPEC §6), signed per Standard Webhooks. */
  const WebhookEventSchema = z.withMeta(
    z.object({
      type: z.enum(['job.succeeded', 'job.fatal']),
      timestamp: dateTime(),
      data: JobSummarySchema,
    }),
    { id: 'WebhookEvent', description: 'Sent once a job is `succeeded` or `fatal`; the same body on every try of one event.' },
  );

  const WebhookHeaders = z.object({
    'webhook-id': z.withMeta(z.string(), { description: 'Unique per event, the same on every retry of that event.' }),
    'webhook-timestamp': z.withMeta(z.string().check(z.regex(/^\d+$/)), { description: 'Unix seconds of this delivery attempt.' }),
    'webhook-signature': z.withMeta(z.string(), {
      description: "`v1,` + base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)); verify with the `standardwebhooks` package.",
    }),
  });

  return { WebhookStateSchema, JobSchema, JobSummarySchema, JobListSchema, AttemptSchema, AttemptListSchema, FieldProblemSchema, ProblemSchema, BatchResultSchema, JobTypeListSchema, OpenApiDocumentSchema, WebhookEventSchema, WebhookHeaders };
});
export type ResponseSchemas = ReturnType<typeof responseSchemas>;
