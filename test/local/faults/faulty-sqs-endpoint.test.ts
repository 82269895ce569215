/** The SQS front of fault injection: a dropped send looks sent; a duplicated one arrives twice. */
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FaultPlan } from '../../../local/faults/fault-plan';
import { startFaultySqsEndpoint } from '../../../local/faults/faulty-sqs-endpoint';
import { startSqsEndpoint, type SqsEndpoint } from '../../../local/sqs';
import type { LoopbackServer } from '../../../local/loopback-server';
import { waitFor } from '../../support/wait-for';

let sqs: SqsEndpoint;
let front: LoopbackServer;
let client: SQSClient;
let rates: Record<string, number> = {};

beforeAll(async () => {
  sqs = await startSqsEndpoint();
  const plan = new FaultPlan(new Proxy({}, { get: (_, kind: string) => rates[kind] }), 1);
  plan.arm();
  front = await startFaultySqsEndpoint(sqs.url, plan);
  client = new SQSClient({ endpoint: front.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  client.destroy();
  await front.close();
  await sqs.close();
});

async function queue(name: string): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
  return QueueUrl!;
}

async function receiveAll(queueUrl: string, expected: number): Promise<string[]> {
  const bodies: string[] = [];
  await waitFor(async () => {
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    bodies.push(...Messages.map((m) => m.Body!));
    return bodies.length >= expected;
  }, { timeoutMs: 8000 });
  return bodies;
}

it('hands out QueueUrls that name the front (the SDK sends to the QueueUrl\'s host)', async () => {
  expect(await queue('named')).toBe(`${front.url}/000000000000/named`);
});

it('answers a dropped send as sent (the SDK checks its MD5) and discards the message', async () => {
  rates = { 'sqs.send.drop': 1 };
  const queueUrl = await queue('dropped');
  await expect(client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'gone' }))).resolves.toMatchObject({ MessageId: expect.any(String) });
  const batch = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'a', MessageBody: 'gone too' }] }));
  expect(batch.Successful).toHaveLength(1);
  rates = {};
  await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'kept' }));
  expect(await receiveAll(queueUrl, 1)).toEqual(['kept']);
});

it('delivers a duplicated send twice', async () => {
  rates = { 'sqs.duplicate': 1 };
  const queueUrl = await queue('duplicated');
  await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'twice' }));
  await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'b', MessageBody: 'batch twice' }] }));
  rates = {};
  expect((await receiveAll(queueUrl, 4)).sort()).toEqual(['batch twice', 'batch twice', 'twice', 'twice']);
});
