/**
 * The typed client of API v1 (SPEC §3, §15): one method per operation of
 * openapi.json (test/client/contract.test.ts holds the map and checks it against
 * the document), results typed by the generated ./openapi-types.ts.
 *
 *   const client = new JobsClient({ baseUrl, apiKey });
 *   const { job } = await client.jobs.submit({ type: 'echo', payload: { a: 1 } }, { idempotencyKey: 'order-42' });
 *   const done = await client.jobs.waitFor(job.jobId, { timeoutMs: 60_000 });
 */
import { JobsApiError, JobsWaitTimeoutError } from './errors';
import { abortableSleep, Transport, type CallOptions, type TransportOptions } from './transport';
import {
  TERMINAL_STATUSES,
  type AttemptList,
  type BatchJobSubmission,
  type BatchResult,
  type Job,
  type JobList,
  type JobStatus,
  type JobSubmission,
  type JobSummary,
  type JobTypeList,
  type ListJobsQuery,
  type ResponseBody,
} from './types';

export type JobsClientOptions = TransportOptions;

export interface SubmitOptions extends CallOptions {
  /** Makes the submit safe to repeat (SPEC §3.1); the client then retries it on network errors and 5xx. */
  readonly idempotencyKey?: string;
  /** Generate an idempotency key (a random UUID) when none is given, so that the submit may be retried. */
  readonly generateIdempotencyKey?: boolean;
}

export interface SubmitResult {
  readonly job: Job;
  /** True when this was an idempotent replay (200): the job an earlier request with the same key created. */
  readonly replayed: boolean;
  /** The key sent (given or generated), null when none. */
  readonly idempotencyKey: string | null;
}

export interface BatchOptions extends CallOptions {
  /** Give each item without an `idempotencyKey` a random one, so that the batch may be retried. */
  readonly generateIdempotencyKeys?: boolean;
}

export type ListOptions = Omit<ListJobsQuery, 'cursor'> & CallOptions & { readonly cursor?: string };

export interface WaitOptions extends CallOptions {
  /** The statuses to wait for, or a test of the job. @default the terminal statuses: succeeded, fatal, canceled */
  readonly until?: readonly JobStatus[] | ((job: Job) => boolean);
  /** Give up (JobsWaitTimeoutError) after this long. @default 300000 */
  readonly timeoutMs?: number;
  /** First pause between polls; it grows ×1.5 up to `maxIntervalMs`. @default 250 */
  readonly intervalMs?: number;
  /** @default 5000 */
  readonly maxIntervalMs?: number;
  /** Sees every job polled (a CLI's spinner). */
  readonly onPoll?: (job: Job) => void;
  /** Per request. */
  readonly requestTimeoutMs?: number;
}

/** The pages of a listing, or (iterating the object itself) every job on them. */
export interface JobListing extends AsyncIterable<JobSummary> {
  pages(): AsyncIterable<JobList>;
}

export class JobsClient {
  readonly jobs: JobsResource;
  readonly jobTypes: JobTypesResource;
  private readonly transport: Transport;

  constructor(options: JobsClientOptions) {
    this.transport = new Transport(options);
    this.jobs = new JobsResource(this.transport, options.sleep ?? abortableSleep);
    this.jobTypes = new JobTypesResource(this.transport);
  }

  /** `GET /v1/openapi.json` (no key needed). */
  async openApiDocument(options: CallOptions = {}): Promise<ResponseBody<'getOpenApiDocument', 200>> {
    const reply = await this.transport.send<ResponseBody<'getOpenApiDocument', 200>>({ ...options, method: 'GET', path: '/v1/openapi.json', idempotent: true, public: true });
    return reply.body;
  }
}

export class JobTypesResource {
  constructor(private readonly transport: Transport) {}

  /** `GET /v1/job-types`. */
  async list(options: CallOptions = {}): Promise<JobTypeList> {
    return (await this.transport.send<JobTypeList>({ ...options, method: 'GET', path: '/v1/job-types', idempotent: true })).body;
  }
}

export class JobsResource {
  constructor(
    private readonly transport: Transport,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
  ) {}

  /**
   * `POST /v1/jobs`. Retried on a network error or a 5xx only with an idempotency
   * key; without one, an unknown outcome is a JobsNetworkError with `outcomeUnknown`.
   */
  async submit(job: JobSubmission, options: SubmitOptions = {}): Promise<SubmitResult> {
    const idempotencyKey = options.idempotencyKey ?? (options.generateIdempotencyKey ? globalThis.crypto.randomUUID() : null);
    const reply = await this.transport.send<Job>({
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      method: 'POST',
      path: '/v1/jobs',
      body: job,
      headers: idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey },
      idempotent: idempotencyKey !== null,
    });
    return { job: reply.body, replayed: reply.status === 200, idempotencyKey };
  }

  /**
   * `POST /v1/jobs/batch`: up to 100 jobs, each judged alone (look at each item's
   * `status`). Retried only when every item carries an idempotency key.
   */
  async submitBatch(jobs: readonly BatchJobSubmission[], options: BatchOptions = {}): Promise<BatchResult> {
    const items = options.generateIdempotencyKeys ? jobs.map((item) => ({ ...item, idempotencyKey: item.idempotencyKey ?? globalThis.crypto.randomUUID() })) : jobs;
    const reply = await this.transport.send<BatchResult>({
      signal: options.signal,
      timeoutMs: options.timeoutMs,
      method: 'POST',
      path: '/v1/jobs/batch',
      body: { jobs: items },
      idempotent: items.every((item) => typeof item.idempotencyKey === 'string'),
    });
    return reply.body;
  }

  /** `GET /v1/jobs/{jobId}`. */
  async get(jobId: string, options: CallOptions = {}): Promise<Job> {
    return (await this.transport.send<Job>({ ...options, method: 'GET', path: jobPath(jobId), idempotent: true })).body;
  }

  /** `GET /v1/jobs`: one page. */
  async listPage(query: ListOptions): Promise<JobList> {
    const { signal, timeoutMs, ...params } = query;
    return (await this.transport.send<JobList>({ signal, timeoutMs, method: 'GET', path: '/v1/jobs', query: params, idempotent: true })).body;
  }

  /**
   * Every job of a status (and type), newest first, fetching page after page as
   * the iteration goes: `for await (const job of client.jobs.list({ status: 'fatal' }))`;
   * `.pages()` yields the pages themselves.
   */
  list(query: ListOptions): JobListing {
    const pages = async function* (this: JobsResource): AsyncGenerator<JobList> {
      let cursor = query.cursor;
      do {
        const page = await this.listPage({ ...query, cursor });
        yield page;
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    }.bind(this);
    return {
      pages,
      async *[Symbol.asyncIterator]() {
        for await (const page of pages()) yield* page.items;
      },
    };
  }

  /** `GET /v1/jobs/{jobId}/attempts`: oldest first. */
  async attempts(jobId: string, options: CallOptions = {}): Promise<AttemptList> {
    return (await this.transport.send<AttemptList>({ ...options, method: 'GET', path: `${jobPath(jobId)}/attempts`, idempotent: true })).body;
  }

  /** `POST /v1/jobs/{jobId}/cancel`: never repeated after an unknown outcome (a repeat would answer 409 for what the first did). */
  async cancel(jobId: string, options: CallOptions = {}): Promise<Job> {
    return (await this.transport.send<Job>({ ...options, method: 'POST', path: `${jobPath(jobId)}/cancel`, idempotent: false })).body;
  }

  /** `POST /v1/jobs/{jobId}/retry`: a fatal or canceled job runs again (202). Never repeated after an unknown outcome. */
  async retry(jobId: string, options: CallOptions = {}): Promise<Job> {
    return (await this.transport.send<Job>({ ...options, method: 'POST', path: `${jobPath(jobId)}/retry`, idempotent: false })).body;
  }

  /** `DELETE /v1/jobs/{jobId}` (204). Never repeated after an unknown outcome (a repeat would answer 404). */
  async delete(jobId: string, options: CallOptions = {}): Promise<void> {
    await this.transport.send<undefined>({ ...options, method: 'DELETE', path: jobPath(jobId), idempotent: false });
  }

  /** `POST /v1/jobs/{jobId}/webhook/redeliver` (202): the terminal event again, same `webhook-id`. */
  async redeliver(jobId: string, options: CallOptions = {}): Promise<JobSummary> {
    return (await this.transport.send<JobSummary>({ ...options, method: 'POST', path: `${jobPath(jobId)}/webhook/redeliver`, idempotent: false })).body;
  }

  /**
   * Polls the job until it satisfies `until` (default: terminal) and returns it.
   * Pauses grow from `intervalMs` by ×1.5 to `maxIntervalMs`, each with ±20 % jitter
   * so that many waiters do not poll in step. Each poll is a read (retried as reads are).
   */
  async waitFor(jobId: string, options: WaitOptions = {}): Promise<Job> {
    const until = options.until ?? TERMINAL_STATUSES;
    const accept = typeof until === 'function' ? until : (job: Job) => until.includes(job.status);
    const timeoutMs = options.timeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    const maxIntervalMs = options.maxIntervalMs ?? 5000;
    let intervalMs = options.intervalMs ?? 250;
    for (;;) {
      const last = await this.get(jobId, { signal: options.signal, timeoutMs: options.requestTimeoutMs });
      options.onPoll?.(last);
      if (accept(last)) return last;
      const left = deadline - Date.now();
      if (left <= 0) throw new JobsWaitTimeoutError(jobId, timeoutMs, last);
      await this.sleep(Math.min(left, intervalMs * (0.8 + 0.4 * Math.random())), options.signal);
      intervalMs = Math.min(maxIntervalMs, intervalMs * 1.5);
    }
  }
}

function jobPath(jobId: string): string {
  return `/v1/jobs/${encodeURIComponent(jobId)}`;
}

export { JobsApiError };
