import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { waitFor } from '../../support/wait-for';
import { createQueue, startSqs, type RunningSqs } from './sqs-fixture';

/**
 * Long polling on jest's fake clock: the endpoint's waits, its delays and visibility timeouts
 * (it reads Date.now) move only when the test advances the clock, so "answers when the wait
 * ends" is checked to the millisecond (still pending 1 ms before, answered then), not with
 * wall-clock bounds. Requests still travel real sockets: I/O, nextTick and setImmediate stay
 * real, and waitFor waits on the real clock for a request to be held.
 */
describe('SQS endpoint: long polling', () => {
  let running: RunningSqs;
  let timers: jest.SpiedFunction<typeof setTimeout>;

  beforeEach(async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    timers = jest.spyOn(globalThis, 'setTimeout');
    // Started on the fake clock, so the endpoint's Date.now is the fake one.
    running = await startSqs();
  });
  afterEach(async () => {
    jest.useRealTimers();
    await running.stop();
  });

  /** A receive in flight; `answered` tells whether its answer has arrived yet. */
  function receive(queueUrl: string, waitTimeSeconds?: number) {
    const poll = { answered: false, bodies: Promise.resolve<Array<string | undefined>>([]) };
    poll.bodies = running.sqs
      .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: waitTimeSeconds, MaxNumberOfMessages: 10 }))
      .then(({ Messages = [] }) => {
        poll.answered = true;
        return Messages.map((message) => message.Body);
      });
    return poll;
  }

  /** Until `count` receives are held by the endpoint (each arms one timer for its whole wait). */
  const untilHeld = (waitMs: number, count = 1) =>
    waitFor(() => timers.mock.calls.filter(([, delay]) => delay === waitMs).length >= count, {
      description: `${count} receive(s) held for ${waitMs} ms`,
    });

  /** Moves the fake clock and lets the answers that became due travel back over the socket. */
  async function advance(ms: number): Promise<void> {
    await jest.advanceTimersByTimeAsync(ms);
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Moves the clock to `marginMs` before `atMs`, then as far past it: had `poll` answered before? */
  async function answeredBefore(poll: { answered: boolean }, atMs: number, marginMs = 1): Promise<boolean> {
    await advance(atMs - marginMs);
    const answered = poll.answered;
    await advance(2 * marginMs);
    return answered;
  }

  it('waits the whole WaitTimeSeconds on an empty queue, then answers with no messages', async () => {
    // Arrange
    const queueUrl = await createQueue(running.sqs);
    const poll = receive(queueUrl, 1);
    await untilHeld(1000);

    // Act
    const answeredEarly = await answeredBefore(poll, 1000);

    // Assert
    expect(answeredEarly).toBe(false);
    expect(await poll.bodies).toEqual([]);
  });

  it("uses the queue's ReceiveMessageWaitTimeSeconds when the receive names none", async () => {
    // Arrange
    const queueUrl = await createQueue(running.sqs, { ReceiveMessageWaitTimeSeconds: '2' });
    const poll = receive(queueUrl);

    // Act
    await untilHeld(2000);
    const answeredEarly = await answeredBefore(poll, 2000);

    // Assert
    expect(answeredEarly).toBe(false);
    expect(await poll.bodies).toEqual([]);
  });

  it('answers as soon as a message is sent during the wait', async () => {
    // Arrange
    const queueUrl = await createQueue(running.sqs);
    const poll = receive(queueUrl, 10);
    await untilHeld(10_000);
    await advance(300);

    // Act: the message arrives 300 ms into the wait; the clock does not move again
    await running.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'wake up' }));

    // Assert
    expect(await poll.bodies).toEqual(['wake up']);
  });

  it("answers when a delayed message's delay ends", async () => {
    // Arrange
    const queueUrl = await createQueue(running.sqs);
    await running.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'delayed', DelaySeconds: 1 }));
    const poll = receive(queueUrl, 5);
    await untilHeld(5000);

    // Act: the endpoint wakes its waiters 1 ms after the delay ends
    const answeredEarly = await answeredBefore(poll, 1000, 10);

    // Assert
    expect(answeredEarly).toBe(false);
    expect(await poll.bodies).toEqual(['delayed']);
  });

  it("answers when an in-flight message's visibility timeout ends", async () => {
    // Arrange
    const queueUrl = await createQueue(running.sqs, { VisibilityTimeout: '1' });
    await running.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'comes back' }));
    const first = await receive(queueUrl, 0).bodies;
    const second = receive(queueUrl, 5);
    await untilHeld(5000);

    // Act
    const answeredEarly = await answeredBefore(second, 1000, 10);

    // Assert
    expect(first).toEqual(['comes back']);
    expect(answeredEarly).toBe(false);
    expect(await second.bodies).toEqual(['comes back']);
  });

  it('gives concurrent long polls on one queue distinct messages', async () => {
    // Arrange
    const queueUrl = await createQueue(running.sqs);
    const polls = Array.from({ length: 5 }, () => receive(queueUrl, 5));
    await untilHeld(5000, 5);

    // Act: five messages arrive 300 ms into the wait, one at a time
    await advance(300);
    for (let i = 0; i < 5; i++) await running.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `m${i}` }));
    const results = await Promise.all(polls.map((poll) => poll.bodies));

    // Assert
    expect(results.flat().sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('ends pending long polls with no messages when the endpoint closes', async () => {
    // Arrange
    const own = await startSqs();
    const queueUrl = await createQueue(own.sqs);
    let answered = false;
    const polling = own.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 20 })).finally(() => (answered = true));
    await untilHeld(20_000);
    await advance(300);
    const answeredEarly = answered;

    // Act: the endpoint closes 300 ms into the wait; the clock does not move again
    await own.endpoint.close();
    const result = await polling;
    own.sqs.destroy();

    // Assert
    expect(answeredEarly).toBe(false);
    expect(result.Messages).toBeUndefined();
  });
});
