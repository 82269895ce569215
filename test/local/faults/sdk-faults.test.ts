/**
 * The SDK seam of fault injection, against dynalite: throttles and 5xx go
 * through the SDK's own retries; a lost reply is a write that happened; a
 * crashed invocation makes no call after its fatal one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDb, type LocalDynamoDb } from '../../../local/dynamodb';
import { FaultPlan, type FaultRates } from '../../../local/faults/fault-plan';
import { InvocationCrashedError, InvocationCrashes } from '../../../local/faults/invocation-crashes';
import { JobWriteLog } from '../../../local/faults/job-write-log';
import { injectDynamoDbFaults } from '../../../local/faults/sdk-faults';

const TABLE = 'faults';
let dynamodb: LocalDynamoDb;

beforeAll(async () => {
  dynamodb = await startDynamoDb({});
  const setup = new DynamoDBClient({ endpoint: dynamodb.url });
  await ensureTable(setup, TABLE);
  setup.destroy();
});

afterAll(() => dynamodb.close());

function clientWith(rates: FaultRates, maxAttempts: number) {
  const plan = new FaultPlan(rates, 1);
  plan.arm();
  const crashes = new InvocationCrashes(plan);
  const retries = { dynamodb: 0, sqs: 0 };
  const writes = new JobWriteLog();
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.url, maxAttempts, retryMode: 'standard' }));
  injectDynamoDbFaults(db, { plan, crashes, retries, writes });
  return { db, plan, crashes, retries, writes };
}

const clean = () => DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamodb.url }));
const stored = async (pk: string) => {
  const db = clean();
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: { pk, sk: 'JOB' }, ConsistentRead: true }));
  db.destroy();
  return Item;
};
const jobItem = (pk: string) => ({ pk, sk: 'JOB', entity: 'job', status: 'succeeded', version: 2 });

it('answers a throttle the SDK retries, and writes nothing when every try is throttled', async () => {
  const { db, plan, retries } = clientWith({ 'ddb.throttle': 1 }, 2);
  await expect(db.send(new PutCommand({ TableName: TABLE, Item: jobItem('throttled') }))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  expect(plan.counts()['ddb.throttle']).toBe(2);
  expect(retries.dynamodb).toBe(1);
  expect(await stored('throttled')).toBeUndefined();
  db.destroy();
});

it('answers 500 InternalServerError', async () => {
  const { db } = clientWith({ 'ddb.error': 1 }, 1);
  await expect(db.send(new GetCommand({ TableName: TABLE, Key: { pk: 'x', sk: 'JOB' } }))).rejects.toMatchObject({
    name: 'InternalServerError',
    $metadata: expect.objectContaining({ httpStatusCode: 500 }),
  });
  db.destroy();
});

it('loses the reply of a write that took effect, and logs the write as landed', async () => {
  const { db, plan, writes } = clientWith({ 'ddb.lostReply': 1 }, 1);
  await expect(db.send(new PutCommand({ TableName: TABLE, Item: jobItem('lost-reply') }))).rejects.toMatchObject({ code: 'ECONNRESET' });
  expect(await stored('lost-reply')).toMatchObject({ status: 'succeeded' });
  expect(plan.counts()['ddb.lostReply']).toBe(1);
  expect(writes.terminalTransitions('lost-reply')).toEqual([{ version: 2, status: 'succeeded' }]);
  db.destroy();
});

it('kills an invocation at one of its calls: it rejects at once and writes nothing after', async () => {
  const { db, crashes, plan } = clientWith({ 'worker.crash': 1 }, 1);
  const attempted: number[] = [];
  const invocation = async () => {
    for (let i = 0; i < 20; i++) {
      attempted.push(i);
      await db.send(new PutCommand({ TableName: TABLE, Item: { ...jobItem(`crash-${i}`), status: 'queued' } }));
    }
  };
  // One record: it dies within its first 5 calls.
  await expect(crashes.run('worker', 'batch', 1, invocation)).rejects.toBeInstanceOf(InvocationCrashedError);
  expect(plan.counts()['worker.crash']).toBe(1);
  const fatal = attempted.length - 1;
  expect(fatal).toBeLessThan(5);
  // The calls before the fatal one landed; none after it did (the fatal one may have).
  for (let i = 0; i < fatal; i++) expect(await stored(`crash-${i}`)).toBeDefined();
  expect(await stored(`crash-${fatal + 1}`)).toBeUndefined();
  // A call outside the dead invocation is unaffected.
  await db.send(new PutCommand({ TableName: TABLE, Item: jobItem('after-crash') }));
  expect(await stored('after-crash')).toBeDefined();
  db.destroy();
});
