/**
 * One store suite, two backends (STYLE: River's driver suite): dynalite, which
 * the twin runs on, and AWS's own DynamoDB Local, which behaves like DynamoDB
 * where dynalite does not (a Map's key order). Tenant JSON must come back
 * exactly as it went in on both: same keys (any name), same order, same hash.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { payloadHash } from '../../../lambdas/jobs/payload-hash';
import { finishAttempt, claim, inPlaceClaim } from '../../../lambdas/jobs/transitions';
import { pendingWebhook, webhookEventOf, type Job, type WebhookEvent } from '../../../lambdas/jobs/job';
import { ItemTooLargeError } from '../../../lambdas/store/errors';
import { ITEM_LIMIT_BYTES, itemSize } from '../../../lambdas/store/item-size';
import { JobStore, jobItemKey } from '../../../lambdas/store/job-store';
import { statusIndexKeys } from '../../../lambdas/store/status-index';
import { STATUS_INDEX_SHARDS } from '../../../lambdas/resources';
import { startDynamoDb } from '../../../local/dynamodb';
import { startDynamoDbLocal } from '../../support/dynamodb-local';
import { jobFactory } from '../../support/job-factory';
import { storeOn } from '../../support/store-on';

const NOW = Date.UTC(2026, 11, 3, 12);
const timing = { nowMs: NOW, retentionDays: 7 };

interface Backend {
  url: string;
  close(): Promise<void>;
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['dynalite', () => startDynamoDb({})],
  ['DynamoDB Local', () => startDynamoDbLocal()],
];

/** Every name an object has from its prototype, plus `__proto__`: all must be ordinary keys. */
const PROTOTYPE_NAMES = [...Object.getOwnPropertyNames(Object.prototype), '__proto__', '', 'toJSON'];

describe.each(BACKENDS)('JobStore on %s', (_name, start) => {
  let backend: Backend;
  let client: DynamoDBClient;
  let store: JobStore;
  let db: DynamoDBDocumentClient;
  const rawItem = async (job: Job) => (await db.send(new GetCommand({ TableName: 'jobs', Key: jobItemKey(job), ConsistentRead: true }))).Item;
  const partitionItems = async (job: Job) =>
    (
      await db.send(
        new QueryCommand({ TableName: 'jobs', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': jobItemKey(job).pk }, ConsistentRead: true }),
      )
    ).Items ?? [];

  beforeAll(async () => {
    backend = await start();
    ({ client, db, store } = await storeOn(backend.url, NOW));
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await backend?.close();
  });

  it('returns a payload with its keys in the order they were sent', async () => {
    const payload = JSON.parse('{"hello":"world","n":1,"nested":{"z":1,"a":2,"m":[{"y":1,"b":2}]},"alpha":true}');
    const job = jobFactory(NOW, { payload });
    await store.create(job);
    const read = await store.get(job, { consistent: true });
    expect(JSON.stringify(read?.payload)).toBe(JSON.stringify(payload));
  });

  it('returns a result with its keys in the order the handler gave them', async () => {
    const job = jobFactory(NOW);
    await store.create(job);
    const result = { zeta: 1, alpha: { last: 1, first: 2 } };
    await store.transition(job, (current) => claim(current, 60_000, timing));
    await store.transition(job, (current) => finishAttempt(current, 1, { kind: 'succeeded', result }, 0, timing));
    const read = await store.get(job, { consistent: true });
    expect(JSON.stringify(read?.result)).toBe(JSON.stringify(result));
  });

  it('stores, returns and hashes keys named after Object.prototype members like any other key', async () => {
    const payload = JSON.parse('{"constructor":{"constructor":1},"__proto__":{"x":[{"constructor":"c"}]},"toString":"s","hasOwnProperty":null,"":0}');
    const job = jobFactory(NOW, { payload });
    await store.create(job);
    const read = await store.get(job, { consistent: true });
    expect(JSON.stringify(read?.payload)).toBe(JSON.stringify(payload));
    expect(Object.keys(read!.payload)).toEqual(['constructor', '__proto__', 'toString', 'hasOwnProperty', '']);
  });

  it('round-trips arbitrary JSON objects: equal, in the same order, with the same hash', async () => {
    const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...PROTOTYPE_NAMES));
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 10 }),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0) && Math.abs(n) <= Number.MAX_SAFE_INTEGER),
        fc.boolean(),
        fc.constant(null),
        tie('object'),
        fc.array(tie('value'), { maxLength: 4 }),
      ),
      // Built with JSON.parse semantics (own data properties, `__proto__` included).
      object: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`)),
    }));
    await fc.assert(
      fc.asyncProperty(json.object, async (payload: Record<string, unknown>) => {
        const job = jobFactory(NOW, { payload, payloadHash: payloadHash({ type: 'echo', payload }) });
        await store.create(job);
        const read = await store.get(job, { consistent: true });
        expect(read?.payload).toEqual(payload);
        expect(JSON.stringify(read?.payload)).toBe(JSON.stringify(payload));
        expect(payloadHash({ type: 'echo', payload: read!.payload })).toBe(job.payloadHash);
      }),
      { numRuns: 60 },
    );
  });

  it('reads a job written by the previous version, with payload and result as Maps, and rewrites it as text', async () => {
    // Arrange: the item as the previous version wrote it.
    const job = jobFactory(NOW, { payload: { a: 1, b: { c: [true] } }, status: 'succeeded', result: { ok: 'yes' }, finishedAt: new Date(NOW).toISOString() });
    await db.send(
      new PutCommand({
        TableName: 'jobs',
        Item: { ...jobItemKey(job), entity: 'job', ...job, writeId: 'w', gsi1pk: `${job.tenantId}#succeeded`, gsi1sk: `${job.createdAt}#${job.jobId}` },
      }),
    );
    // Act + Assert: read alone and through the status index.
    expect(await store.get(job, { consistent: true })).toMatchObject({ payload: { a: 1, b: { c: [true] } }, result: { ok: 'yes' } });
    const page = await store.list({ tenantId: job.tenantId, status: 'succeeded', limit: 100 });
    expect(page.items.find((item) => item.jobId === job.jobId)).toMatchObject({ result: { ok: 'yes' } });
    // Its next write stores it the new way.
    await store.replace({ ...job, lastError: 'x' }, job.version);
    const item = await rawItem(job);
    expect(item).toMatchObject({ payloadJson: '{"a":1,"b":{"c":[true]}}', resultJson: '{"ok":"yes"}' });
    expect(item).not.toHaveProperty('payload');
    expect(item).not.toHaveProperty('result');
  });

  it('lists results as text from the status index', async () => {
    const job = jobFactory(NOW, { tenantId: 'list-tenant', status: 'succeeded', result: { z: 1, a: 2 } });
    await store.create(job);
    const page = await store.list({ tenantId: 'list-tenant', status: 'succeeded', limit: 10 });
    expect(JSON.stringify(page.items[0]?.result)).toBe('{"z":1,"a":2}');
    expect(page.items[0]).not.toHaveProperty('payload');
  });

  it('refuses to create a job whose payload could not be stored, and writes nothing', async () => {
    // Random text does not compress: its payload item would pass the item limit.
    const job = jobFactory(NOW, { payload: { big: randomBytes(ITEM_LIMIT_BYTES).toString('base64') } });
    await expect(store.create(job)).rejects.toBeInstanceOf(ItemTooLargeError);
    expect(await partitionItems(job)).toEqual([]);
  });

  describe('a large payload (its own item, written once)', () => {
    it.each([
      ['compressible', () => ({ zeta: 'x'.repeat(8 * 1024), alpha: [{ b: 1, a: 2 }], constructor: null })],
      ['incompressible', () => ({ zeta: randomBytes(6 * 1024).toString('base64'), alpha: [{ b: 1, a: 2 }], __proto__: 'p' })],
    ])('round-trips byte for byte (%s), and the claim and the finish leave it alone', async (_name, make) => {
      // Arrange
      const payload = JSON.parse(JSON.stringify(make())) as Record<string, unknown>;
      const job = jobFactory(NOW, { payload });
      // Act
      await store.create(job);
      const created = await partitionItems(job);
      await store.transition(job, (current) => claim(current, 60_000, timing));
      await store.transition(job, (current) => finishAttempt(current, 1, { kind: 'succeeded', result: null }, 0, timing));
      // Assert: the job item holds no payload and stays small; the payload's item was written once.
      const items = await partitionItems(job);
      const jobItem = items.find((i) => i.sk === 'JOB')!;
      expect(jobItem).not.toHaveProperty('payloadJson');
      expect(itemSize(jobItem)).toBeLessThan(1024);
      const payloadItems = items.filter((i) => String(i.sk).startsWith('PAYLOAD#'));
      expect(payloadItems).toHaveLength(1);
      expect(payloadItems).toEqual(created.filter((i) => String(i.sk).startsWith('PAYLOAD#')));
      const read = await store.get(job);
      expect(JSON.stringify(read?.payload)).toBe(JSON.stringify(payload));
      expect(JSON.stringify((await store.get(job, { consistent: true }))?.payload)).toBe(JSON.stringify(payload));
      expect((await store.get(job, { withPayload: false }))?.payload).toBeUndefined();
    });

    it('is read back with a replay, kept once, and deleted with its job', async () => {
      const payload = { p: 'y'.repeat(4000) };
      const job = jobFactory(NOW, { payload, idempotencyKey: `big-${randomUUID()}` });
      await store.create(job);
      const replay = await store.create({ ...job });
      expect(replay.created).toBe(false);
      expect(replay.job.payload).toEqual(payload);
      expect((await partitionItems(job)).filter((i) => String(i.sk).startsWith('PAYLOAD#'))).toHaveLength(1);

      await store.transition(job, (current) => ({ write: { ...current!, status: 'canceled', nextRunAt: null }, result: null }));
      await store.transition(job, (current) => ({ delete: true, result: current }));
      expect(await partitionItems(job)).toEqual([]);
    });

    it('outlives its job: a write taking the job\'s expiry past the payload\'s pushes the payload\'s out', async () => {
      const job = jobFactory(NOW, { payload: { p: 'z'.repeat(4000) } });
      const { job: stored } = await store.create(job);
      const later = stored.payloadExpiresAt! + 86_400;
      await store.transition(job, (current) => ({ write: { ...current!, expiresAt: later }, result: null }));
      const payloadItem = (await partitionItems(job)).find((i) => String(i.sk).startsWith('PAYLOAD#'))!;
      expect(Number(payloadItem.expiresAt)).toBeGreaterThan(later);
      expect((await store.get(job, { consistent: true }))?.payloadExpiresAt).toBe(Number(payloadItem.expiresAt));
    });
  });

  it('creates a job just under what leaves room to grow, and lets it grow to the full: 50 failed attempts, a result, webhook events', async () => {
    // Arrange: the largest payload create accepts for this job (found by halving).
    const base = jobFactory(NOW, { webhookUrl: 'https://hooks.example.com/jobs', maxAttempts: 50, attemptLimit: 50 });
    let [fits, tooBig] = [0, ITEM_LIMIT_BYTES];
    while (tooBig - fits > 1) {
      const middle = Math.floor((fits + tooBig) / 2);
      const probe = store.create({ ...base, jobId: randomUUID(), payload: { p: 'x'.repeat(middle) } });
      const fitted = await probe.then(
        () => true,
        (error: unknown) => {
          if (error instanceof ItemTooLargeError) return false;
          throw error;
        },
      );
      if (fitted) fits = middle;
      else tooBig = middle;
    }
    const job = { ...base, payload: { p: 'x'.repeat(fits) } };
    await store.create(job);
    // Act: every attempt fails with the longest error, then one succeeds with the largest result.
    const error = '"'.repeat(2000);
    for (let attempt = 1; attempt <= 49; attempt++) {
      await store.transition(job, (current) => claim(current, 60_000, timing));
      await store.transition(job, (current) => finishAttempt(current, attempt, { kind: 'retryable', error, delayMs: 0 }, 0, timing));
    }
    await store.transition(job, (current) => claim(current, 60_000, timing));
    await store.transition(job, (current) => finishAttempt(current, 50, { kind: 'succeeded', result: { r: 'x'.repeat(4080) } }, 0, timing));
    // Assert: nothing was shed.
    const done = await store.get(job, { consistent: true });
    expect([done!.status, done!.attempts, done!.history.length]).toEqual(['succeeded', 50, 50]);
    expect(JSON.stringify(done!.result)).toBe(JSON.stringify({ r: 'x'.repeat(4080) }));
    expect(webhookEventOf(done!.webhook)).not.toBeNull();
  }, 60_000);

  it('sheds what it may when a later write would pass the item limit: the result first, then the oldest backlog events', async () => {
    // Arrange: a webhook job near the largest payload, re-run until its backlog is deep (past the reserve).
    const job = jobFactory(NOW, { webhookUrl: 'https://hooks.example.com/jobs', payload: { p: 'x'.repeat(320_000) } });
    await store.create(job);
    const event = (i: number): WebhookEvent => ({ id: `msg_${i}`, type: 'job.succeeded', body: `{"i":${i},"pad":"${'y'.repeat(9000)}"}`, nextAttemptAt: null });
    const grown: Job = {
      ...job,
      status: 'succeeded',
      result: { r: 'z'.repeat(4000) },
      webhook: {
        status: 'pending',
        event: event(0),
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        backlog: Array.from({ length: 10 }, (_, i) => event(i + 1)),
      },
    };
    // Act
    expect(await store.replace(grown, job.version)).toBe(true);
    // Assert: written, the result cut as SPEC §3.6 says, the newest events kept, and the caller's job is what was written.
    const read = await store.get(job, { consistent: true });
    expect(read!.result).toEqual({ truncated: true, bytes: 4008 });
    const kept = (pendingWebhook(read!.webhook)?.backlog ?? []).map((e) => e.id);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(10);
    expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => `msg_${i + 1}`).slice(-kept.length));
    expect(webhookEventOf(read!.webhook)!.id).toBe('msg_0');
    expect(grown.webhook).toEqual(read!.webhook);
  });

  describe('claimInPlace (one conditional update, no read)', () => {
    it('claims a waiting job exactly as claim() decides, and takes its sweep entry away', async () => {
      // Arrange: a job that waited for a later time than its create (a keyed create with a delay) sits on the sweep index.
      const job = jobFactory(NOW, { idempotencyKey: `claim-${randomUUID()}`, createdAt: new Date(NOW - 2000).toISOString(), nextRunAt: new Date(NOW - 1000).toISOString() });
      await store.create(job);
      expect(await rawItem(job)).toHaveProperty('sweepAt');
      const decided = claim(await store.get(job, { consistent: true }), 60_000, timing);
      // Act
      const outcome = await store.claimInPlace(job, inPlaceClaim(0, 60_000, timing));
      // Assert
      if (!('write' in decided)) throw new Error('claim() should write');
      // (`sentFirst: false` is stored as its absence.)
      expect(outcome.claimed).toEqual({ ...decided.write, sentFirst: undefined, version: job.version + 1 });
      const item = await rawItem(job);
      expect(item).not.toHaveProperty('sweepAt');
      expect(item).not.toHaveProperty('sweepShard');
      // The open bucket holds queued and running alike: the claim leaves the status index alone.
      expect(item).toMatchObject({ status: 'running', attempts: 1, gsi1pk: statusIndexKeys(job, STATUS_INDEX_SHARDS).gsi1pk });
      expect(await store.get(job, { consistent: true })).toEqual(outcome.claimed);
    });

    it('claims a create due at once, which has no sweep entry (the open-bucket scan covers it), and writes the sweep index nothing', async () => {
      // Arrange
      const job = jobFactory(NOW, { sentFirst: true });
      await store.create(job);
      const before = await rawItem(job);
      expect(before).not.toHaveProperty('sweepAt');
      // Act
      const outcome = await store.claimInPlace(job, inPlaceClaim(0, 60_000, timing));
      // Assert: running; no sweep-index key attribute before or after (so no index write); the status-index keys unchanged.
      expect(outcome.claimed).toMatchObject({ status: 'running', attempts: 1 });
      const after = await rawItem(job);
      for (const attribute of ['sweepShard', 'sweepAt', 'sweepCount']) expect(after).not.toHaveProperty(attribute);
      expect({ gsi1pk: after?.gsi1pk, gsi1sk: after?.gsi1sk }).toEqual({ gsi1pk: before?.gsi1pk, gsi1sk: before?.gsi1sk });
    });

    it.each([
      ['another attempt count', {}, 3],
      ['not due yet', { nextRunAt: new Date(NOW + 60_000).toISOString() }, 0],
      ['running', { status: 'running', leaseUntilMs: NOW + 60_000, nextRunAt: null }, 0],
      ['finished', { status: 'succeeded', nextRunAt: null }, 0],
    ] as const)('writes nothing for a job %s, and returns it as found', async (_case, overrides, attempts) => {
      const job = jobFactory(NOW, overrides);
      await store.create(job);
      const before = await rawItem(job);
      const outcome = await store.claimInPlace(job, inPlaceClaim(attempts, 60_000, timing));
      expect(outcome.claimed).toBeUndefined();
      expect(outcome).toEqual({ current: await store.get(job, { consistent: true }) });
      expect(await rawItem(job)).toEqual(before);
    });

    it('finds nothing for a job that does not exist, and creates nothing', async () => {
      const key = { tenantId: 'acme', jobId: randomUUID() };
      expect(await store.claimInPlace(key, inPlaceClaim(0, 60_000, timing))).toEqual({ current: undefined });
      expect((await db.send(new GetCommand({ TableName: 'jobs', Key: jobItemKey(key), ConsistentRead: true }))).Item).toBeUndefined();
    });
  });
});
