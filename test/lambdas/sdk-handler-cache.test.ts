/**
 * The middleware stack resolved once per command class (lambdas/sdk-handler-cache.ts):
 * the service's own DynamoDB document client on dynalite and its SQS client on the
 * twin's SQS endpoint answer every call with that call's own result, concurrent
 * calls included, typed errors included; a middleware added after the first call
 * runs from the next call on, and stops when removed.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { ConditionalCheckFailedException, CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/store/dynamodb-client';
import { createSqsClient } from '../../lambdas/queue/job-queue';
import { startDynamoDb } from '../../local/dynamodb';
import { startSqsEndpoint } from '../../local/sqs';

const TABLE = 'handler-cache';
const saved = { ...process.env };
let dynamodb: { url: string; close(): Promise<void> };
let sqsEndpoint: { url: string; close(): Promise<void> };
let db: DynamoDBDocumentClient;
let sqs: SQSClient;

beforeAll(async () => {
  dynamodb = await startDynamoDb({});
  sqsEndpoint = await startSqsEndpoint({});
  // The service's clients take their endpoints from the environment, as in the twin.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
    AWS_ENDPOINT_URL_SQS: sqsEndpoint.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  db = createDocumentClient();
  sqs = createSqsClient();
  await db.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}, 30_000);

afterAll(async () => {
  db?.destroy();
  sqs?.destroy();
  await dynamodb?.close();
  await sqsEndpoint?.close();
  process.env = saved;
});

type Step = 'initialize';
type Middleware = (next: (args: { input: Record<string, unknown> }) => Promise<unknown>) => (args: { input: Record<string, unknown> }) => Promise<unknown>;
const stackOf = (client: object) => (client as { middlewareStack: { add(m: Middleware, o: { step: Step; name: string }): void; remove(name: string): boolean } }).middlewareStack;

describe('the document client', () => {
  it('resolves each command class once, and answers each call with its own item, concurrent calls too', async () => {
    // Arrange
    const resolved = jest.spyOn(PutItemCommand.prototype, 'resolveMiddleware');
    const keys = Array.from({ length: 40 }, (_, i) => `job-${i}`);

    // Act
    await Promise.all(keys.map((pk, i) => db.send(new PutCommand({ TableName: TABLE, Item: { pk, n: i, tags: new Set([pk]), nested: { list: [i, null, 'x'] } } }))));
    const items = await Promise.all(keys.map((pk) => db.send(new GetCommand({ TableName: TABLE, Key: { pk }, ConsistentRead: true }))));
    const updated = await Promise.all(
      keys.map((pk) => db.send(new UpdateCommand({ TableName: TABLE, Key: { pk }, UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'ALL_NEW' }))),
    );

    // Assert
    expect(resolved).toHaveBeenCalledTimes(1);
    resolved.mockRestore();
    expect(items.map((answer) => answer.Item)).toEqual(keys.map((pk, i) => ({ pk, n: i, tags: new Set([pk]), nested: { list: [i, null, 'x'] } })));
    expect(updated.map((answer) => answer.Attributes?.n)).toEqual(keys.map((_, i) => i + 1));
  });

  it('throws the typed error of a failed condition, call after call', async () => {
    await db.send(new PutCommand({ TableName: TABLE, Item: { pk: 'taken' } }));
    for (let i = 0; i < 3; i++) {
      await expect(db.send(new PutCommand({ TableName: TABLE, Item: { pk: 'taken' }, ConditionExpression: 'attribute_not_exists(pk)' }))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    }
  });

  it('runs a middleware added after the first calls from the next call on, and no longer once it is removed', async () => {
    // Arrange
    await db.send(new GetCommand({ TableName: TABLE, Key: { pk: 'job-1' } }));
    const seen: unknown[] = [];
    stackOf(db).add((next) => (args) => (seen.push(args.input.Key), next(args)), { step: 'initialize', name: 'testSeen' });

    // Act
    await db.send(new GetCommand({ TableName: TABLE, Key: { pk: 'job-2' } }));
    stackOf(db).remove('testSeen');
    await db.send(new GetCommand({ TableName: TABLE, Key: { pk: 'job-3' } }));

    // Assert: the middleware sees the command's input before the document client marshals it.
    expect(seen).toEqual([{ pk: 'job-2' }]);
  });

  it('still takes options (an abort signal) on a call', async () => {
    const answer = await db.send(new GetCommand({ TableName: TABLE, Key: { pk: 'job-4' }, ConsistentRead: true }), { abortSignal: new AbortController().signal });
    expect(answer.Item).toMatchObject({ pk: 'job-4', n: 5 });
  });
});

describe('the SQS client', () => {
  it('resolves each command class once, sends each message as given, and runs a middleware added later', async () => {
    // Arrange
    const { QueueUrl } = await sqs.send(new (await import('@aws-sdk/client-sqs')).CreateQueueCommand({ QueueName: 'handler-cache' }));
    const resolved = jest.spyOn(SendMessageCommand.prototype, 'resolveMiddleware');
    const bodies = Array.from({ length: 20 }, (_, i) => `message ${i}`);

    // Act
    await Promise.all(bodies.slice(0, 10).map((MessageBody) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }))));
    const seen: unknown[] = [];
    stackOf(sqs).add((next) => (args) => (seen.push(args.input.MessageBody), next(args)), { step: 'initialize', name: 'testSeen' });
    await Promise.all(bodies.slice(10).map((MessageBody) => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }))));
    stackOf(sqs).remove('testSeen');
    await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'in a batch' }] }));
    const received: string[] = [];
    while (received.length < bodies.length + 1) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      received.push(...Messages.map((message) => message.Body!));
    }

    // Assert: resolved once before the middleware came, once after it came, once after it went.
    expect(resolved).toHaveBeenCalledTimes(2);
    resolved.mockRestore();
    expect(seen.sort()).toEqual(bodies.slice(10).sort());
    expect(received.sort()).toEqual([...bodies, 'in a batch'].sort());
  });
});
