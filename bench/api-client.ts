/**
 * The bench's HTTP client for the twin's API: keep-alive connections (one per
 * concurrent caller, as a load generator holds them), each call timed, and a
 * pool that keeps `concurrency` calls in flight.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { largePayload, smallPayload } from './payloads';

export interface TimedResponse<T> {
  readonly status: number;
  readonly body: T;
  /** Wall time from sending the request to the last byte of the answer. */
  readonly ms: number;
}

/** The job fields the bench reads (SPEC §3.6). */
export interface JobView {
  readonly jobId: string;
  readonly tenantId: string;
  readonly status: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

export interface AttemptView {
  readonly attempt: number;
  readonly status: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

export interface JobSubmission {
  readonly type: string;
  readonly payload: Record<string, unknown>;
  readonly delaySeconds?: number;
  readonly webhookUrl?: string;
}

export interface BatchAnswer {
  readonly items: ReadonlyArray<{ readonly status: number; readonly job?: JobView }>;
}

export class ApiClient {
  /** Calls made through this client, for the api Lambda's invocation count. */
  requests = 0;
  private readonly agent: Agent;
  private readonly origin: URL;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    maxSockets = 64,
  ) {
    this.origin = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  submitJob(job: JobSubmission): Promise<TimedResponse<JobView>> {
    return this.call('POST', '/v1/jobs', job);
  }

  submitBatch(jobs: readonly JobSubmission[]): Promise<TimedResponse<BatchAnswer>> {
    return this.call('POST', '/v1/jobs/batch', { jobs });
  }

  getJob(jobId: string): Promise<TimedResponse<JobView>> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  attempts(jobId: string): Promise<TimedResponse<{ items: AttemptView[] }>> {
    return this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}/attempts`);
  }

  /** Every job of this tenant in `status`, newest first, following cursors. */
  async listAll(status: string): Promise<JobView[]> {
    const jobs: JobView[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `status=${status}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: TimedResponse<{ items: JobView[]; nextCursor: string | null }> = await this.call('GET', `/v1/jobs?${query}`);
      if (page.status !== 200) throw new Error(`list ${status}: HTTP ${page.status} ${JSON.stringify(page.body)}`);
      jobs.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return jobs;
  }

  close(): void {
    this.agent.destroy();
  }

  call<T>(method: string, path: string, body?: unknown): Promise<TimedResponse<T>> {
    this.requests++;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          agent: this.agent,
          host: this.origin.hostname,
          port: this.origin.port,
          method,
          path,
          headers: {
            'x-api-key': this.apiKey,
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : undefined) as T, ms: performance.now() - started });
            } catch (error) {
              reject(new Error(`${method} ${path}: HTTP ${res.statusCode}, body is not JSON: ${text.slice(0, 200)}`, { cause: error }));
            }
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight; resolves with the
 * results in index order. A failing task fails the run (the bench has no use for
 * half a measurement).
 */
export function runPool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  return pLimit(concurrency).map(Array.from({ length: count }, (_, index) => index), (index) => task(index));
}

/** The bench's job: an `echo` with a realistic payload of about 200 B (the item size drives DynamoDB's bill). */
export function echoJob(index: number, delaySeconds?: number): JobSubmission {
  return {
    type: 'echo',
    payload: smallPayload(index),
    ...(delaySeconds === undefined ? {} : { delaySeconds }),
  };
}

/** What an end-to-end run submits: the payload's size, and a webhook or not. */
export interface JobShape {
  readonly payload: 'small' | 'large';
  readonly webhookUrl?: string;
}

export function benchJob(index: number, shape: JobShape): JobSubmission {
  return {
    type: 'echo',
    payload: shape.payload === 'large' ? largePayload(index) : smallPayload(index),
    ...(shape.webhookUrl === undefined ? {} : { webhookUrl: shape.webhookUrl }),
  };
}
