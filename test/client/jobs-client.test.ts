/**
 * The typed client against a running twin (issue 13, done-when 1): every
 * operation of openapi.json called through the client over real HTTP, every
 * response it received checked against the document, and the error paths as
 * JobsApiError carrying the problem document.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { JobsApiError, JobsClient, JobsNetworkError, JobsWaitTimeoutError, type JobSummary } from '../../client';
import { contractViolations, headersOf, OPENAPI_PATH } from '../support/openapi-contract';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';

let t: TestTwin;
let target: Receiver;
let client: JobsClient;
/** `METHOD /path/template` of every operation the client called, and any response outside the document. */
const called = new Set<string>();
const violations: string[] = [];
const document = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as { paths: Record<string, Record<string, { operationId: string }>> };
const templates = Object.keys(document.paths).map((path) => ({ path, pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));

/** fetch, recording the operation and checking the response against openapi.json. */
const checkedFetch = (async (input: string, init: RequestInit) => {
  const response = await fetch(input, init);
  const url = new URL(input);
  const template = templates.find(({ pattern }) => pattern.test(url.pathname));
  called.add(`${init.method} ${template?.path ?? url.pathname}`);
  const body = await response.clone().text();
  violations.push(...contractViolations({ method: String(init.method), target: `${url.pathname}${url.search}`, status: response.status, headers: headersOf(response.headers), body }));
  return response;
}) as typeof fetch;

beforeAll(async () => {
  t = await startTestTwin();
  // An `http` job's target: 400 makes the job fatal at once, anything else succeeds.
  target = await startReceiver((request) => ({ status: request.path === '/fail' ? 400 : 200, body: 'ok' }));
  client = new JobsClient({ baseUrl: t.twin.url, apiKey: t.twin.dev.apiKey, fetch: checkedFetch });
});

afterAll(async () => {
  await target?.close();
  await t?.close();
});

afterEach(() => {
  expect(violations.splice(0)).toEqual([]);
});

const echo = (payload: Record<string, unknown> = { n: 1 }) => ({ type: 'echo' as const, payload });

describe('submit', () => {
  it('with an idempotency key: created (202), replayed (200) with the same job, 422 on a different body', async () => {
    const first = await client.jobs.submit(echo({ order: 42 }), { idempotencyKey: 'client-order-42' });
    expect(first.replayed).toBe(false);
    expect(first.job).toMatchObject({ type: 'echo', idempotencyKey: 'client-order-42', payload: { order: 42 } });

    const again = await client.jobs.submit(echo({ order: 42 }), { idempotencyKey: 'client-order-42' });
    expect(again.replayed).toBe(true);
    expect(again.job.jobId).toBe(first.job.jobId);

    const error = await client.jobs.submit(echo({ order: 43 }), { idempotencyKey: 'client-order-42' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobsApiError);
    expect(error).toMatchObject({ status: 422, code: 'idempotency_key_reused', requestId: expect.any(String) });
    expect((error as JobsApiError).detail).toMatch(/different request/i);
    expect((error as JobsApiError).problem).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
  });

  it('generates a key when asked', async () => {
    const result = await client.jobs.submit(echo(), { generateIdempotencyKey: true });
    expect(result.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.job.idempotencyKey).toBe(result.idempotencyKey);
  });

  it('a field problem comes back as validation_failed with its errors', async () => {
    const error = (await client.jobs.submit({ ...echo(), maxAttempts: 99 }).catch((e: unknown) => e)) as JobsApiError;
    expect(error).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(error.errors).toEqual([expect.objectContaining({ path: 'maxAttempts' })]);
  });

  it('a batch: each item judged alone, in order', async () => {
    const result = await client.jobs.submitBatch([echo({ i: 0 }), { type: 'nope', payload: {} } as never, { ...echo({ i: 2 }), idempotencyKey: 'client-batch-2' }]);
    expect(result.items.map((item) => item.status)).toEqual([202, 400, 202]);
    expect(result.items[1]).toMatchObject({ error: { code: 'unknown_job_type' } });
  });
});

describe('reading', () => {
  it('get, attempts, job types and the OpenAPI document', async () => {
    const { job } = await client.jobs.submit(echo({ read: true }));
    const done = await client.jobs.waitFor(job.jobId, { timeoutMs: 15_000, intervalMs: 50 });
    expect(done).toMatchObject({ status: 'succeeded', result: { read: true } });
    await expect(client.jobs.get(job.jobId)).resolves.toMatchObject({ jobId: job.jobId, payload: { read: true } });
    const attempts = await client.jobs.attempts(job.jobId);
    expect(attempts.items).toEqual([expect.objectContaining({ attempt: 1, status: 'succeeded' })]);
    const types = await client.jobTypes.list();
    expect(types.items.map((item) => item.type).sort()).toEqual(['echo', 'email', 'http', 'sms']);
    const openapi = await client.openApiDocument();
    expect(openapi.openapi).toBe('3.1.0');
  });

  it('list: every page through the async iterator, newest first, filtered by type', async () => {
    const type = 'echo';
    const created = [];
    for (let i = 0; i < 5; i++) created.push((await client.jobs.submit(echo({ page: i }))).job);
    // Queued jobs may start at once; wait until all five are done so they sit in one status.
    for (const job of created) await client.jobs.waitFor(job.jobId, { timeoutMs: 15_000, intervalMs: 50 });
    const pages = [];
    for await (const page of client.jobs.list({ status: 'succeeded', type, limit: 2 }).pages()) pages.push(page);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.slice(0, -1).every((page) => page.items.length === 2 && page.nextCursor !== null)).toBe(true);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    const all: JobSummary[] = [];
    for await (const job of client.jobs.list({ status: 'succeeded', type, limit: 2 })) all.push(job);
    expect(all.map((job) => job.jobId)).toEqual(pages.flatMap((page) => page.items.map((job) => job.jobId)));
    expect(all.map((job) => job.jobId)).toEqual(expect.arrayContaining(created.map((job) => job.jobId)));
    const createdAt = all.map((job) => job.createdAt);
    expect(createdAt).toEqual([...createdAt].sort().reverse());
  });
});

describe('acting on jobs', () => {
  it('cancel a waiting job, retry it, wait for it; delete it; 409 and 404 as JobsApiError', async () => {
    const { job } = await client.jobs.submit({ ...echo({ act: 1 }), delaySeconds: 3600 });
    const canceled = await client.jobs.cancel(job.jobId);
    expect(canceled.status).toBe('canceled');
    await expect(client.jobs.cancel(job.jobId)).rejects.toMatchObject({ status: 409, code: 'job_not_cancelable', detail: expect.any(String) });

    const retried = await client.jobs.retry(job.jobId);
    expect(retried.status).toBe('queued');
    await expect(client.jobs.waitFor(job.jobId, { until: ['succeeded'], timeoutMs: 15_000, intervalMs: 50 })).resolves.toMatchObject({ status: 'succeeded' });
    await expect(client.jobs.retry(job.jobId)).rejects.toMatchObject({ status: 409, code: 'job_not_retryable' });

    await expect(client.jobs.delete(job.jobId)).resolves.toBeUndefined();
    await expect(client.jobs.get(job.jobId)).rejects.toMatchObject({ status: 404, code: 'job_not_found', requestId: expect.any(String) });
    await expect(client.jobs.delete(job.jobId)).rejects.toMatchObject({ status: 404, code: 'job_not_found' });
  });

  it('waitFor returns a fatal job too (the terminal job, whatever its outcome)', async () => {
    const { job } = await client.jobs.submit({ type: 'http', payload: { url: `${target.url}/fail` }, maxAttempts: 2 });
    const done = await client.jobs.waitFor(job.jobId, { timeoutMs: 15_000, intervalMs: 50 });
    expect(done.status).toBe('fatal');
    expect(done.lastError).toMatch(/400/);
  });

  it('redeliver: 202 for a finished job with a webhook; 409 webhook_not_redeliverable without one', async () => {
    const { job } = await client.jobs.submit({ ...echo({ hook: 1 }), webhookUrl: `${target.url}/hook` });
    await client.jobs.waitFor(job.jobId, { until: (polled) => polled.webhook.status === 'delivered', timeoutMs: 15_000, intervalMs: 50 });
    const redelivered = await client.jobs.redeliver(job.jobId);
    expect(redelivered.jobId).toBe(job.jobId);
    const plain = await client.jobs.submit(echo({ hook: 0 }));
    await client.jobs.waitFor(plain.job.jobId, { timeoutMs: 15_000, intervalMs: 50 });
    await expect(client.jobs.redeliver(plain.job.jobId)).rejects.toMatchObject({ status: 409, code: 'webhook_not_redeliverable' });
  });

  it('waitFor gives up at its timeout with the job as last seen, and stops at its signal', async () => {
    const { job } = await client.jobs.submit({ ...echo(), delaySeconds: 3600 });
    const error = await client.jobs.waitFor(job.jobId, { timeoutMs: 200, intervalMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobsWaitTimeoutError);
    expect((error as JobsWaitTimeoutError).job).toMatchObject({ jobId: job.jobId, status: 'queued' });
    const controller = new AbortController();
    const waiting = client.jobs.waitFor(job.jobId, { signal: controller.signal, intervalMs: 50 });
    controller.abort(new Error('no longer needed'));
    await expect(waiting).rejects.toThrow('no longer needed');
    await client.jobs.cancel(job.jobId);
  });
});

describe('errors', () => {
  it('403 forbidden for an unknown key', async () => {
    const stranger = new JobsClient({ baseUrl: t.twin.url, apiKey: 'jobs_not-a-key', fetch: checkedFetch });
    await expect(stranger.jobTypes.list()).rejects.toMatchObject({ status: 403, code: 'forbidden', detail: expect.any(String), requestId: expect.any(String) });
  });

  it('429 rate_limited: the client waits Retry-After before each repeat, then hands over the problem', async () => {
    const throttled = await startTestTwin({ env: { API_RATE_LIMIT_PER_SECOND: '0.001', API_BURST_LIMIT: '1' } });
    try {
      const delays: number[] = [];
      const limited = new JobsClient({
        baseUrl: throttled.twin.url,
        apiKey: throttled.twin.dev.apiKey,
        fetch: checkedFetch,
        retry: { maxAttempts: 2 },
        onRetry: (event) => delays.push(event.delayMs),
      });
      await limited.jobTypes.list();
      // A keyless submit too: a 429 is refused before any work, so repeating it is safe.
      const error = (await limited.jobs.submit(echo()).catch((e: unknown) => e)) as JobsApiError;
      expect(error).toBeInstanceOf(JobsApiError);
      expect(error).toMatchObject({ status: 429, code: 'rate_limited', detail: expect.any(String), requestId: expect.any(String) });
      expect(error.retryAfterSeconds).toBe(1);
      expect(delays).toEqual([1000]);
    } finally {
      await throttled.close();
    }
  });

  it('a network error names the URL it tried; a refused connection is repeated (nothing was sent)', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const offline = new JobsClient({ baseUrl: `http://127.0.0.1:${closedPort}`, apiKey: 'k', retry: { maxAttempts: 2, baseDelayMs: 1 } });
    const error = (await offline.jobs.get('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e)) as JobsNetworkError;
    expect(error).toBeInstanceOf(JobsNetworkError);
    expect(error).toMatchObject({ outcomeUnknown: false, tries: 2, reason: 'ECONNREFUSED' });
    expect(error.message).toContain(`http://127.0.0.1:${closedPort}/v1/jobs/`);
  });
});

it('called every operation of openapi.json (one client method per route)', () => {
  const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
  expect([...called].filter((operation) => documented.includes(operation)).sort()).toEqual(documented.sort());
});
