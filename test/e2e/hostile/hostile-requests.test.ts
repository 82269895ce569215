/**
 * The hostile corpus against the running twin (issue 9, Done-when 4): every
 * entry of corpus.ts answered with the SPEC's status and code as a problem
 * document carrying `x-request-id`, never a 5xx, and the whole corpus changing
 * nothing — jobs per status for two tenants through the API, every item of the
 * table through the twin's DynamoDB endpoint, every queue's messages.
 *
 * Then the one thing the corpus must NOT refuse: JSON keys named like
 * `Object.prototype` members are ordinary keys (SPEC §3), accepted and read
 * back as sent; that part asserts what it creates.
 *
 * The twin runs with ALLOW_PRIVATE_TARGETS=false so the URL guard's spellings
 * are judged as on AWS.
 */
import { STATUS_CODES } from 'node:http';
import { writeFileSync } from 'node:fs';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import canonicalize from 'canonicalize';
import { JOB_STATUSES } from '../../../lambdas/jobs/job';
import { jobKeyOfPk } from '../../../lambdas/store/job-item';
import type { TenantStatus } from '../../../lambdas/store/tenant-store';
import { rawRequest, sendRaw, type RawResponse } from '../../support/raw-http';
import { addTenantWithKey, tenantFactory } from '../../support/tenant-factory';
import { ApiClient, startTestTwin, type JobView, type TestTwin } from '../../support/twin';
import { waitFor } from '../../support/wait-for';
import { HOSTILE_CORPUS, REFUSED, toRawSpec, type Answer, type Fixture, type HostileEntry } from './corpus';

const OTHER_TENANT = 'corpus-other';
const OTHER_KEY = 'jobs_corpus_other_tenant_key_0001';
const DISABLED_KEY = 'jobs_corpus_disabled_key_0001';
const DISABLED_TENANT = 'corpus-disabled';
const DISABLED_TENANT_KEY = 'jobs_corpus_disabled_tenant_key_0001';
const FAR_AHEAD_SECONDS = 3600;

let t: TestTwin;
let dev: ApiClient;
let other: ApiClient;
let fixture: Fixture;
let scanClient: DynamoDBClient;

function addTenant(tenantId: string, apiKey: string, status: TenantStatus, keyStatus: TenantStatus = 'active'): Promise<void> {
  return addTenantWithKey(t.twin.context.tenants, tenantFactory({ tenantId, status, webhookSecrets: [t.twin.dev.webhookSecret] }), apiKey, keyStatus);
}

/** Three succeeded echo jobs, two far-future queued ones, one canceled. */
async function seedJobs(api: ApiClient) {
  const succeeded = [];
  for (let i = 0; i < 3; i++) succeeded.push(await api.submit({ type: 'echo', payload: { seed: i } }));
  const queued = [];
  for (let i = 0; i < 2; i++) queued.push(await api.submit({ type: 'echo', payload: { later: i }, delaySeconds: FAR_AHEAD_SECONDS }));
  const toCancel = await api.submit({ type: 'echo', payload: { cancel: true }, delaySeconds: FAR_AHEAD_SECONDS });
  expect((await api.cancel(toCancel.jobId)).status).toBe(200);
  for (const job of succeeded) await api.waitForJob(job.jobId, ['succeeded']);
  return { succeeded: succeeded[0].jobId, queued: queued[0].jobId, canceled: toCancel.jobId };
}

async function firstCursor(api: ApiClient, query: string): Promise<string> {
  const page = await api.request('GET', `/v1/jobs?${query}&limit=1`);
  expect(page.status).toBe(200);
  expect(typeof page.body.nextCursor).toBe('string');
  return page.body.nextCursor;
}

interface StateSnapshot {
  /** `tenant status` → jobs listed through the API. */
  readonly listed: Record<string, number>;
  /** `pk sk` → the whole stored item (a Scan through the twin's DynamoDB endpoint). */
  readonly items: Record<string, unknown>;
  /** queue → visible + in flight + delayed. */
  readonly messages: Record<string, number>;
}

async function snapshot(): Promise<StateSnapshot> {
  const listed: Record<string, number> = {};
  for (const [tenant, api] of [['dev', dev], [OTHER_TENANT, other]] as const) {
    for (const status of JOB_STATUSES) listed[`${tenant} ${status}`] = (await api.listAll(status)).length;
  }
  const items: Record<string, unknown> = {};
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await scanClient.send(new ScanCommand({ TableName: t.twin.config.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      items[`${item.pk} ${item.sk}`] = item;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const messages: Record<string, number> = {};
  const queues = { jobs: t.twin.jobsQueueUrl, webhooks: t.twin.webhooksQueueUrl, 'jobs DLQ': t.twin.jobsDlqUrl, 'webhooks DLQ': t.twin.webhooksDlqUrl };
  for (const [name, url] of Object.entries(queues)) {
    const depth = await t.queueDepth(url);
    messages[name] = depth.visible + depth.inFlight + depth.delayed;
  }
  return { listed, items, messages };
}

beforeAll(async () => {
  t = await startTestTwin({ env: { ALLOW_PRIVATE_TARGETS: 'false' } });
  dev = t.api;
  scanClient = new DynamoDBClient({ endpoint: t.twin.dynamodbUrl });
  await addTenant(OTHER_TENANT, OTHER_KEY, 'active');
  await addTenant(t.twin.dev.tenantId, DISABLED_KEY, 'active', 'disabled');
  await addTenant(DISABLED_TENANT, DISABLED_TENANT_KEY, 'disabled');
  other = new ApiClient(t.twin.url, OTHER_KEY);
  const devJobs = await seedJobs(dev);
  const otherJobs = await seedJobs(other);
  const keyedBody = { type: 'echo', payload: { keyed: true }, delaySeconds: FAR_AHEAD_SECONDS };
  await dev.submit(keyedBody, { idempotencyKey: 'corpus-keyed-1' });
  fixture = {
    host: new URL(t.twin.url).host,
    keys: { dev: t.twin.dev.apiKey, other: OTHER_KEY, disabledKey: DISABLED_KEY, disabledTenant: DISABLED_TENANT_KEY },
    tenants: { dev: t.twin.dev.tenantId, other: OTHER_TENANT },
    jobs: { ...devJobs, otherQueued: otherJobs.queued, otherSucceeded: otherJobs.succeeded },
    keyed: { key: 'corpus-keyed-1', body: keyedBody },
    cursors: {
      succeeded: await firstCursor(dev, 'status=succeeded'),
      succeededEcho: await firstCursor(dev, 'status=succeeded&type=echo'),
      otherSucceeded: await firstCursor(other, 'status=succeeded'),
    },
  };
  for (const url of [t.twin.jobsQueueUrl, t.twin.webhooksQueueUrl]) await t.waitForQueueEmpty(url);
}, 60_000);

afterAll(async () => {
  scanClient?.destroy();
  await t?.close();
});

// ---------------------------------------------------------------------------

async function send(entry: HostileEntry): Promise<RawResponse | Error> {
  const request = entry.request(fixture);
  try {
    if (request.raw) return await sendRaw(t.twin.url, request.raw(fixture.host, fixture.keys.dev));
    return await rawRequest(t.twin.url, toRawSpec(request, fixture));
  } catch (error) {
    return error as Error;
  }
}

const describeAnswers = (answers: readonly Answer[]) => answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`).join(' or ');

/** Everything wrong with one answer, as readable lines (empty: as the SPEC says). */
function violations(entry: HostileEntry, method: string, response: RawResponse | Error): string[] {
  if (response instanceof Error) return [`no HTTP answer (${response.message.slice(0, 200)})`];
  const found: string[] = [];
  let body: any;
  try {
    body = response.text === '' ? undefined : JSON.parse(response.text);
  } catch {
    body = undefined;
  }
  const status = response.status;
  const seen = `${status}${body?.code ? ` ${body.code}` : ''}`;
  if (status >= 500) found.push(`5xx: ${seen}`);
  const requestId = response.headers['x-request-id']?.[0];
  if (!requestId) found.push('no x-request-id header');
  if (entry.expect === REFUSED) {
    if (status < 400 || status >= 500) found.push(`answered ${seen}; expected a 4xx refusal`);
  } else {
    const answers = Array.isArray(entry.expect) ? (entry.expect as readonly Answer[]) : [entry.expect as Answer];
    // A HEAD answer has no body, so no code to compare.
    const codeMatches = (a: Answer) => a.code === undefined || method === 'HEAD' || a.code === body?.code;
    if (!answers.some((a) => a.status === status && codeMatches(a))) {
      found.push(`answered ${seen}; expected ${describeAnswers(answers)}`);
    }
  }
  if (status >= 400 && method !== 'HEAD') {
    if (!/^application\/problem\+json/.test(response.headers['content-type']?.[0] ?? '')) {
      found.push(`content-type ${JSON.stringify(response.headers['content-type']?.[0] ?? null)}, not application/problem+json`);
    }
    if (typeof body !== 'object' || body === null) {
      found.push('no problem document in the body');
    } else {
      if (body.status !== status) found.push(`problem status ${body.status} ≠ ${status}`);
      if (body.title !== STATUS_CODES[status]) found.push(`problem title ${JSON.stringify(body.title)}`);
      if (typeof body.code !== 'string' || typeof body.detail !== 'string') found.push('problem without code or detail');
      if (requestId && body.requestId !== requestId) found.push(`requestId ${JSON.stringify(body.requestId)} ≠ x-request-id ${requestId}`);
    }
  }
  if (entry.items) {
    const items: any[] = Array.isArray(body?.items) ? body.items : [];
    if (items.length !== entry.items.length) found.push(`${items.length} batch items; expected ${entry.items.length}`);
    entry.items.forEach((expected, index) => {
      const item = items[index];
      const code = item?.error?.code;
      const allowed: readonly Answer[] = Array.isArray(expected) ? expected : [expected as Answer];
      if (!allowed.some((a) => item?.status === a.status && (a.code === undefined || code === a.code))) {
        found.push(`item ${index} answered ${item?.status}${code ? ` ${code}` : ''}; expected ${describeAnswers(allowed)}`);
      }
      if (item?.status >= 400 && (item.error?.status !== item.status || typeof item.error?.detail !== 'string')) {
        found.push(`item ${index} error is not a problem document`);
      }
    });
  }
  return found;
}

/** Outcomes per class, written to $HOSTILE_CORPUS_REPORT when set (the "failed before the fix" figures). */
const outcomes: Array<{ className: string; name: string; violations: string[] }> = [];

describe('hostile corpus: every request a clean answer, nothing changed', () => {
  let before: StateSnapshot;

  beforeAll(async () => {
    before = await snapshot();
  });

  describe.each(HOSTILE_CORPUS.map(([className, entries]) => [className, entries] as const))('%s', (className, entries) => {
    test.each(entries.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
      const method = entry.request(fixture).method;
      const found = violations(entry, method, await send(entry));
      outcomes.push({ className, name: entry.name, violations: found });
      expect(found).toEqual([]);
    });
  });

  test('the corpus holds at least 300 requests', () => {
    expect(HOSTILE_CORPUS.reduce((n, [, entries]) => n + entries.length, 0)).toBeGreaterThanOrEqual(300);
  });

  test('no state changed: jobs per status for both tenants, every table item, every queue', async () => {
    const after = await snapshot();
    // The scheduler's own items (its open-bucket scan's marks, `pk = SCHEDULER`) move with the clock, whatever the requests do.
    const changedItems = Object.keys({ ...before.items, ...after.items }).filter(
      (key) => !key.startsWith('SCHEDULER ') && JSON.stringify(before.items[key]) !== JSON.stringify(after.items[key]),
    );
    expect({ listed: after.listed, messages: after.messages, changedItems }).toEqual({ listed: before.listed, messages: before.messages, changedItems: [] });
  });

  afterAll(() => {
    const report = process.env.HOSTILE_CORPUS_REPORT;
    if (report) writeFileSync(report, `${JSON.stringify(outcomes, null, 2)}\n`);
  });
});

// ---------------------------------------------------------------------------
// Keys named like Object.prototype members are ordinary keys (SPEC §3)

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

/** The JSON text of an object with these own keys, written out so `__proto__` stays a key. */
const objectText = (entries: ReadonlyArray<readonly [string, string]>) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

const PLACEMENTS: ReadonlyArray<readonly [string, (name: string) => string]> = [
  ['at the top of an echo payload', (name) => `{"type":"echo","payload":${objectText([[name, JSON.stringify(`v-${name}`)], ['other', '1']])}}`],
  ['nested in an echo payload', (name) => `{"type":"echo","payload":{"outer":${objectText([[name, objectText([[name, '1']])]])}}}`],
  ['inside arrays of an echo payload', (name) => `{"type":"echo","payload":{"list":[${objectText([[name, `[${JSON.stringify(name)}]`]])},[${objectText([[name, 'null']])}]]}}`],
  [
    'as an http job header name',
    (name) => `{"type":"http","payload":{"url":"https://example.com/hook","headers":${objectText([[name, JSON.stringify(`value-${name}`)]])}},"delaySeconds":${FAR_AHEAD_SECONDS}}`,
  ],
  ['as an email subject and text', (name) => `{"type":"email","payload":{"to":"a@example.com","subject":${JSON.stringify(name)},"text":${JSON.stringify(name)}},"delaySeconds":${FAR_AHEAD_SECONDS}}`],
];

const equalJson = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

describe('keys named like Object.prototype members are accepted and read back as sent', () => {
  const created = new Set<string>();
  let before: StateSnapshot;

  beforeAll(async () => {
    before = await snapshot();
  });

  const cases = PLACEMENTS.flatMap(([where, build]) => PROTOTYPE_NAMES.map((name) => [`${JSON.stringify(name)} ${where}`, name, build(name)] as const)).map(([title, name, text], index) => [title, name, text, `proto-${index}`] as const);

  test.each(cases)('%s', async (_title, _name, text, key) => {
    const sent = JSON.parse(text);
    const response = await dev.request<JobView>('POST', '/v1/jobs', { rawBody: text, headers: { 'content-type': 'application/json', 'idempotency-key': key } });
    expect({ status: response.status, code: (response.body as any)?.code }).toEqual({ status: 202, code: undefined });
    created.add(response.body.jobId);
    expect(equalJson(response.body.payload, sent.payload)).toBe(true);
    const readBack = await dev.getJob(response.body.jobId);
    expect(equalJson(readBack.payload, sent.payload)).toBe(true);
    // Same key, same body: the stored hash equals the hash of what was sent.
    const replay = await dev.request('POST', '/v1/jobs', { rawBody: text, headers: { 'content-type': 'application/json', 'idempotency-key': key } });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    if (sent.type === 'echo') {
      const done = await dev.waitForJob(response.body.jobId, ['succeeded', 'fatal']);
      expect(done.status).toBe('succeeded');
      expect(equalJson(done.result, sent.payload)).toBe(true);
    }
  });

  test('a batch of every prototype name, mixed with bad items and a key used twice, is judged item by item', async () => {
    const goods = PROTOTYPE_NAMES.map((name) => `{"type":"echo","payload":${objectText([[name, '1']])},"delaySeconds":${FAR_AHEAD_SECONDS}}`);
    const twiceSame = `{"type":"echo","payload":{"twice":1},"idempotencyKey":"proto-batch-same","delaySeconds":${FAR_AHEAD_SECONDS}}`;
    const twiceDiffA = `{"type":"echo","payload":{"diff":"a"},"idempotencyKey":"proto-batch-diff","delaySeconds":${FAR_AHEAD_SECONDS}}`;
    const twiceDiffB = `{"type":"echo","payload":{"diff":"b"},"idempotencyKey":"proto-batch-diff","delaySeconds":${FAR_AHEAD_SECONDS}}`;
    const items = [...goods, '{"type":"nope","payload":{}}', twiceSame, twiceSame, '7', twiceDiffA, twiceDiffB];
    const response = await dev.request('POST', '/v1/jobs/batch', { rawBody: `{"jobs":[${items.join(',')}]}`, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    const answers: Array<{ status: number; job?: JobView; error?: { code: string } }> = response.body.items;
    // Whatever else goes wrong, what was created is counted for the last test.
    for (const answer of answers) if (answer.status === 202) created.add(answer.job!.jobId);
    const n = goods.length;
    answers.slice(0, n).forEach((answer, i) => {
      expect({ item: i, status: answer.status }).toEqual({ item: i, status: 202 });
      expect(equalJson(answer.job!.payload, JSON.parse(goods[i]).payload)).toBe(true);
    });
    expect(answers[n]).toMatchObject({ status: 400, error: { code: 'unknown_job_type' } });
    // The same key twice in one batch: one job, the other a replay of it (either order).
    expect([answers[n + 1].status, answers[n + 2].status].sort()).toEqual([200, 202]);
    expect(answers[n + 1].job!.jobId).toBe(answers[n + 2].job!.jobId);
    expect(answers[n + 3]).toMatchObject({ status: 400, error: { code: 'invalid_json' } });
    // The same key with different bodies: one job, the other 422.
    const diff = [answers[n + 4], answers[n + 5]];
    expect(diff.map((a) => a.status).sort()).toEqual([202, 422]);
    expect(diff.find((a) => a.status === 422)!.error!.code).toBe('idempotency_key_reused');
    for (const jobId of created) await dev.getJob(jobId);
  });

  // Bodies under 256 KiB whose stored item may pass DynamoDB's 400 KB (issue 9 class 2): each
  // list level costs 3 bytes plus 1 per element by DynamoDB's rules, for 2 bytes of JSON.
  // Stored and read back, or 413 payload_too_large — which one depends on how a job is stored.
  const list = (count: number, element: string) => `[${Array.from({ length: count }, () => element).join(',')}]`;
  const NEAR_ITEM_LIMIT: ReadonlyArray<readonly [string, string]> = [
    ['12,000 lists nested 10 deep', `{"type":"echo","payload":{"l":${list(12_000, '['.repeat(10) + ']'.repeat(10))}}}`],
    ['51,000 lists of an empty list', `{"type":"echo","payload":{"l":${list(51_000, '[[]]')}}}`],
  ];

  test.each(NEAR_ITEM_LIMIT)('%s (under 256 KiB): stored and read back, or 413 — never a 500', async (_name, text) => {
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(256 * 1024);
    const response = await dev.request('POST', '/v1/jobs', { rawBody: text, headers: { 'content-type': 'application/json' } });
    if (response.status === 202) created.add(response.body.jobId);
    expect([202, 413]).toContain(response.status);
    if (response.status === 413) {
      expect(response.body).toMatchObject({ status: 413, code: 'payload_too_large', requestId: response.headers.get('x-request-id') });
      return;
    }
    const readBack = await dev.getJob(response.body.jobId);
    expect(equalJson(readBack.payload, JSON.parse(text).payload)).toBe(true);
    expect((await dev.waitForJob(response.body.jobId, ['succeeded', 'fatal'])).status).toBe('succeeded');
  });

  test('the same, as a batch item: that item 202 or 413, the batch 200', async () => {
    const [, text] = NEAR_ITEM_LIMIT[0];
    const response = await dev.request('POST', '/v1/jobs/batch', { rawBody: `{"jobs":[${text}]}`, headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    const [item] = response.body.items;
    if (item.status === 202) created.add(item.job.jobId);
    expect([202, 413]).toContain(item.status);
    if (item.status === 413) expect(item.error.code).toBe('payload_too_large');
  });

  test('created exactly these jobs and nothing else', async () => {
    const after = await waitFor(
      async () => {
        const state = await snapshot();
        // Echo jobs have run and their messages are gone: a settled table to compare.
        return state.messages.jobs === 0 ? state : undefined;
      },
      { description: 'jobs queue drained' },
    );
    const newItems = Object.keys(after.items)
      .filter((key) => !(key in before.items))
      .map((key) => after.items[key] as { pk: string; sk: string });
    const newJobItems = newItems.filter((item) => item.sk === 'JOB');
    // The job item keeps its id in `pk` only (lambdas/store/job-item.ts).
    const newJobIds = newJobItems.map((item) => jobKeyOfPk(item.pk).jobId);
    expect(new Set(newJobIds)).toEqual(created);
    expect(newJobIds).toHaveLength(created.size);
    // Anything else new is a large payload's own item, in the partition of one of those jobs.
    const jobPartitions = new Set(newJobItems.map((item) => item.pk));
    const others = newItems.filter((item) => item.sk !== 'JOB');
    expect(others.filter((item) => !item.sk.startsWith('PAYLOAD#') || !jobPartitions.has(item.pk))).toEqual([]);
    expect(after.listed[`${OTHER_TENANT} queued`]).toBe(before.listed[`${OTHER_TENANT} queued`]);
  });
});
