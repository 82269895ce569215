/**
 * What the store cannot take, through the running twin (issue 9, class 2 and
 * the 503 rule; SPEC §3, §4 "Nothing is stranded"): a job whose item would pass
 * DynamoDB's item limit is 413 `payload_too_large`, a create DynamoDB does not
 * take is 503 `service_unavailable` with Retry-After, on the single and the
 * batch route, and in both cases nothing is kept.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { InitializeHandler, InitializeHandlerArguments, MetadataBearer } from '@smithy/types';
import { jobIdFor } from '../../lambdas/jobs/job-id';
import { MAX_BODY_BYTES } from '../../lambdas/api/request';
import type { Job } from '../../lambdas/jobs/job';
import { ItemTooLargeError } from '../../lambdas/store/errors';
import { jobItemKey } from '../../lambdas/store/job-store';
import { startTestTwin, type TestTwin } from '../support/twin';

let t: TestTwin;
/** pk of the job whose PutItem the fault below acts on. */
let faultyPk: string | undefined;
let fault: 'throttled' | 'lost-reply' | undefined;

beforeAll(async () => {
  t = await startTestTwin();
  const stack = t.twin.context.db.middlewareStack;
  // Outside the SDK's retries, as a failure that outlasted them all would look.
  stack.add(
    (next: InitializeHandler<object, MetadataBearer>) => async (args: InitializeHandlerArguments<object>) => {
      const pk = (args.input as { Item?: { pk?: string } }).Item?.pk;
      if (fault === undefined || pk === undefined || pk !== faultyPk) return next(args);
      if (fault === 'throttled') {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
      // The write lands; its answer never comes back.
      await next(args);
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
    },
    { step: 'initialize', name: 'storeFault' },
  );
});

afterAll(async () => {
  await t?.close();
});

afterEach(() => {
  fault = undefined;
  faultyPk = undefined;
});

async function jobItems(): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await t.twin.context.db.send(
      new ScanCommand({ TableName: t.twin.config.tableName, FilterExpression: 'entity = :job', ExpressionAttributeValues: { ':job': 'job' }, ExclusiveStartKey: startKey }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return count;
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  t.api.request('POST', path, { rawBody: body, headers: { 'content-type': 'application/json', ...headers } });

describe('a payload of thousands of small nested lists, under 256 KiB', () => {
  // As DynamoDB Lists (3 bytes each, plus 1 per element) this is over 400 KB; as JSON text it is its own length.
  const payload = `{"l":[${Array.from({ length: 52_000 }, () => '[[]]').join(',')}]}`;

  it('is accepted on both routes and read back as sent', async () => {
    for (const route of ['/v1/jobs', '/v1/jobs/batch']) {
      const body = route === '/v1/jobs' ? `{"type":"echo","payload":${payload}}` : `{"jobs":[{"type":"echo","payload":${payload}}]}`;
      expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY_BYTES);
      const response = await post(route, body);
      const job = route === '/v1/jobs' ? response.body : response.body.items[0].job;
      expect([response.status, route === '/v1/jobs' ? 202 : response.body.items[0].status]).toEqual([route === '/v1/jobs' ? 202 : 200, 202]);
      const read = await t.api.getJob(job.jobId);
      expect(JSON.stringify(read.payload)).toBe(payload);
    }
  });
});

describe('a payload whose JSON, as stored, is far longer than sent', () => {
  // 9e15 is 4 bytes as sent and 16 as JSON.stringify writes it: a body under 256 KiB, 800 KB of JSON text,
  // which its own item holds compressed (lambdas/store/payload-item.ts).
  const numbers = Array.from({ length: 50_000 }, () => '9e15').join(',');
  const payload = `{"n":[${numbers}]}`;

  it('is accepted on both routes and read back as JSON.stringify writes it', async () => {
    for (const route of ['/v1/jobs', '/v1/jobs/batch']) {
      const body = route === '/v1/jobs' ? `{"type":"echo","payload":${payload}}` : `{"jobs":[{"type":"echo","payload":${payload}}]}`;
      expect(Buffer.byteLength(body)).toBeLessThan(MAX_BODY_BYTES);
      const response = await post(route, body);
      const job = route === '/v1/jobs' ? response.body : response.body.items[0].job;
      expect([response.status, route === '/v1/jobs' ? 202 : response.body.items[0].status]).toEqual([route === '/v1/jobs' ? 202 : 200, 202]);
      const read = await t.api.getJob(job.jobId);
      expect(JSON.stringify(read.payload)).toBe(JSON.stringify(JSON.parse(payload)));
    }
  });
});

describe('a job the store cannot hold', () => {
  // No body under 256 KiB makes one since payloads are stored compressed; the store's refusal is simulated.
  const marker = 'too-large-for-the-store';
  beforeEach(() => {
    const refuse = (job: Job) => {
      if ((job.payload as { marker?: string }).marker === marker) throw new ItemTooLargeError(500_000, 409_600);
    };
    const store = t.twin.context.jobs;
    const assertStorable = store.assertStorable.bind(store);
    const create = store.create.bind(store);
    jest.spyOn(store, 'assertStorable').mockImplementation((job) => {
      refuse(job);
      assertStorable(job);
    });
    jest.spyOn(store, 'create').mockImplementation(async (job) => {
      refuse(job);
      return create(job);
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([undefined, 'too-large-1'])('is 413 payload_too_large on POST /v1/jobs (Idempotency-Key %s), and nothing is written', async (key) => {
    const body = `{"type":"echo","payload":{"marker":"${marker}"}}`;
    const before = await jobItems();
    // Create messages sent from now on (a create message carries the time it was sent).
    const since = t.twin.context.now();
    const queue = t.twin.context.jobsQueue;
    const creates: unknown[] = [];
    const send = queue.send.bind(queue);
    jest.spyOn(queue, 'send').mockImplementation(async (dispatch) => {
      if ((dispatch.message.sentAt ?? -1) >= since) creates.push(dispatch.message);
      return send(dispatch);
    });
    const response = await post('/v1/jobs', body, key ? { 'idempotency-key': key } : {});
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 413, code: 'payload_too_large', detail: expect.stringMatching(/bytes of storage/) });
    expect(await jobItems()).toBe(before);
    // No message was sent for it either.
    expect(creates).toEqual([]);
    if (key) expect((await t.api.request('GET', `/v1/jobs/${jobIdFor(t.twin.dev.tenantId, key)}`)).status).toBe(404);
  });

  it('is a 413 item in a batch, the other items created', async () => {
    const body = `{"jobs":[{"type":"echo","payload":{"marker":"${marker}"}},{"type":"echo","payload":{"small":true}}]}`;
    const before = await jobItems();
    const response = await post('/v1/jobs/batch', body);
    expect(response.status).toBe(200);
    expect(response.body.items.map((item: { status: number }) => item.status)).toEqual([413, 202]);
    expect(response.body.items[0].error).toMatchObject({ code: 'payload_too_large' });
    expect(await jobItems()).toBe(before + 1);
  });
});

describe('a create that DynamoDB does not take', () => {
  it.each([
    ['throttled past the SDK\'s retries', 'throttled'],
    ['written, but its answer lost', 'lost-reply'],
  ] as const)('%s: 503 service_unavailable with Retry-After, nothing kept, and the same request later creates the job', async (_name, kind) => {
    const key = `unavailable-${kind}`;
    const jobId = jobIdFor(t.twin.dev.tenantId, key);
    faultyPk = jobItemKey({ tenantId: t.twin.dev.tenantId, jobId }).pk;
    fault = kind;
    const before = await jobItems();
    const body = '{"type":"echo","payload":{"a":1}}';

    const response = await post('/v1/jobs', body, { 'idempotency-key': key });

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(response.body).toMatchObject({ status: 503, code: 'service_unavailable' });
    expect(await jobItems()).toBe(before);
    // Nothing was kept: the client's retry is a new job (202), not a replay of a hidden one.
    fault = undefined;
    const again = await post('/v1/jobs', body, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.body.jobId).toBe(jobId);
  });

  it('is a 503 item in a batch, and the response says when to retry', async () => {
    const jobId = jobIdFor(t.twin.dev.tenantId, 'unavailable-batch');
    faultyPk = jobItemKey({ tenantId: t.twin.dev.tenantId, jobId }).pk;
    fault = 'lost-reply';
    const before = await jobItems();
    const response = await post(
      '/v1/jobs/batch',
      '{"jobs":[{"type":"echo","payload":{},"idempotencyKey":"unavailable-batch"},{"type":"echo","payload":{}}]}',
    );
    expect(response.status).toBe(200);
    expect(response.body.items.map((item: { status: number }) => item.status)).toEqual([503, 202]);
    expect(response.body.items[0].error).toMatchObject({ code: 'service_unavailable' });
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await jobItems()).toBe(before + 1);
  });
});
