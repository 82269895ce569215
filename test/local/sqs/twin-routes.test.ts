/**
 * The endpoint's twin-only side route (local/sqs/twin-routes.ts): the age of a
 * queue's oldest message, which AWS has CloudWatch compute and SQS never
 * answers — so GetQueueAttributes stays exactly SQS's.
 */
import {
  DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient,
} from '@aws-sdk/client-sqs';
import { oldestMessageAgeUrl } from '../../../local/sqs/twin-routes';
import { createQueue, ManualClock, startSqs, temporaryDirectory, type RunningSqs } from './sqs-fixture';

const queueName = (url: string) => url.split('/').pop()!;

async function oldestAge(running: RunningSqs, queueUrl: string): Promise<number | null> {
  const response = await fetch(oldestMessageAgeUrl(running.endpoint.url, queueName(queueUrl)));
  expect(response.status).toBe(200);
  const body = (await response.json()) as { QueueName: string; ApproximateAgeOfOldestMessage: number | null };
  expect(body.QueueName).toBe(queueName(queueUrl));
  return body.ApproximateAgeOfOldestMessage;
}

async function queuePair(sqs: SQSClient) {
  const dlqUrl = await createQueue(sqs, {}, 'dlq');
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const url = await createQueue(sqs, {
    VisibilityTimeout: '5',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount: 1 }),
  });
  return { url, dlqUrl };
}

describe('GET /twin/queues/<name>/oldest-message-age', () => {
  const clock = new ManualClock();
  let running: RunningSqs;
  beforeAll(async () => {
    running = await startSqs({ now: clock.now });
  });
  afterAll(() => running.stop());

  test('null while the queue is empty; then the oldest message\'s age, in flight or not, until it is deleted', async () => {
    // Arrange
    const queueUrl = await createQueue(running.sqs, { VisibilityTimeout: '30' });
    const emptyAge = await oldestAge(running, queueUrl);

    // Act
    await running.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'first' }));
    clock.advanceSeconds(12.5);
    await running.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'second' }));
    const withTwo = await oldestAge(running, queueUrl);
    const { Messages = [] } = await running.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
    clock.advanceSeconds(3);
    const firstInFlight = await oldestAge(running, queueUrl);
    await running.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
    const secondLeft = await oldestAge(running, queueUrl);

    // Assert
    expect(emptyAge).toBeNull();
    expect(withTwo).toBe(12);
    expect(Messages.map((m) => m.Body)).toEqual(['first']);
    expect(firstInFlight).toBe(15);
    expect(secondLeft).toBe(3);
  });

  test('a dead-letter queue ages a message from when redrive moved it there (as CloudWatch does), also after a restart', async () => {
    // Arrange
    const directory = temporaryDirectory();
    const persistent = await startSqs({ now: clock.now, dataDir: directory.path });
    try {
      const { url, dlqUrl } = await queuePair(persistent.sqs);
      await persistent.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
      await persistent.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));

      // Act: 100 s later the visibility has long ended; the next receive moves it to the dead-letter queue
      clock.advanceSeconds(100);
      await persistent.sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
      clock.advanceSeconds(7);
      const ageInDlq = await oldestAge(persistent, dlqUrl);
      await persistent.stop();
      const restarted = await startSqs({ now: clock.now, dataDir: directory.path });
      const ageAfterRestart = await oldestAge(restarted, dlqUrl).finally(() => restarted.stop());

      // Assert
      expect(ageInDlq).toBe(7);
      expect(ageAfterRestart).toBe(7);
    } finally {
      await persistent.stop().catch(() => undefined);
      directory.remove();
    }
  });

  test('an unknown queue is 404, another method 405; GetQueueAttributes still refuses the name, as SQS does', async () => {
    const queueUrl = await createQueue(running.sqs);

    const unknown = await fetch(oldestMessageAgeUrl(running.endpoint.url, 'no-such-queue'));
    const posted = await fetch(oldestMessageAgeUrl(running.endpoint.url, queueName(queueUrl)), { method: 'POST' });
    const asAttribute = running.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateAgeOfOldestMessage' as 'All'] }),
    );

    expect(unknown.status).toBe(404);
    expect(posted.status).toBe(405);
    expect(posted.headers.get('allow')).toBe('GET');
    await expect(asAttribute).rejects.toMatchObject({ name: 'InvalidAttributeName' });
  });
});
