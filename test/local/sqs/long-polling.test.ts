import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createQueue, startSqs, type RunningSqs } from './sqs-fixture';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Long polling runs on the real clock: these tests measure how long a receive is
 * held. They run concurrently (each on its own queue) so the waits overlap.
 */
describe('SQS endpoint: long polling', () => {
  // Started on first use rather than in beforeAll: jest starts concurrent tests early.
  let started: Promise<RunningSqs> | undefined;
  const shared = () => (started ??= startSqs());
  afterAll(async () => (await shared()).stop());

  const timedReceive = async (queueUrl: string, waitTimeSeconds?: number) => {
    const { sqs } = await shared();
    const startedAt = Date.now();
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, WaitTimeSeconds: waitTimeSeconds, MaxNumberOfMessages: 10,
    }));
    return { bodies: Messages.map((message) => message.Body), elapsedMs: Date.now() - startedAt };
  };

  it.concurrent('waits the whole WaitTimeSeconds on an empty queue, then answers with no messages', async () => {
    // Arrange
    const { sqs } = await shared();
    const queueUrl = await createQueue(sqs);

    // Act
    const { bodies, elapsedMs } = await timedReceive(queueUrl, 1);

    // Assert
    expect(bodies).toEqual([]);
    expect(elapsedMs).toBeGreaterThanOrEqual(950);
    expect(elapsedMs).toBeLessThan(3000);
  });

  it.concurrent('uses the queue\'s ReceiveMessageWaitTimeSeconds when the receive names none', async () => {
    // Arrange
    const { sqs } = await shared();
    const queueUrl = await createQueue(sqs, { ReceiveMessageWaitTimeSeconds: '1' });

    // Act
    const { elapsedMs } = await timedReceive(queueUrl);

    // Assert
    expect(elapsedMs).toBeGreaterThanOrEqual(950);
  });

  it.concurrent('answers as soon as a message is sent during the wait', async () => {
    // Arrange
    const { sqs } = await shared();
    const queueUrl = await createQueue(sqs);
    const polling = timedReceive(queueUrl, 10);

    // Act: the message arrives 300 ms into the wait
    await sleep(300);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'wake up' }));
    const { bodies, elapsedMs } = await polling;

    // Assert
    expect(bodies).toEqual(['wake up']);
    expect(elapsedMs).toBeGreaterThanOrEqual(250);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it.concurrent('answers when a delayed message\'s delay ends', async () => {
    // Arrange
    const { sqs } = await shared();
    const queueUrl = await createQueue(sqs);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'delayed', DelaySeconds: 1 }));

    // Act
    const { bodies, elapsedMs } = await timedReceive(queueUrl, 5);

    // Assert
    expect(bodies).toEqual(['delayed']);
    expect(elapsedMs).toBeGreaterThanOrEqual(900);
    expect(elapsedMs).toBeLessThan(4000);
  });

  it.concurrent('answers when an in-flight message\'s visibility timeout ends', async () => {
    // Arrange
    const { sqs } = await shared();
    const queueUrl = await createQueue(sqs, { VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'comes back' }));
    const first = await timedReceive(queueUrl, 0);

    // Act
    const second = await timedReceive(queueUrl, 5);

    // Assert
    expect(first.bodies).toEqual(['comes back']);
    expect(second.bodies).toEqual(['comes back']);
    expect(second.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(second.elapsedMs).toBeLessThan(4000);
  });

  it.concurrent('gives concurrent long polls on one queue distinct messages', async () => {
    // Arrange
    const { sqs } = await shared();
    const queueUrl = await createQueue(sqs);
    const polls = Array.from({ length: 5 }, () => timedReceive(queueUrl, 5));

    // Act: five messages arrive 300 ms into the wait, one at a time
    await sleep(300);
    for (let i = 0; i < 5; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `m${i}` }));
    const results = await Promise.all(polls);

    // Assert
    expect(results.flatMap((result) => result.bodies).sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    for (const result of results) expect(result.elapsedMs).toBeGreaterThanOrEqual(250);
  });

  it.concurrent('ends pending long polls with no messages when the endpoint closes', async () => {
    // Arrange
    const own = await startSqs();
    const queueUrl = await createQueue(own.sqs);
    const startedAt = Date.now();
    const polling = own.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 20 }));

    // Act: the endpoint closes 300 ms into the wait
    await sleep(300);
    await own.endpoint.close();
    const result = await polling;
    own.sqs.destroy();

    // Assert
    expect(result.Messages).toBeUndefined();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });
});
