/**
 * The shapes of API v1 (SPEC §3) as zod schemas: what clients send (the
 * submission schemas of lambdas/jobs/submission.ts, plus query strings, path
 * parameters and headers) and what the service answers (the Job view, Attempt,
 * list pages, batch results, the problem document, the job-types list, the
 * webhook event). The route table (./routes.ts) names them per operation; the
 * OpenAPI document (cli/openapi-document.ts) is generated from them. `.meta({ id })` makes a
 * schema a named component of the document; it is zod's own metadata, so this
 * module needs no OpenAPI library at run time.
 */
import * as z from 'zod';
import { JOB_STATUSES } from '../jobs/job';
import { JobSubmissionSchema, MAX_RUN_AHEAD_SECONDS } from '../jobs/submission';
import type { JobTypeDefinition } from '../job-types/job-type';
import { PROBLEM_CODES } from './problem';

const dateTime = () => z.iso.datetime();
const nullableDateTime = () => z.iso.datetime().nullable();

// --- Path, query and header parameters ----------------------------------------------

export const JobIdParams = z.object({
  jobId: z.uuid().meta({ description: 'Any other shape is 404 `job_not_found`.' }),
});

export const JobStatusSchema = z.enum(JOB_STATUSES).meta({
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
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(z.number().int().min(1, 'must be an integer from 1 to 100').max(100, 'must be an integer from 1 to 100'))
    .optional()
    .meta({ description: 'Page size, 1..100; default 25.', param: { schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } } }),
  cursor: z.string().optional().meta({
    description: 'The `nextCursor` of the previous page, unchanged, with the same status and type; anything else is 400 `invalid_cursor`.',
  }),
  type: z
    .string()
    .regex(TYPE_FILTER, 'must be a job type name (1..64 ASCII letters, digits, ".", "_" or "-")')
    .optional()
    .meta({ description: 'Only jobs of this type.' }),
});
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;

const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7E]{1,255}$/)
  .meta({ description: 'Makes the submission safe to repeat: one key, one job, per tenant, while the job is retained.' });

export const SubmitJobHeaders = z.object({ 'Idempotency-Key': IdempotencyKey.optional() });

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
  Object.entries(JobSubmissionSchema.shape).map(([name, schema]) => [name, schema.meta({ description: SUBMISSION_DESCRIPTIONS[name as keyof typeof SUBMISSION_DESCRIPTIONS] })]),
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
export type BodyByJobType = (jobTypes: readonly JobTypeDefinition<unknown>[]) => z.ZodType;

/**
 * Builds a body once per list of job types: a schema's `id` may be registered
 * only once (zod's registry refuses a second), and a payload schema is shared
 * by the single and the batch submission.
 */
function once(build: BodyByJobType): BodyByJobType {
  const built = new WeakMap<readonly JobTypeDefinition<unknown>[], z.ZodType>();
  return (jobTypes) => {
    if (!built.has(jobTypes)) built.set(jobTypes, build(jobTypes));
    return built.get(jobTypes)!;
  };
}

const payloadSchemas = new WeakMap<JobTypeDefinition<unknown>, z.ZodType>();
function payloadSchema(jobType: JobTypeDefinition<unknown>): z.ZodType {
  if (!payloadSchemas.has(jobType)) {
    payloadSchemas.set(jobType, (jobType.schema).meta({ id: `${pascal(jobType.type)}Payload`, description: `Payload of a \`${jobType.type}\` job.` }));
  }
  return payloadSchemas.get(jobType)!;
}

/** Body of POST /v1/jobs: one variant per job type, told apart by `type`. */
export const jobSubmissionBody: BodyByJobType = once((jobTypes) => z.discriminatedUnion('type', submissionVariants(jobTypes, {})).meta({
  id: 'JobSubmission',
  description: 'Body of POST /v1/jobs (SPEC §3.1): `payload` follows the schema of the job `type`. Unknown fields are 400 `validation_failed`; runAt and delaySeconds are exclusive.',
}));

/** Body of POST /v1/jobs/batch: 1..100 submissions, each with its own optional idempotency key. */
export const batchSubmissionBody: BodyByJobType = once((jobTypes) =>
  z
    .strictObject({
      jobs: z
        .array(
          z.discriminatedUnion('type', submissionVariants(jobTypes, { idempotencyKey: IdempotencyKey.optional() }, 'Batch')).meta({
            id: 'BatchJobSubmission',
            description: 'One batch item: a job submission plus its own optional idempotency key (same rules as the Idempotency-Key header).',
          }),
        )
        .min(1)
        .max(100),
    })
    .meta({ id: 'BatchSubmission', description: 'Body of POST /v1/jobs/batch (SPEC §3.7): 1..100 jobs, judged one by one.' }),
);

function submissionVariants(jobTypes: readonly JobTypeDefinition<unknown>[], extra: z.ZodRawShape, prefix = '') {
  return jobTypes.map((jobType) => {
    const name = pascal(jobType.type);
    return z
      .strictObject({
        ...submissionFields,
        type: z.literal(jobType.type),
        payload: payloadSchema(jobType),
        ...extra,
      })
      // runAt and delaySeconds exclude each other (the refinement of JobSubmissionSchema, said in JSON Schema).
      .meta({ id: `${prefix}${name}JobSubmission`, description: `A \`${jobType.type}\` job: ${jobType.description}`, not: { required: ['runAt', 'delaySeconds'] } });
  }) as unknown as [z.ZodObject, ...z.ZodObject[]];
}

// --- Responses ----------------------------------------------------------------------

export const WebhookStateSchema = z
  .object({
    status: z.enum(['none', 'pending', 'delivered', 'failed']).meta({ description: '`none` when the job has no webhookUrl.' }),
    attempts: z.int().min(0),
    lastStatusCode: z.int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: nullableDateTime(),
  })
  .meta({ id: 'WebhookState', description: "Delivery of the job's completion webhook." });

const jobFields = {
  jobId: z.uuid(),
  tenantId: z.string(),
  type: z.string(),
  status: JobStatusSchema,
  attempts: z.int().min(0).meta({ description: 'Attempts made so far (keeps counting across retries).' }),
  maxAttempts: z.int().min(1).max(25),
  nextRunAt: nullableDateTime().meta({ description: 'When the job may next run; null unless it is waiting.' }),
  idempotencyKey: z.string().nullable(),
  payloadHash: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .meta({ description: 'SHA-256 of the canonical JSON (RFC 8785) of the submitted fields.' }),
  payload: z.record(z.string(), z.unknown()).meta({ description: "The submitted payload (its type's schema: see GET /v1/job-types)." }),
  webhookUrl: z.url().nullable(),
  webhook: WebhookStateSchema,
  // Present always (null until there is one): a value that refuses `undefined` is what marks it required.
  result: z.unknown().refine((value) => value !== undefined).meta({ description: 'What the handler returned when it is at most 4 KiB of JSON, else `{"truncated": true, "bytes": N}`; null until then.' }),
  lastError: z.string().nullable(),
  createdAt: dateTime(),
  updatedAt: dateTime(),
  finishedAt: nullableDateTime(),
  expiresAt: dateTime().meta({ description: 'When the job (and its idempotency key) is forgotten.' }),
};

export const JobSchema = z.object(jobFields).meta({ id: 'Job', description: 'A job (SPEC §3.6). Absent values are null, never omitted.' });
const { payload: _payload, ...summaryFields } = jobFields;
export const JobSummarySchema = z.object(summaryFields).meta({ id: 'JobSummary', description: 'A job without its payload.' });

export const JobListSchema = z
  .object({
    items: z.array(JobSummarySchema).meta({ description: 'Newest first.' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'JobList' });

export const AttemptSchema = z
  .object({
    attempt: z.int().min(1),
    status: z.enum(['running', 'failed', 'succeeded']),
    error: z.string().nullable().meta({ description: 'A short message (at most 1 KiB), never a stack trace.' }),
    startedAt: dateTime(),
    finishedAt: nullableDateTime(),
    durationMs: z.int().min(0).nullable(),
  })
  .meta({ id: 'Attempt', description: 'One run of the job handler.' });

export const AttemptListSchema = z
  .object({ items: z.array(AttemptSchema).meta({ description: 'Oldest first; the most recent 50.' }) })
  .meta({ id: 'AttemptList' });

export const FieldProblemSchema = z.object({ path: z.string().meta({ examples: ['payload.to'] }), message: z.string() });

export const ProblemSchema = z
  .object({
    type: z.literal('about:blank'),
    title: z.string().meta({ description: 'The HTTP reason phrase of the status.' }),
    status: z.int().min(400).max(599),
    code: z.enum(PROBLEM_CODES),
    detail: z.string(),
    requestId: z.string().meta({ description: 'The same as the x-request-id header.' }),
    errors: z
      .array(FieldProblemSchema)
      .optional()
      .meta({ description: 'For `validation_failed`: each field problem, path relative to the body (or the batch item).' }),
  })
  .meta({ id: 'Problem', description: 'An RFC 9457 problem document.' });

export const BatchResultSchema = z
  .object({
    items: z
      .array(
        z.union([
          z
            .object({ status: z.union([z.literal(202), z.literal(200)]).meta({ description: '202 created, 200 idempotent replay.' }), job: JobSchema })
            .meta({ id: 'BatchItemAccepted' }),
          z
            .object({
              status: z.int().min(400).max(599).meta({
                description:
                  'The 4xx the item would get alone; 503 if it could not be stored right now (nothing kept; the response carries Retry-After); 500 if it failed unexpectedly. Other items are unaffected.',
              }),
              error: ProblemSchema,
            })
            .meta({ id: 'BatchItemFailed' }),
        ]),
      )
      .meta({ description: 'One result per submitted job, in request order.' }),
  })
  .meta({ id: 'BatchResult' });

export const JobTypeListSchema = z
  .object({
    items: z.array(
      z.object({
        type: z.string(),
        description: z.string(),
        schema: z.record(z.string(), z.unknown()).meta({ description: 'JSON Schema (2020-12) of the payload.' }),
      }),
    ),
  })
  .meta({ id: 'JobTypeList' });

/** The OpenAPI document itself: an object, described by the OpenAPI 3.1 specification rather than here. */
export const OpenApiDocumentSchema = z.record(z.string(), z.unknown());

/** The body of a completion webhook (SPEC §6), signed per Standard Webhooks. */
export const WebhookEventSchema = z
  .object({
    type: z.enum(['job.succeeded', 'job.fatal']),
    timestamp: dateTime(),
    data: JobSummarySchema,
  })
  .meta({ id: 'WebhookEvent', description: 'Sent once a job is `succeeded` or `fatal`; the same body on every try of one event.' });

export const WebhookHeaders = z.object({
  'webhook-id': z.string().meta({ description: 'Unique per event, the same on every retry of that event.' }),
  'webhook-timestamp': z.string().regex(/^\d+$/).meta({ description: 'Unix seconds of this delivery attempt.' }),
  'webhook-signature': z
    .string()
    .meta({ description: "`v1,` + base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)); verify with the `standardwebhooks` package." }),
});
