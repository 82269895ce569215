/**
 * The HTTP API through the running twin (SPEC §3): idempotent submission, every
 * error code of these routes with "nothing written", tenant isolation, cursors,
 * retention. Real HTTP, real dynalite, the real SQS endpoint.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { jobItemKey } from '../../lambdas/store/job-store';
import { startTwin, type Twin } from '../../local/twin';
import { addTenantWithKey, tenantFactory } from '../support/tenant-factory';
import { apiClient, type ApiResponse } from '../support/twin';

let twin: Twin;
let api: ReturnType<typeof apiClient>;
let other: ReturnType<typeof apiClient>;
let clockOffsetMs = 0;
const DAY_MS = 86_400_000;

function addTenant(tenantId: string, apiKey: string): Promise<void> {
  return addTenantWithKey(twin.context.tenants, tenantFactory({ tenantId, webhookSecrets: [twin.dev.webhookSecret] }), apiKey);
}

/** Jobs in the table (a Scan, fine in a test) and messages in the jobs queue. */
async function storedState(): Promise<{ jobs: number; messages: number }> {
  const scan = await twin.context.db.send(
    new ScanCommand({ TableName: twin.config.tableName, FilterExpression: 'entity = :job', ExpressionAttributeValues: { ':job': 'job' }, Select: 'COUNT' }),
  );
  const queue = await twin.context.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: twin.jobsQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  const a = queue.Attributes ?? {};
  const messages = Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesDelayed) + Number(a.ApproximateNumberOfMessagesNotVisible);
  return { jobs: scan.Count ?? 0, messages };
}

function expectProblem(result: ApiResponse, status: number, code: string): void {
  expect({ status: result.status, code: result.body?.code }).toEqual({ status, code });
  expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(result.body).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
  expect(result.body.requestId).toBe(result.headers.get('x-request-id'));
}

beforeAll(async () => {
  twin = await startTwin({
    // Far-future jobs only: nothing is dispatched, so queue counts stay put while we look.
    env: { JOBS_IN_MEMORY: '1', PORT: '0', SCHEDULER_INTERVAL_SECONDS: '3600' },
    now: () => Date.now() + clockOffsetMs,
  });
  api = apiClient(twin.url, twin.dev.apiKey);
  await addTenant('acme', 'acme-key-0123456789abcdef');
  other = apiClient(twin.url, 'acme-key-0123456789abcdef');
});

afterAll(async () => {
  await twin?.close();
});

const later = { type: 'echo', payload: { n: 1 }, delaySeconds: 86_400 };

describe('POST /v1/jobs idempotency', () => {
  it('creates exactly one job for 100 concurrent requests with one key and one body', async () => {
    // Arrange
    const before = await storedState();
    const body = { ...later, payload: { order: 42 } };
    // Act
    const results = await Promise.all(
      Array.from({ length: 100 }, () => api('POST', '/v1/jobs', { body, headers: { 'Idempotency-Key': 'order-42' } })),
    );
    // Assert
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(99);
    expect(new Set(results.map((r) => r.body.jobId)).size).toBe(1);
    for (const r of results.filter((x) => x.status === 200)) expect(r.headers.get('idempotent-replayed')).toBe('true');
    expect((await storedState()).jobs).toBe(before.jobs + 1);
  });

  it('answers 422 idempotency_key_reused for the same key with another body, writing nothing', async () => {
    const before = await storedState();
    const result = await api('POST', '/v1/jobs', { body: { ...later, payload: { order: 43 } }, headers: { 'Idempotency-Key': 'order-42' } });
    expectProblem(result, 422, 'idempotency_key_reused');
    expect(await storedState()).toEqual(before);
  });

  it('scopes keys per tenant: the same key under another tenant creates an independent job', async () => {
    const mine = await api('POST', '/v1/jobs', { body: { ...later, payload: { order: 42 } }, headers: { 'Idempotency-Key': 'order-42' } });
    const theirs = await other('POST', '/v1/jobs', { body: { ...later, payload: { order: 42 } }, headers: { 'Idempotency-Key': 'order-42' } });
    expect(mine.status).toBe(200);
    expect(theirs.status).toBe(202);
    expect(theirs.body.jobId).not.toBe(mine.body.jobId);
    expect(theirs.body.tenantId).toBe('acme');
  });

  it('hashes delaySeconds as sent, so a retry a moment later is the same request', async () => {
    const body = { type: 'echo', payload: {}, delaySeconds: 3600 };
    const first = await api('POST', '/v1/jobs', { body, headers: { 'Idempotency-Key': 'delay-1' } });
    const again = await api('POST', '/v1/jobs', { body, headers: { 'Idempotency-Key': 'delay-1' } });
    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body.payloadHash).toBe(first.body.payloadHash);
  });

  it('returns the job with Location and every field of SPEC §3.6 (absent values null)', async () => {
    const result = await api('POST', '/v1/jobs', { body: { ...later, webhookUrl: 'https://hooks.example.com/x', maxAttempts: 3 } });
    expect(result.status).toBe(202);
    expect(result.headers.get('location')).toBe(`/v1/jobs/${result.body.jobId}`);
    expect(result.body).toEqual({
      jobId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      tenantId: 'dev',
      type: 'echo',
      status: 'queued',
      attempts: 0,
      maxAttempts: 3,
      nextRunAt: expect.stringMatching(/Z$/),
      idempotencyKey: null,
      payloadHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      payload: { n: 1 },
      webhookUrl: 'https://hooks.example.com/x',
      webhook: { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, deliveredAt: null },
      result: null,
      lastError: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updatedAt: expect.any(String),
      finishedAt: null,
      expiresAt: expect.any(String),
    });
    const read = await api('GET', `/v1/jobs/${result.body.jobId}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(result.body);
  });
});

describe('errors: status, code, and nothing written (SPEC §3)', () => {
  const longKey = 'k'.repeat(256);
  const cases: Array<[string, () => Promise<ApiResponse>, number, string]> = [
    ['body is not JSON', () => api('POST', '/v1/jobs', { rawBody: '{"type":', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json'],
    ['body is a JSON array', () => api('POST', '/v1/jobs', { body: [later] }), 400, 'invalid_json'],
    ['body is a JSON string', () => api('POST', '/v1/jobs', { body: 'echo' }), 400, 'invalid_json'],
    ['type missing', () => api('POST', '/v1/jobs', { body: { payload: {} } }), 400, 'validation_failed'],
    ['payload not an object', () => api('POST', '/v1/jobs', { body: { type: 'echo', payload: [1] } }), 400, 'validation_failed'],
    ['unknown top-level field', () => api('POST', '/v1/jobs', { body: { ...later, priority: 1 } }), 400, 'validation_failed'],
    ['maxAttempts 0', () => api('POST', '/v1/jobs', { body: { ...later, maxAttempts: 0 } }), 400, 'validation_failed'],
    ['maxAttempts 26', () => api('POST', '/v1/jobs', { body: { ...later, maxAttempts: 26 } }), 400, 'validation_failed'],
    ['runAt 8 days ahead', () => api('POST', '/v1/jobs', { body: { type: 'echo', payload: {}, runAt: new Date(Date.now() + 8 * DAY_MS).toISOString() } }), 400, 'validation_failed'],
    ['runAt not a date', () => api('POST', '/v1/jobs', { body: { type: 'echo', payload: {}, runAt: 'tomorrow' } }), 400, 'validation_failed'],
    ['runAt and delaySeconds', () => api('POST', '/v1/jobs', { body: { ...later, runAt: new Date().toISOString() } }), 400, 'validation_failed'],
    ['delaySeconds over 7 days', () => api('POST', '/v1/jobs', { body: { type: 'echo', payload: {}, delaySeconds: 604_801 } }), 400, 'validation_failed'],
    ['email payload invalid', () => api('POST', '/v1/jobs', { body: { type: 'email', payload: { to: 'nope', subject: 'x', text: 'y' } } }), 400, 'validation_failed'],
    ['a number JavaScript cannot hold exactly', () => api('POST', '/v1/jobs', { rawBody: '{"type":"echo","payload":{"orderId":12345678901234567890}}', headers: { 'content-type': 'application/json' } }), 400, 'validation_failed'],
    ['a number far beyond ±2^53', () => api('POST', '/v1/jobs', { rawBody: '{"type":"echo","payload":{"x":1e200}}', headers: { 'content-type': 'application/json' } }), 400, 'validation_failed'],
    ['a payload nested deeper than 64 levels', () => api('POST', '/v1/jobs', { rawBody: `{"type":"echo","payload":${'{"a":'.repeat(70)}1${'}'.repeat(70)}}`, headers: { 'content-type': 'application/json' } }), 400, 'validation_failed'],
    ['unknown job type', () => api('POST', '/v1/jobs', { body: { type: 'fax', payload: {} } }), 400, 'unknown_job_type'],
    ['webhookUrl with a non-http scheme', () => api('POST', '/v1/jobs', { body: { ...later, webhookUrl: 'ftp://example.com/hook' } }), 400, 'invalid_webhook_url'],
    ['webhookUrl at the metadata address', () => api('POST', '/v1/jobs', { body: { ...later, webhookUrl: 'http://169.254.169.254/latest' } }), 400, 'invalid_webhook_url'],
    ['http target at the metadata address (decimal)', () => api('POST', '/v1/jobs', { body: { type: 'http', payload: { url: 'http://2852039166/' } } }), 400, 'invalid_target_url'],
    ['http target URL over 2048 characters', () => api('POST', '/v1/jobs', { body: { type: 'http', payload: { url: `https://example.com/${'a'.repeat(2100)}` } } }), 400, 'invalid_target_url'],
    ['webhookUrl over 2048 characters', () => api('POST', '/v1/jobs', { body: { ...later, webhookUrl: `https://example.com/${'a'.repeat(5000)}` } }), 400, 'invalid_webhook_url'],
    ['Idempotency-Key too long', () => api('POST', '/v1/jobs', { body: later, headers: { 'Idempotency-Key': longKey } }), 400, 'invalid_idempotency_key'],
    ['Idempotency-Key with a space', () => api('POST', '/v1/jobs', { body: later, headers: { 'Idempotency-Key': 'a b' } }), 400, 'invalid_idempotency_key'],
    ['no API key', () => api('POST', '/v1/jobs', { body: later, apiKey: null }), 403, 'forbidden'],
    ['unknown API key', () => api('POST', '/v1/jobs', { body: later, apiKey: 'not-a-key-of-anyone' }), 403, 'forbidden'],
    ['unknown path', () => api('GET', '/v1/nothing-here'), 404, 'not_found'],
    ['unknown path without a key', () => api('GET', '/v2/jobs', { apiKey: null }), 404, 'not_found'],
    ['wrong method', () => api('PUT', '/v1/jobs', { body: later }), 405, 'method_not_allowed'],
    ['body over 256 KiB', () => api('POST', '/v1/jobs', { body: { type: 'echo', payload: { blob: 'x'.repeat(262_144) } } }), 413, 'payload_too_large'],
    ['form-encoded body', () => api('POST', '/v1/jobs', { rawBody: 'type=echo', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type'],
    ['no content type', () => api('POST', '/v1/jobs', { rawBody: JSON.stringify(later) }), 415, 'unsupported_media_type'],
    ['job id that does not exist', () => api('GET', '/v1/jobs/00000000-0000-4000-8000-000000000000'), 404, 'job_not_found'],
    ['job id that is not an id', () => api('GET', '/v1/jobs/not-a-job-id'), 404, 'job_not_found'],
    ['attempts of a missing job', () => api('GET', '/v1/jobs/00000000-0000-4000-8000-000000000000/attempts'), 404, 'job_not_found'],
    ['list without status', () => api('GET', '/v1/jobs'), 400, 'validation_failed'],
    ['list with an unknown status', () => api('GET', '/v1/jobs?status=done'), 400, 'validation_failed'],
    ['list with limit 0', () => api('GET', '/v1/jobs?status=queued&limit=0'), 400, 'validation_failed'],
    ['list with limit 101', () => api('GET', '/v1/jobs?status=queued&limit=101'), 400, 'validation_failed'],
    ['list with a garbage cursor', () => api('GET', '/v1/jobs?status=queued&cursor=%%%'), 400, 'invalid_cursor'],
  ];

  it.each(cases)('%s', async (_name, send, status, code) => {
    const before = await storedState();
    const result = await send();
    expectProblem(result, status, code);
    expect(await storedState()).toEqual(before);
  });

  it('lists each field problem for validation_failed, paths relative to the body', async () => {
    const result = await api('POST', '/v1/jobs', { body: { type: 'email', payload: { to: 'nope', subject: '' } } });
    expectProblem(result, 400, 'validation_failed');
    const paths = result.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['payload.to', 'payload.subject']));
  });

  it('applies SPEC §3 precedence: a bad key wins over a bad body, 404 over a missing key', async () => {
    expectProblem(await api('POST', '/v1/jobs', { rawBody: 'nope', apiKey: null }), 403, 'forbidden');
    expectProblem(await api('DELETE', '/v1/unknown', { apiKey: null }), 404, 'not_found');
    expectProblem(await api('POST', '/v1/jobs', { rawBody: 'x'.repeat(300_000), headers: { 'content-type': 'text/plain' } }), 413, 'payload_too_large');
  });

  it('serves the OpenAPI document without an API key', async () => {
    const result = await api('GET', '/v1/openapi.json', { apiKey: null });
    expect(result.status).toBe(200);
    expect(result.body.openapi).toBe('3.1.0');
    expect(Object.keys(result.body.paths)).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{jobId}']));
  });

  it('sends x-request-id on successful responses too', async () => {
    const result = await api('GET', '/v1/job-types');
    expect(result.status).toBe(200);
    expect(result.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
    expect(result.body.items.map((t: { type: string }) => t.type)).toEqual(expect.arrayContaining(['http', 'email', 'sms', 'echo']));
    for (const item of result.body.items) expect(item.schema).toMatchObject({ type: 'object' });
  });
});

describe('tenant isolation and cursors', () => {
  let jobId: string;
  beforeAll(async () => {
    const created = await api('POST', '/v1/jobs', { body: { ...later, payload: { secret: 'dev only' } } });
    jobId = created.body.jobId;
  });

  it('another tenant reads, lists and acts on the job as if it did not exist', async () => {
    expectProblem(await other('GET', `/v1/jobs/${jobId}`), 404, 'job_not_found');
    expectProblem(await other('GET', `/v1/jobs/${jobId}/attempts`), 404, 'job_not_found');
    expectProblem(await other('POST', `/v1/jobs/${jobId}/cancel`), 404, 'job_not_found');
    expectProblem(await other('DELETE', `/v1/jobs/${jobId}`), 404, 'job_not_found');
    const listed = await other('GET', '/v1/jobs?status=queued&limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((j: { jobId: string }) => j.jobId)).not.toContain(jobId);
    for (const item of listed.body.items) expect(item.tenantId).toBe('acme');
    expect((await api('GET', `/v1/jobs/${jobId}`)).status).toBe(200);
  });

  it('pages newest first with a cursor that works only for its own tenant and query', async () => {
    // Arrange: five more jobs, so there are several pages of two.
    for (let i = 0; i < 5; i++) await api('POST', '/v1/jobs', { body: { ...later, payload: { page: i } } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let firstCursor: string | undefined;
    // Act
    do {
      const page: ApiResponse = await api('GET', `/v1/jobs?status=queued&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      for (const item of page.body.items) {
        expect(item).not.toHaveProperty('payload');
        seen.push(item.createdAt);
      }
      cursor = page.body.nextCursor;
      firstCursor ??= cursor ?? undefined;
    } while (cursor);
    // Assert
    expect(seen.length).toBeGreaterThanOrEqual(7);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(firstCursor).toBeDefined();
    const tampered = Buffer.from(firstCursor!, 'base64url').toString('utf8').replace(/"p":"(.)/, (_m, c) => `"p":"${c === '0' ? '1' : '0'}`);
    expectProblem(await api('GET', `/v1/jobs?status=queued&limit=2&cursor=${Buffer.from(tampered).toString('base64url')}`), 400, 'invalid_cursor');
    expectProblem(await other('GET', `/v1/jobs?status=queued&limit=2&cursor=${firstCursor}`), 400, 'invalid_cursor');
    expectProblem(await api('GET', `/v1/jobs?status=canceled&limit=2&cursor=${firstCursor}`), 400, 'invalid_cursor');
    expectProblem(await api('GET', `/v1/jobs?status=queued&limit=2&type=echo&cursor=${firstCursor}`), 400, 'invalid_cursor');
  });

  it('filters a list by type', async () => {
    const result = await api('GET', '/v1/jobs?status=queued&type=email');
    expect(result.status).toBe(200);
    expect(result.body.items).toEqual([]);
  });
});

describe('retention (SPEC §7)', () => {
  afterEach(() => {
    clockOffsetMs = 0;
  });

  it('keeps a job due in 6 days until 7 days after it is due', async () => {
    const created = await api('POST', '/v1/jobs', { body: { type: 'echo', payload: {}, delaySeconds: 6 * 86_400 } });
    const runAt = Date.parse(created.body.nextRunAt);
    expect(Date.parse(created.body.expiresAt)).toBeGreaterThanOrEqual(runAt + 7 * DAY_MS);
    clockOffsetMs = 8 * DAY_MS; // past "created + 7 days", before "runAt + 7 days"
    expect((await api('GET', `/v1/jobs/${created.body.jobId}`)).status).toBe(200);
  });

  it('treats a job past expiresAt as absent before any sweeper removes it, and frees its key', async () => {
    // Arrange
    const created = await api('POST', '/v1/jobs', { body: { type: 'echo', payload: { v: 1 }, delaySeconds: 60 }, headers: { 'Idempotency-Key': 'expiring' } });
    expect(created.status).toBe(202);
    // Act
    clockOffsetMs = 8 * DAY_MS;
    // Assert: gone for reads and lists, though the item is still in the table.
    expectProblem(await api('GET', `/v1/jobs/${created.body.jobId}`), 404, 'job_not_found');
    const listed = await api('GET', '/v1/jobs?status=queued&limit=100');
    expect(listed.body.items.map((j: { jobId: string }) => j.jobId)).not.toContain(created.body.jobId);
    const raw = await twin.context.db.send(
      new ScanCommand({ TableName: twin.config.tableName, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': jobItemKey(created.body).pk } }),
    );
    expect(raw.Items).toHaveLength(1);
    // The key may now create a new job, even with another body.
    const again = await api('POST', '/v1/jobs', { body: { type: 'echo', payload: { v: 2 }, delaySeconds: 60 }, headers: { 'Idempotency-Key': 'expiring' } });
    expect(again.status).toBe(202);
    expect(again.body.jobId).toBe(created.body.jobId);
    expect(again.body.payload).toEqual({ v: 2 });
  });
});
