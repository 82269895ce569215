/**
 * The running local twin for end-to-end tests: one in-memory twin per test file
 * (handlers read the process environment), random ports, timings shrunk so the
 * whole pipeline runs in seconds, and an API client that speaks to it over HTTP.
 */
import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Attempt, JobStatus } from '../../lambdas/jobs/job';
import { startTwin, type Twin, type TwinOptions } from '../../local/twin';
import { assertMatchesContract, headersOf } from './openapi-contract';
import { waitFor } from './wait-for';

/**
 * Timings for tests (SPEC §12 names). Retries still wait at least 1 s (the
 * backoff floor), so a test with retries takes seconds, not minutes.
 */
export const FAST_TWIN_ENV: Readonly<Record<string, string>> = {
  JOBS_IN_MEMORY: '1',
  PORT: '0',
  JOBS_DYNAMODB_PORT: '0',
  JOBS_SQS_PORT: '0',
  BACKOFF_BASE_SECONDS: '0.05',
  BACKOFF_MAX_SECONDS: '1',
  JOB_TIMEOUT_SECONDS: '5',
  STALE_AFTER_SECONDS: '2',
  SCHEDULER_INTERVAL_SECONDS: '0.2',
  WEBHOOK_RETRY_SCHEDULE: '1,1,1',
  WEBHOOK_TIMEOUT_SECONDS: '2',
};

/** A job as the API shows it (SPEC §3.6). */
export interface JobView {
  jobId: string;
  tenantId: string;
  type: string;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  nextRunAt: string | null;
  idempotencyKey: string | null;
  payload?: Record<string, unknown>;
  webhookUrl: string | null;
  webhook: { status: string; attempts: number; lastStatusCode: number | null; lastError: string | null; deliveredAt: string | null };
  result: unknown;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  expiresAt: string;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when it is not JSON. */
  body: T;
  text: string;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Another key, or null for none. @default the dev tenant's key */
  readonly apiKey?: string | null;
  /** Sent exactly as given (not JSON-encoded, no content type added). */
  readonly rawBody?: string | Buffer;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const apiKey = options.apiKey === undefined ? this.apiKey : options.apiKey;
    const headers: Record<string, string> = { ...(apiKey === null ? {} : { 'x-api-key': apiKey }), ...options.headers };
    let body: string | Buffer | undefined;
    if (options.rawBody !== undefined) {
      body = options.rawBody;
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    assertMatchesContract({ method, target: path, status: response.status, headers: headersOf(response.headers), body: text });
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  /** POST /v1/jobs; fails the test unless the job was created (202) or replayed (200). */
  async submit(job: Record<string, unknown>, options: { idempotencyKey?: string } = {}): Promise<JobView> {
    const headers = options.idempotencyKey === undefined ? undefined : { 'idempotency-key': options.idempotencyKey };
    const response = await this.request<JobView>('POST', '/v1/jobs', { body: job, headers });
    if (response.status !== 202 && response.status !== 200) {
      throw new Error(`submit answered ${response.status}: ${JSON.stringify(response.body)}`);
    }
    return response.body;
  }

  /** POST /v1/jobs/batch (≤ 100 items); returns the created jobs, failing on any rejected item. */
  async submitBatch(jobs: readonly Record<string, unknown>[]): Promise<JobView[]> {
    const response = await this.request<{ items: Array<{ status: number; job?: JobView; error?: unknown }> }>('POST', '/v1/jobs/batch', {
      body: { jobs },
    });
    if (response.status !== 200) throw new Error(`batch answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body.items.map((item) => {
      if (!item.job) throw new Error(`batch item rejected: ${JSON.stringify(item.error)}`);
      return item.job;
    });
  }

  async getJob(jobId: string): Promise<JobView> {
    const response = await this.request<JobView>('GET', `/v1/jobs/${jobId}`);
    if (response.status !== 200) throw new Error(`GET job answered ${response.status}`);
    return response.body;
  }

  async attempts(jobId: string): Promise<Attempt[]> {
    const response = await this.request<{ items: Attempt[] }>('GET', `/v1/jobs/${jobId}/attempts`);
    if (response.status !== 200) throw new Error(`GET attempts answered ${response.status}`);
    return response.body.items;
  }

  cancel(jobId: string): Promise<ApiResponse> {
    return this.request('POST', `/v1/jobs/${jobId}/cancel`);
  }

  retry(jobId: string): Promise<ApiResponse> {
    return this.request('POST', `/v1/jobs/${jobId}/retry`);
  }

  delete(jobId: string): Promise<ApiResponse> {
    return this.request('DELETE', `/v1/jobs/${jobId}`);
  }

  /** Every job of the dev tenant in `status` (all pages). */
  async listAll(status: JobStatus): Promise<JobView[]> {
    const items: JobView[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `status=${status}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await this.request<{ items: JobView[]; nextCursor: string | null }>('GET', `/v1/jobs?${query}`);
      if (page.status !== 200) throw new Error(`list answered ${page.status}`);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  /** Waits until the job satisfies `until` (a status list or a predicate); returns it. */
  waitForJob(jobId: string, until: readonly JobStatus[] | ((job: JobView) => boolean), timeoutMs = 15_000): Promise<JobView> {
    const accept = typeof until === 'function' ? until : (job: JobView) => until.includes(job.status);
    return waitFor(
      async () => {
        const job = await this.getJob(jobId);
        return accept(job) ? job : undefined;
      },
      { timeoutMs, intervalMs: 50, description: `job ${jobId} reaching ${typeof until === 'function' ? 'the expected state' : until.join('|')}` },
    );
  }
}

/** `ApiClient.request` as a plain function: `api('POST', '/v1/jobs', { body })`. */
export function apiClient(baseUrl: string, apiKey: string): ApiClient['request'] {
  const client = new ApiClient(baseUrl, apiKey);
  return client.request.bind(client);
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface TestTwin {
  readonly twin: Twin;
  readonly api: ApiClient;
  /** Message counts of a queue of this twin (the jobs queue by default). */
  queueDepth(queueUrl?: string): Promise<QueueDepth>;
  /** Waits until a queue holds no message at all: every one was handled and deleted. */
  waitForQueueEmpty(queueUrl?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * On an external DynamoDB (the e2e pass on DynamoDB Local), each in-memory
 * twin gets a table of its own, as it would get a fresh dynalite.
 */
function freshTableOnExternalDynamoDb(env: Readonly<Record<string, string>>): Record<string, string> {
  const external = env.JOBS_DYNAMODB_ENDPOINT ?? process.env.JOBS_DYNAMODB_ENDPOINT;
  const inMemory = env.JOBS_IN_MEMORY !== '0';
  if (!external || !inMemory || env.JOBS_TABLE_NAME) return {};
  return { JOBS_TABLE_NAME: `jobs-${randomUUID()}` };
}

/** Starts a twin in memory with FAST_TWIN_ENV under `options.env`. */
export async function startTestTwin(options: TwinOptions = {}): Promise<TestTwin> {
  const env = { ...FAST_TWIN_ENV, ...options.env };
  const twin = await startTwin({ ...options, env: { ...env, ...freshTableOnExternalDynamoDb(env) } });
  const api = new ApiClient(twin.url, twin.dev.apiKey);
  const queueDepth = async (queueUrl = twin.jobsQueueUrl): Promise<QueueDepth> => {
    const { Attributes = {} } = await twin.context.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  };
  return {
    twin,
    api,
    queueDepth,
    async waitForQueueEmpty(queueUrl = twin.jobsQueueUrl, timeoutMs = 10_000) {
      await waitFor(
        async () => {
          const depth = await queueDepth(queueUrl);
          return depth.visible + depth.inFlight + depth.delayed === 0;
        },
        { timeoutMs, description: `queue ${queueUrl.split('/').pop()} empty` },
      );
    },
    close: () => twin.close(),
  };
}
