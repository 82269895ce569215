import { SendMessageBatchCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { waitFor } from '../../support/wait-for';
import { createQueue, queueCounts, startSqs, type RunningSqs } from './sqs-fixture';

/** sqs-consumer 14 against the endpoint, the way the twin's pollers and workers use it. */
describe('SQS endpoint: sqs-consumer', () => {
  let running: RunningSqs;
  let sqs: SQSClient;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    running = await startSqs();
    sqs = running.sqs;
  });
  afterEach(() => {
    for (const consumer of consumers.splice(0)) consumer.stop({ abort: true });
  });
  afterAll(() => running.stop());

  function startConsumer(options: Omit<Parameters<typeof Consumer.create>[0], 'sqs'>): Consumer {
    const consumer = Consumer.create({ sqs, waitTimeSeconds: 1, ...options });
    consumer.on('error', () => undefined);
    consumer.on('processing_error', () => undefined);
    consumers.push(consumer);
    consumer.start();
    return consumer;
  }

  it('consumes every message and deletes those the handler returns', async () => {
    // Arrange
    const queueUrl = await createQueue(sqs);
    const bodies = Array.from({ length: 25 }, (_, i) => `job-${i}`);
    for (let first = 0; first < bodies.length; first += 10) {
      await sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(first, first + 10).map((body, i) => ({ Id: `e${i}`, MessageBody: body })),
      }));
    }
    const handled: string[] = [];

    // Act
    startConsumer({
      queueUrl,
      batchSize: 10,
      handleMessage: async (message: Message) => {
        handled.push(message.Body!);
        return message;
      },
    });
    await waitFor(async () => {
      const counts = await queueCounts(sqs, queueUrl);
      return handled.length === 25 && counts.visible + counts.inFlight === 0 ? true : undefined;
    });

    // Assert
    expect(handled.sort()).toEqual([...bodies].sort());
  });

  it('wakes from its long poll for a message sent while it waits', async () => {
    // Arrange
    const queueUrl = await createQueue(sqs);
    const pollsStartedAt: number[] = [];
    const handledAt: number[] = [];
    startConsumer({
      queueUrl,
      waitTimeSeconds: 20,
      preReceiveMessageCallback: async () => {
        pollsStartedAt.push(Date.now());
      },
      handleMessage: async (message: Message) => {
        handledAt.push(Date.now());
        return message;
      },
    });
    await waitFor(() => pollsStartedAt.length > 0, { description: 'a poll started' });

    // Act: the message arrives 300 ms into the consumer's first long poll
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sentAt = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'ping' }));
    await waitFor(() => handledAt.length === 1, { description: 'the message handled' });

    // Assert: one poll, woken by the message rather than by its 20 s end
    expect(pollsStartedAt.filter((startedAt) => startedAt <= sentAt)).toHaveLength(1);
    expect(handledAt[0] - sentAt).toBeLessThan(5000);
  });

  it('gets a failing message again with a rising receive count until redrive moves it to the dead-letter queue', async () => {
    // Arrange
    const deadLetterUrl = await createQueue(sqs, undefined, 'dlq');
    const deadLetterArn = `arn:aws:sqs:us-east-1:000000000000:${deadLetterUrl.split('/').at(-1)}`;
    const queueUrl = await createQueue(sqs, {
      VisibilityTimeout: '30',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: 3 }),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));
    const receiveCounts: string[] = [];

    // Act: the handler throws; the consumer gives the message back at once (visibility 0)
    startConsumer({
      queueUrl,
      terminateVisibilityTimeout: true,
      messageSystemAttributeNames: ['ApproximateReceiveCount'],
      handleMessage: async (message: Message) => {
        receiveCounts.push(message.Attributes!.ApproximateReceiveCount!);
        throw new Error('cannot process');
      },
    });
    await waitFor(async () => (await queueCounts(sqs, deadLetterUrl)).visible === 1, { description: 'the message in the dead-letter queue' });

    // Assert
    expect(receiveCounts).toEqual(['1', '2', '3']);
    expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
