/**
 * A put that lands but whose answer is lost: the SDK retries it, the retry fails
 * its condition against our own item, and the store still reports the write as
 * done (it recognises its own `writeId`). Through a real DynamoDB (dynalite) and
 * the SDK's own retry, with the answer of the first PutItem dropped on the way back.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { cancel, inPlaceClaim } from '../../../lambdas/jobs/transitions';
import { JobStore } from '../../../lambdas/store/job-store';
import { ensureTable, startDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb';
import { jobFactory } from '../../support/job-factory';

let dynamodb: LocalDynamoDb;
let client: DynamoDBClient;
let store: JobStore;
let dropNextPutAnswer = false;
let dropNextUpdateAnswer = false;
const NOW = Date.UTC(2026, 11, 1, 12);

beforeAll(async () => {
  dynamodb = await startDynamoDb({});
  client = new DynamoDBClient({ endpoint: dynamodb.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 3 });
  // Inside the SDK's retry loop: let the PutItem reach the table, then lose its answer.
  client.middlewareStack.add(
    (next: FinalizeHandler<object, MetadataBearer>, context) => async (args: FinalizeHandlerArguments<object>) => {
      const result = await next(args);
      if (context.commandName === 'PutItemCommand' && dropNextPutAnswer) {
        dropNextPutAnswer = false;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      }
      if (context.commandName === 'UpdateItemCommand' && dropNextUpdateAnswer) {
        dropNextUpdateAnswer = false;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      }
      return result;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'loseTheAnswer' },
  );
  await ensureTable(client, 'jobs');
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  store = new JobStore(db, { tableName: 'jobs', now: () => NOW, sweep: { lookaheadMs: 300_000, staleAfterMs: 120_000 } });
});

afterAll(async () => {
  client?.destroy();
  await dynamodb?.close();
});

it('reports a create whose answer was lost as created, not as a replay', async () => {
  const job = jobFactory(NOW, { idempotencyKey: 'order-1' });
  dropNextPutAnswer = true;
  const outcome = await store.create(job);
  expect(dropNextPutAnswer).toBe(false); // the answer was indeed dropped and the SDK retried
  expect(outcome).toMatchObject({ created: true, job: { jobId: job.jobId } });
  // A second, independent create with the same id is a replay.
  expect((await store.create({ ...job })).created).toBe(false);
});

it('reports a transition whose answer was lost as done, not as lost to another writer', async () => {
  const job = jobFactory(NOW, { idempotencyKey: 'order-2' });
  await store.create(job);
  dropNextPutAnswer = true;
  const result = await store.transition(job, (current) => cancel(current, { nowMs: NOW, retentionDays: 7 }));
  expect(dropNextPutAnswer).toBe(false);
  expect(result).toMatchObject({ ok: true, job: { status: 'canceled' } });
  expect((await store.get(job, { consistent: true }))?.status).toBe('canceled');
});

it('reports a claim in one write whose answer was lost as claimed, not as a job busy under someone else\'s lease', async () => {
  const job = jobFactory(NOW, { idempotencyKey: 'order-3' });
  await store.create(job);
  dropNextUpdateAnswer = true;
  const outcome = await store.claimInPlace(job, inPlaceClaim(0, 60_000, { nowMs: NOW, retentionDays: 7 }));
  expect(dropNextUpdateAnswer).toBe(false); // dropped, and the SDK's retry failed its condition on our own write
  expect(outcome.claimed).toMatchObject({ status: 'running', attempts: 1, leaseUntilMs: NOW + 60_000 });
  expect(await store.get(job, { consistent: true })).toEqual(outcome.claimed);
});
