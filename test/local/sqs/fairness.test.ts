import { ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SqsEndpointOptions } from '../../../local/sqs';
import { createQueue, startSqs, type RunningSqs } from './sqs-fixture';

/**
 * Fair queues (AWS): a message group holding a disproportionate share of the
 * in-flight messages (at least 30, and more than 10 % of them) is served after
 * the quiet groups. Messages stay in flight here (VisibilityTimeout 300).
 */
describe('SQS endpoint: fair delivery between message groups', () => {
  const started: RunningSqs[] = [];

  afterAll(() => Promise.all(started.map((running) => running.stop())));

  async function queueOn(options: SqsEndpointOptions = {}): Promise<{ sqs: SQSClient; queueUrl: string }> {
    const running = await startSqs(options);
    started.push(running);
    return { sqs: running.sqs, queueUrl: await createQueue(running.sqs, { VisibilityTimeout: '300' }) };
  }

  async function send(sqs: SQSClient, queueUrl: string, groupId: string | undefined, count: number, label = groupId) {
    for (let first = 0; first < count; first += 10) {
      const size = Math.min(10, count - first);
      await sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Array.from({ length: size }, (_, i) => ({
          Id: `m${first + i}`, MessageBody: `${label}-${first + i}`, MessageGroupId: groupId,
        })),
      }));
    }
  }

  /** Receives `count` messages (keeping them in flight); returns their bodies in delivery order. */
  async function take(sqs: SQSClient, queueUrl: string, count: number): Promise<string[]> {
    const bodies: string[] = [];
    while (bodies.length < count) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, count - bodies.length),
      }));
      if (Messages.length === 0) break;
      bodies.push(...Messages.map((message) => message.Body!));
    }
    return bodies;
  }

  it('serves a quiet group before a noisy one that holds 30+ in-flight messages and more than 10 % of them', async () => {
    // Arrange: the noisy tenant has 40 messages in flight and a backlog; then the quiet tenant sends 3
    const { sqs, queueUrl } = await queueOn();
    await send(sqs, queueUrl, 'noisy', 40);
    await take(sqs, queueUrl, 40);
    await send(sqs, queueUrl, 'noisy', 10, 'noisy-backlog');
    await send(sqs, queueUrl, 'quiet', 3);

    // Act
    const delivered = await take(sqs, queueUrl, 10);

    // Assert
    expect(delivered.slice(0, 3)).toEqual(['quiet-0', 'quiet-1', 'quiet-2']);
    expect(delivered.slice(3)).toEqual(['noisy-backlog-0', 'noisy-backlog-1', 'noisy-backlog-2', 'noisy-backlog-3',
      'noisy-backlog-4', 'noisy-backlog-5', 'noisy-backlog-6']);
  });

  it.each([
    // Two more in flight during the receive must not push the busiest group over either threshold.
    ['has fewer than 30 messages in flight', [['busy', 28]]],
    ['holds no more than 10 % of the in-flight messages', Array.from({ length: 11 }, (_, i) => [`tenant${i}`, 30])],
    ['sent its messages without a MessageGroupId', [[undefined, 40]]],
  ] as [string, [string | undefined, number][]][])('delivers oldest first while the busiest group %s', async (_case, inFlight) => {
    // Arrange
    const { sqs, queueUrl } = await queueOn();
    for (const [groupId, count] of inFlight) await send(sqs, queueUrl, groupId, count, groupId ?? 'ungrouped');
    await take(sqs, queueUrl, inFlight.reduce((sum, [, count]) => sum + count, 0));
    const [busiestGroup] = inFlight[0];
    await send(sqs, queueUrl, busiestGroup, 2, 'older');
    await send(sqs, queueUrl, 'newcomer', 2, 'newer');

    // Act
    const delivered = await take(sqs, queueUrl, 4);

    // Assert
    expect(delivered).toEqual(['older-0', 'older-1', 'newer-0', 'newer-1']);
  });

  it('uses injected thresholds', async () => {
    // Arrange: with at least 2 in flight and more than half of them, a group is noisy
    const { sqs, queueUrl } = await queueOn({ fairness: { minInFlight: 2, shareThreshold: 0.5 } });
    await send(sqs, queueUrl, 'a', 2);
    await send(sqs, queueUrl, 'b', 1);
    await take(sqs, queueUrl, 3);
    await send(sqs, queueUrl, 'a', 2, 'a-more');
    await send(sqs, queueUrl, 'b', 2, 'b-more');

    // Act: one at a time, so each pick sees the in-flight counts the previous one left
    const delivered = [];
    for (let i = 0; i < 4; i++) delivered.push(...await take(sqs, queueUrl, 1));

    // Assert: a 2/3 noisy → b; a 2/4, b 2/4 both quiet → oldest (a); a 3/5 noisy → b; then a
    expect(delivered).toEqual(['b-more-0', 'a-more-0', 'b-more-1', 'a-more-1']);
  });
});
