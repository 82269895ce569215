/**
 * SPEC §3.5 actions as seen from the API (state rules, repeated calls) and
 * SPEC §3.7 batch submission, through the running twin.
 */
import { startTwin, type Twin } from '../../local/twin';
import { apiClient, type ApiResponse } from '../support/twin';

let twin: Twin;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  twin = await startTwin({ env: { JOBS_IN_MEMORY: '1', PORT: '0', SCHEDULER_INTERVAL_SECONDS: '3600' } });
  api = apiClient(twin.url, twin.dev.apiKey);
});
afterAll(async () => {
  await twin?.close();
});

const farAway = (payload: object = {}) => ({ type: 'echo', payload, delaySeconds: 86_400 });

function expectCode(result: ApiResponse, status: number, code: string): void {
  expect({ status: result.status, code: result.body?.code }).toEqual({ status, code });
}

describe('cancel, retry, delete, redeliver (SPEC §3.5)', () => {
  it('cancels a waiting job once; repeating answers 409 for the state it finds', async () => {
    const { body: job } = await api('POST', '/v1/jobs', { body: { ...farAway(), webhookUrl: 'https://hooks.example.com/x' } });
    const canceled = await api('POST', `/v1/jobs/${job.jobId}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ jobId: job.jobId, status: 'canceled', nextRunAt: null, finishedAt: expect.any(String) });
    // A canceled job sends no webhook, and says so.
    expect(canceled.body.webhook.status).toBe('none');
    expectCode(await api('POST', `/v1/jobs/${job.jobId}/cancel`), 409, 'job_not_cancelable');
    expect((await api('GET', `/v1/jobs/${job.jobId}`)).body.status).toBe('canceled');
  });

  it('refuses to delete or redeliver a waiting job, and to retry one', async () => {
    const { body: job } = await api('POST', '/v1/jobs', { body: { ...farAway(), webhookUrl: 'https://hooks.example.com/x' } });
    expectCode(await api('DELETE', `/v1/jobs/${job.jobId}`), 409, 'job_not_deletable');
    expectCode(await api('POST', `/v1/jobs/${job.jobId}/retry`), 409, 'job_not_retryable');
    expectCode(await api('POST', `/v1/jobs/${job.jobId}/webhook/redeliver`), 409, 'webhook_not_redeliverable');
    expect((await api('GET', `/v1/jobs/${job.jobId}`)).body.status).toBe('queued');
  });

  it('retries a canceled job with a fresh attempt budget and enqueues it', async () => {
    const { body: job } = await api('POST', '/v1/jobs', { body: { ...farAway(), maxAttempts: 2 } });
    await api('POST', `/v1/jobs/${job.jobId}/cancel`);
    const retried = await api('POST', `/v1/jobs/${job.jobId}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('location')).toBe(`/v1/jobs/${job.jobId}`);
    expect(retried.body).toMatchObject({ status: 'queued', maxAttempts: 2, finishedAt: null });
    expect(Date.parse(retried.body.nextRunAt)).toBeLessThanOrEqual(Date.now());
  });

  it('deletes a canceled job, frees its idempotency key, and answers 404 afterwards', async () => {
    const { body: job } = await api('POST', '/v1/jobs', { body: farAway({ v: 1 }), headers: { 'Idempotency-Key': 'erase-me' } });
    await api('POST', `/v1/jobs/${job.jobId}/cancel`);
    const erased = await api('DELETE', `/v1/jobs/${job.jobId}`);
    expect(erased.status).toBe(204);
    expect(erased.text).toBe('');
    expectCode(await api('GET', `/v1/jobs/${job.jobId}`), 404, 'job_not_found');
    expectCode(await api('DELETE', `/v1/jobs/${job.jobId}`), 404, 'job_not_found');
    const again = await api('POST', '/v1/jobs', { body: farAway({ v: 2 }), headers: { 'Idempotency-Key': 'erase-me' } });
    expect(again.status).toBe(202);
  });
});

describe('POST /v1/jobs/batch (SPEC §3.7)', () => {
  it('judges each item as POST /v1/jobs would, in request order', async () => {
    // Arrange
    await api('POST', '/v1/jobs', { body: farAway({ k: 1 }), headers: { 'Idempotency-Key': 'batch-existing' } });
    const jobs = [
      farAway({ i: 0 }),
      { ...farAway({ k: 1 }), idempotencyKey: 'batch-existing' },
      { ...farAway({ k: 2 }), idempotencyKey: 'batch-existing' },
      { type: 'fax', payload: {} },
      { ...farAway(), idempotencyKey: '' },
      { type: 'echo' },
      { ...farAway(), webhookUrl: 'ftp://hooks.example.com/' },
    ];
    // Act
    const result = await api('POST', '/v1/jobs/batch', { body: { jobs } });
    // Assert
    expect(result.status).toBe(200);
    const items = result.body.items;
    expect(items.map((i: { status: number }) => i.status)).toEqual([202, 200, 422, 400, 400, 400, 400]);
    expect(items[0].job).toMatchObject({ status: 'queued', payload: { i: 0 } });
    expect(items[1].job.idempotencyKey).toBe('batch-existing');
    expect(items.slice(2).map((i: { error: { code: string } }) => i.error.code)).toEqual([
      'idempotency_key_reused',
      'unknown_job_type',
      'invalid_idempotency_key',
      'validation_failed',
      'invalid_webhook_url',
    ]);
    expect(items[5].error.errors[0].path).toBe('payload');
    expect((await api('GET', `/v1/jobs/${items[0].job.jobId}`)).status).toBe(200);
  });

  it.each([
    ['an empty list', { jobs: [] }],
    ['more than 100 items', { jobs: Array.from({ length: 101 }, () => farAway()) }],
    ['no jobs field', { items: [] }],
  ])('answers a plain 400 for %s, creating nothing', async (_name, body) => {
    const before = await api('GET', '/v1/jobs?status=queued&limit=100');
    const result = await api('POST', '/v1/jobs/batch', { body });
    expectCode(result, 400, 'validation_failed');
    const after = await api('GET', '/v1/jobs?status=queued&limit=100');
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('answers invalid_json for an item that is not an object, and takes the others', async () => {
    const result = await api('POST', '/v1/jobs/batch', { body: { jobs: [1, farAway({ ok: true }), 'x', [farAway()]] } });
    expect(result.status).toBe(200);
    expect(result.body.items.map((i: { status: number }) => i.status)).toEqual([400, 202, 400, 400]);
    expect(result.body.items[0].error.code).toBe('invalid_json');
    expect(result.body.items[3].error.code).toBe('invalid_json');
  });

  it('creates 100 jobs in one call', async () => {
    const result = await api('POST', '/v1/jobs/batch', { body: { jobs: Array.from({ length: 100 }, (_, i) => farAway({ i })) } });
    expect(result.status).toBe(200);
    expect(result.body.items.filter((i: { status: number }) => i.status === 202)).toHaveLength(100);
    expect(new Set(result.body.items.map((i: { job: { jobId: string } }) => i.job.jobId)).size).toBe(100);
  });
});
