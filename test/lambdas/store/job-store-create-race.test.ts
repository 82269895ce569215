/**
 * A create whose put lands, whose answer is lost, and whose job a worker claims
 * before the create hears back: a job sent first (SPEC §4) can be claimed within
 * milliseconds of its put. The create must still report the job as created (it
 * runs), neither as a replay of itself nor as a 503 for a job that exists.
 * Through a real DynamoDB (dynalite) and the SDK's own retry; the claim is made
 * by a second client, as a worker would.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { inPlaceClaim } from '../../../lambdas/jobs/transitions';
import { JobStore } from '../../../lambdas/store/job-store';
import { ensureTable, startDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb';
import { jobFactory } from '../../support/job-factory';

const NOW = Date.UTC(2026, 11, 1, 12);
const SETTINGS = { tableName: 'jobs', now: () => NOW, sweep: { lookaheadMs: 300_000, staleAfterMs: 120_000 } };
let dynamodb: LocalDynamoDb;
let worker: JobStore;
const clients: DynamoDBClient[] = [];

function newClient(maxAttempts: number): DynamoDBClient {
  const client = new DynamoDBClient({ endpoint: dynamodb.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts });
  clients.push(client);
  return client;
}

const documents = (client: DynamoDBClient) => DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

/** A store whose next PutItem reaches the table, then a worker claims the job, then the put's answer is lost. */
function storeWhosePutIsClaimedBeforeItsAnswer(maxAttempts: number): { store: JobStore; claimed: () => boolean } {
  const client = newClient(maxAttempts);
  let armed = true;
  let claimed = false;
  client.middlewareStack.add(
    (next: FinalizeHandler<object, MetadataBearer>, context) => async (args: FinalizeHandlerArguments<object>) => {
      const result = await next(args);
      if (context.commandName === 'PutItemCommand' && armed) {
        armed = false;
        const input = (args.input as { Item: { pk: { S: string } } }).Item.pk.S;
        const [, tenantId, jobId] = /^JOB#(.+)#([^#]+)$/.exec(input)!;
        const outcome = await worker.claimInPlace({ tenantId, jobId }, inPlaceClaim(0, 60_000, { nowMs: NOW, retentionDays: 7 }));
        claimed = outcome.claimed !== undefined;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      }
      return result;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'claimThenLoseTheAnswer' },
  );
  return { store: new JobStore(documents(client), SETTINGS), claimed: () => claimed };
}

beforeAll(async () => {
  dynamodb = await startDynamoDb({});
  const setup = newClient(3);
  await ensureTable(setup, 'jobs');
  worker = new JobStore(documents(setup), SETTINGS);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await dynamodb?.close();
});

it('answers with the one job when the SDK retries the put and finds it already claimed (no failure, no second job)', async () => {
  const { store, claimed } = storeWhosePutIsClaimedBeforeItsAnswer(3);
  const job = jobFactory(NOW);

  const outcome = await store.create(job);

  expect(claimed()).toBe(true);
  // The retry's condition fails on an item whose writeId the claim changed: told apart from a replay only by
  // its creation stamp, which a same-millisecond duplicate shares, so this reads as a replay of the same job.
  expect(outcome.job.jobId).toBe(job.jobId);
  expect(await worker.get(job, { consistent: true })).toMatchObject({ status: 'running', attempts: 1 });
});

it('reports created, not a 503, when the put failed for good but its job was already claimed (the job runs)', async () => {
  // No SDK retry: the lost answer is the create's failure, and its undo finds the job claimed.
  const { store, claimed } = storeWhosePutIsClaimedBeforeItsAnswer(1);
  const job = jobFactory(NOW);

  const outcome = await store.create(job);

  expect(claimed()).toBe(true);
  expect(outcome).toMatchObject({ created: true, job: { jobId: job.jobId } });
  expect(await worker.get(job, { consistent: true })).toMatchObject({ status: 'running' });
});

it('still undoes its own write and fails when nobody touched the job (503 keeps nothing)', async () => {
  const client = newClient(1);
  let armed = true;
  client.middlewareStack.add(
    (next: FinalizeHandler<object, MetadataBearer>, context) => async (args: FinalizeHandlerArguments<object>) => {
      const result = await next(args);
      if (context.commandName === 'PutItemCommand' && armed) {
        armed = false;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: {} });
      }
      return result;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'loseTheAnswer' },
  );
  const store = new JobStore(documents(client), SETTINGS);
  const job = jobFactory(NOW);

  await expect(store.create(job)).rejects.toMatchObject({ name: 'StoreUnavailableError' });

  expect(await worker.get(job, { consistent: true })).toBeUndefined();
});
