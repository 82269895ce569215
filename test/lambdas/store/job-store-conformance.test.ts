/**
 * One store suite, two backends (STYLE: River's driver suite): dynalite, which
 * the twin runs on, and AWS's own DynamoDB Local, which behaves like DynamoDB
 * where dynalite does not (a Map's key order). Tenant JSON must come back
 * exactly as it went in on both: same keys (any name), same order, same hash.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { payloadHash } from '../../../lambdas/jobs/payload-hash';
import { finishAttempt, claim } from '../../../lambdas/jobs/transitions';
import { JobStore } from '../../../lambdas/store/job-store';
import { ensureTable, startDynamoDb } from '../../../local/dynamodb';
import { startDynamoDbLocal } from '../../support/dynamodb-local';
import { jobFactory } from '../../support/job-factory';

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

  beforeAll(async () => {
    backend = await start();
    client = new DynamoDBClient({ endpoint: backend.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ensureTable(client, 'jobs');
    const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
    store = new JobStore(db, { tableName: 'jobs', now: () => NOW, sweep: { lookaheadMs: 300_000, staleAfterMs: 120_000 } });
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
});
