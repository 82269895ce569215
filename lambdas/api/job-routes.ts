/**
 * The handlers of API v1 (SPEC §3), one per operation of the route table
 * (./routes.ts): each turns a request into a use case call and its result into
 * a response. The router (./api-handler.ts) has already matched path (404), API
 * key (403), method (405) and size (413); the handler makes the operation's own checks.
 */
import { describeJobTypes } from '../job-types/registry';
import type * as z from '../zod';
import { toJobView, webhookEventOf, type Job } from '../jobs/job';
import { isJobIdShaped } from '../jobs/job-id';
import type { PreparedJob } from '../jobs/prepare-job';
import { BatchSubmissionSchema, fieldProblems, type FieldProblem } from '../jobs/submission';
import { cancel, deleteFinished, redeliverWebhook, retry, type ActionResult, type Decision } from '../jobs/transitions';
import { ItemTooLargeError, StoreUnavailableError } from '../store/errors';
import { InvalidCursorError } from '../store/list-cursor';
import type { Dispatch, JobMessage } from '../queue/job-queue';
import type { ServiceContext } from '../service-context';
import { createPreparedJob, dispatchFor, enqueueCreated, prepareSubmission, sendCreatesFirst, submitJob } from '../use-cases/submit-job';
import { countJobs } from '../observability';
import { HttpProblem, jobNotFound, problemDocument, validationFailed, type ProblemCode } from './problem';
import { readJsonBody, type ApiRequest, type ApiResponse } from './request';
import { rejectionProblem } from './rejection-problem';
import type { OperationId } from './routes';
import { ListJobsQuery } from './schemas';

export type RouteHandler = (ctx: ServiceContext, request: ApiRequest, tenantId: string) => Promise<ApiResponse>;

const timing = (ctx: ServiceContext) => ({ nowMs: ctx.now(), retentionDays: ctx.config.retentionDays });

function jobIdParam(request: ApiRequest): string {
  const jobId = request.params.jobId ?? '';
  if (!isJobIdShaped(jobId)) throw jobNotFound();
  return jobId;
}

function jobPath(request: ApiRequest, jobId: string): string {
  return `${request.basePath}/v1/jobs/${jobId}`;
}

async function getJobOrThrow(ctx: ServiceContext, request: ApiRequest, tenantId: string, options: { withPayload?: boolean } = {}): Promise<Job> {
  const job = await ctx.jobs.get({ tenantId, jobId: jobIdParam(request) }, options);
  if (!job) throw jobNotFound();
  return job;
}

/** Seconds a client is asked to wait after a 503 (the SDK has already retried for a few seconds). */
const RETRY_AFTER_SECONDS = 2;

/** The store's refusals of a create, as SPEC §3's problems; anything else goes on. */
function createProblem(error: unknown): unknown {
  if (error instanceof ItemTooLargeError) {
    return new HttpProblem(
      'payload_too_large',
      `The job would take ${error.bytes} bytes of storage, over the ${error.limitBytes} a job may use with room to record its attempts, result and webhook events; send a smaller payload.`,
    );
  }
  if (error instanceof StoreUnavailableError) {
    return new HttpProblem('service_unavailable', undefined, {
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  }
  return error;
}

const postJob: RouteHandler = async (ctx, request, tenantId) => {
  const body = readJsonBody(request);
  let submitted;
  try {
    submitted = await submitJob(ctx, tenantId, body, request.headers['idempotency-key']);
  } catch (error) {
    throw createProblem(error);
  }
  if (submitted.kind === 'rejected') throw rejectionProblem(submitted);
  countJobs(ctx.metrics, submitted.status === 202 ? 'JobsCreated' : 'JobsReplayed', submitted.job.type);
  const headers: Record<string, string> = { location: jobPath(request, submitted.job.jobId) };
  if (submitted.status === 200) headers['idempotent-replayed'] = 'true';
  return { status: submitted.status, body: toJobView(submitted.job, { withPayload: true }), headers };
};

const BATCH_CONCURRENCY = 16;

/**
 * SPEC §3.7: items judged one by one as POST /v1/jobs would. The messages of new
 * jobs due soon go first, in SendMessageBatch calls, then each job is put; jobs
 * put first (keyed) are enqueued with batch calls after.
 */
const postBatch: RouteHandler = async (ctx, request, tenantId) => {
  const body = readJsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem('invalid_json', 'The body must be a JSON object.');
  }
  const batch = BatchSubmissionSchema.safeParse(body);
  if (!batch.success) throw validationFailed(fieldProblems(batch.error));
  const items = batch.data.jobs;
  const results: unknown[] = new Array(items.length);
  const failItem = (index: number, error: unknown) => {
    // Items are independent: an unexpected failure of one is that item's 500, not the batch's.
    const problem = error instanceof HttpProblem ? error : new HttpProblem('internal_error');
    if (!(error instanceof HttpProblem)) ctx.logger.error('batch item failed', { requestId: request.requestId, item: index, errorName: (error as Error).name });
    results[index] = { status: problem.status, error: problemDocument(problem, request.requestId) };
  };
  const accepted: { index: number; prepared: PreparedJob }[] = [];
  items.forEach((item, index) => {
    try {
      const isObject = typeof item === 'object' && item !== null && !Array.isArray(item);
      // A non-object item goes to prepareSubmission as it is, which answers invalid_json for it.
      const { idempotencyKey, ...submission } = isObject ? (item as Record<string, unknown>) : { idempotencyKey: undefined };
      if (idempotencyKey !== undefined && typeof idempotencyKey !== 'string') {
        throw new HttpProblem('invalid_idempotency_key', 'idempotencyKey must be a string of 1..255 visible ASCII characters.');
      }
      const prepared = prepareSubmission(ctx, tenantId, isObject ? submission : item, idempotencyKey);
      if (prepared.kind === 'rejected') throw rejectionProblem(prepared);
      // Before any message is sent for it: a job that cannot be stored leaves none.
      ctx.jobs.assertStorable(prepared.job);
      accepted.push({ index, prepared });
    } catch (error) {
      failItem(index, createProblem(error));
    }
  });
  const ready = await sendCreatesFirst(ctx, accepted.map((a) => a.prepared));
  const created: { job: Job; runAtMs: number }[] = [];
  let next = 0;
  const work = async () => {
    while (next < accepted.length) {
      const i = next++;
      const { index } = accepted[i];
      try {
        const submitted = await createPreparedJob(ctx, ready[i]).catch((error: unknown) => {
          throw createProblem(error);
        });
        if (submitted.kind === 'rejected') throw rejectionProblem(submitted);
        if (submitted.status === 202) created.push({ job: submitted.job, runAtMs: ready[i].runAtMs });
        results[index] = { status: submitted.status, job: toJobView(submitted.job, { withPayload: true }) };
      } catch (error) {
        failItem(index, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, accepted.length) }, work));
  const nowMs = ctx.now();
  await enqueueCreated(ctx, created.map((c) => dispatchFor(c.job, c.runAtMs, nowMs)).filter((d): d is Dispatch<JobMessage> => d !== undefined));
  const byType = new Map<string, number>();
  for (const c of created) byType.set(c.job.type, (byType.get(c.job.type) ?? 0) + 1);
  for (const [type, count] of byType) countJobs(ctx.metrics, 'JobsCreated', type, count);
  // An item that met an unavailable store carries its own 503; the batch says when to send it again.
  const unavailable = results.some((item) => (item as { status: number }).status === 503);
  return { status: 200, body: { items: results }, ...(unavailable ? { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } } : {}) };
};

const listJobs: RouteHandler = async (ctx, request, tenantId) => {
  const query = parseQuery(ListJobsQuery, request);
  try {
    const page = await ctx.jobs.list({ tenantId, status: query.status, limit: query.limit ?? 25, cursor: query.cursor, type: query.type });
    return { status: 200, body: { items: page.items.map((job) => toJobView(job, { withPayload: false })), nextCursor: page.nextCursor } };
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new HttpProblem('invalid_cursor');
    // A read-through DynamoDB kept refusing (throttled): ask again shortly, as for a create.
    throw createProblem(error);
  }
};

/**
 * A query string by its schema, each parameter at most once (which of two
 * values a client meant is not ours to guess). Parameters the schema does not
 * name are ignored.
 */
function parseQuery<Schema extends z.ZodMiniObject>(schema: Schema, request: ApiRequest): z.infer<Schema> {
  const problems: FieldProblem[] = [];
  const single: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const values = request.query[name];
    if (values && values.length > 1) problems.push({ path: name, message: 'must be given at most once' });
    else if (values?.[0] !== undefined) single[name] = values[0];
  }
  const parsed = schema.safeParse(single);
  if (!parsed.success) problems.push(...fieldProblems(parsed.error));
  if (problems.length > 0) throw validationFailed(problems);
  return parsed.data as z.infer<Schema>;
}

const getJob: RouteHandler = async (ctx, request, tenantId) => ({
  status: 200,
  body: toJobView(await getJobOrThrow(ctx, request, tenantId), { withPayload: true }),
});

const getAttempts: RouteHandler = async (ctx, request, tenantId) => {
  const job = await getJobOrThrow(ctx, request, tenantId, { withPayload: false });
  return { status: 200, body: { items: job.history } };
};

/** Runs one of the SPEC §3.5 actions; a refusal answers with the 409 of the state found (404 if none). */
async function act(
  ctx: ServiceContext,
  request: ApiRequest,
  tenantId: string,
  decide: (job: Job | undefined) => Decision<ActionResult>,
  refusal: ProblemCode,
  refusalDetail: (job: Job) => string,
): Promise<Job> {
  const result = await ctx.jobs.transition({ tenantId, jobId: jobIdParam(request) }, decide);
  if (!result.job) throw jobNotFound();
  if (!result.ok) throw new HttpProblem(refusal, refusalDetail(result.job));
  return result.job;
}

const cancelJob: RouteHandler = async (ctx, request, tenantId) => {
  const job = await act(ctx, request, tenantId, (j) => cancel(j, timing(ctx)), 'job_not_cancelable', (j) => `A ${j.status} job cannot be canceled.`);
  return { status: 200, body: toJobView(job, { withPayload: true }) };
};

const retryJob: RouteHandler = async (ctx, request, tenantId) => {
  const job = await act(ctx, request, tenantId, (j) => retry(j, timing(ctx)), 'job_not_retryable', (j) => `A ${j.status} job cannot be retried.`);
  await enqueueCreated(ctx, [{ message: { tenantId, jobId: job.jobId, attempts: job.attempts } }]);
  return { status: 202, body: toJobView(job, { withPayload: true }), headers: { location: jobPath(request, job.jobId) } };
};

const deleteJob: RouteHandler = async (ctx, request, tenantId) => {
  await act(ctx, request, tenantId, deleteFinished, 'job_not_deletable', (j) => `A ${j.status} job cannot be deleted; cancel it first.`);
  return { status: 204 };
};

const redeliver: RouteHandler = async (ctx, request, tenantId) => {
  const job = await act(
    ctx,
    request,
    tenantId,
    (j) => redeliverWebhook(j, timing(ctx)),
    'webhook_not_redeliverable',
    (j) => (j.webhookUrl ? `A ${j.status} job has no webhook event to redeliver.` : 'This job has no webhookUrl.'),
  );
  try {
    await ctx.webhooksQueue.send({ message: { tenantId, jobId: job.jobId, eventId: webhookEventOf(job.webhook)!.id } });
  } catch (error) {
    ctx.logger.warn('webhook enqueue failed; the sweep will dispatch', { error: (error as Error).message });
  }
  return { status: 202, body: toJobView(job, { withPayload: false }) };
};

/** The document `npm run openapi` wrote (cli/openapi-document.ts generates it): loaded on first request, not at cold start. */
const getOpenApiDocument: RouteHandler = async () => ({ status: 200, body: (await import('../../openapi.json')).default });

/** Each operation of the route table, by its operationId: the compiler insists on all of them, and on no others. */
export const HANDLERS: Readonly<Record<OperationId, RouteHandler>> = {
  submitJob: postJob,
  listJobs,
  submitJobBatch: postBatch,
  getJob,
  deleteJob,
  listJobAttempts: getAttempts,
  cancelJob,
  retryJob,
  redeliverJobWebhook: redeliver,
  listJobTypes: () => Promise.resolve({ status: 200, body: describeJobTypes() }),
  getOpenApiDocument,
};
