/**
 * One queue-adapter suite, several SQS backends (STYLE: River's driver suite, as
 * test/lambdas/store/job-store-conformance.test.ts does for the store): MessageQueue
 * sends, batches and delays through the real SDK, and what it sent is received and
 * deleted through the same SDK. Backends: the twin's SQS endpoint; the same endpoint
 * behind the fault-injection front with no fault armed (the front must be invisible
 * then); and, when JOBS_SQS_ENDPOINT names one, an external SQS-compatible endpoint.
 * Every test makes its own queue, so a backend can be shared and need not be empty.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { MAX_SQS_DELAY_SECONDS } from '../../../lambdas/resources';
import { MessageQueue, parseJobMessage, type Dispatch, type JobMessage } from '../../../lambdas/queue/job-queue';
import { FaultPlan } from '../../../local/faults/fault-plan';
import { startFaultySqsEndpoint } from '../../../local/faults/faulty-sqs-endpoint';
import { startSqsEndpoint } from '../../../local/sqs';
import { waitFor } from '../../support/wait-for';

interface Backend {
  readonly url: string;
  close(): Promise<void>;
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['the twin SQS endpoint', () => startSqsEndpoint()],
  [
    'the twin SQS endpoint behind the fault front (no fault armed)',
    async () => {
      const sqs = await startSqsEndpoint();
      const plan = new FaultPlan({}, 1);
      plan.arm();
      const front = await startFaultySqsEndpoint(sqs.url, plan);
      return {
        url: front.url,
        async close() {
          await front.close();
          await sqs.close();
        },
      };
    },
  ],
  // An SQS the environment names (the twin's "bring your own backend", SPEC §9): the same
  // suite, so the adapter is known to work there too. Nothing to start or stop.
  ...(process.env.JOBS_SQS_ENDPOINT
    ? [['JOBS_SQS_ENDPOINT', () => Promise.resolve({ url: process.env.JOBS_SQS_ENDPOINT!, close: () => Promise.resolve() })] as [string, () => Promise<Backend>]]
    : []),
];

describe.each(BACKENDS)('MessageQueue on %s', (_name, start) => {
  let backend: Backend;
  let sqs: SQSClient;
  const queues: string[] = [];

  beforeAll(async () => {
    backend = await start();
    sqs = new SQSClient({
      endpoint: backend.url,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // A retried failure would hide a backend difference behind a slower pass.
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    for (const QueueUrl of queues) await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    sqs?.destroy();
    await backend?.close();
  });

  async function freshQueue(): Promise<{ url: string; jobs: MessageQueue<JobMessage> }> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `conformance-${randomUUID()}` }));
    queues.push(QueueUrl!);
    return { url: QueueUrl!, jobs: new MessageQueue<JobMessage>(sqs, QueueUrl!) };
  }

  const message = (tenantId: string, n: number): JobMessage => ({ tenantId, jobId: `job-${n}` });

  async function receive(queueUrl: string): Promise<Message[]> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    return Messages;
  }

  /** Receives (and deletes) until `count` messages have come, each delivered once. */
  async function receiveAndDelete(queueUrl: string, count: number): Promise<Message[]> {
    const received: Message[] = [];
    await waitFor(
      async () => {
        for (const m of await receive(queueUrl)) {
          received.push(m);
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
        return received.length >= count;
      },
      { description: `${count} messages received` },
    );
    return received;
  }

  async function counts(queueUrl: string) {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
    };
  }

  it('sends one message: a JSON pointer the worker parses back, grouped by its tenant', async () => {
    // Arrange
    const { url, jobs } = await freshQueue();

    // Act
    await jobs.send({ message: message('tenant-a', 1) });
    const [received] = await receiveAndDelete(url, 1);

    // Assert
    expect(parseJobMessage(received.Body!)).toEqual({ tenantId: 'tenant-a', jobId: 'job-1' });
    expect(received.Attributes?.MessageGroupId).toBe('tenant-a');
  });

  it('deletes what it received: nothing is left visible, in flight or delayed', async () => {
    // Arrange
    const { url, jobs } = await freshQueue();
    await jobs.send({ message: message('tenant-a', 1) });

    // Act
    await receiveAndDelete(url, 1);

    // Assert
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('sends 25 messages of two tenants in batches of ten, each delivered once, and reports no failure', async () => {
    // Arrange
    const { url, jobs } = await freshQueue();
    const dispatches: Dispatch<JobMessage>[] = Array.from({ length: 25 }, (_, n) => ({ message: message(n % 2 ? 'tenant-b' : 'tenant-a', n) }));

    // Act
    const failed = await jobs.sendMany(dispatches);
    const received = await receiveAndDelete(url, 25);

    // Assert
    expect(failed).toEqual([]);
    expect(received.map((m) => parseJobMessage(m.Body!)!.jobId).sort()).toEqual(dispatches.map((d) => d.message.jobId).sort());
    for (const m of received) expect(m.Attributes?.MessageGroupId).toBe(parseJobMessage(m.Body!)!.tenantId);
  });

  it('returns every dispatch of a batch the queue refuses, for the sweep to send again', async () => {
    // Arrange: a queue that does not exist refuses every batch
    const missing = new MessageQueue<JobMessage>(sqs, `${backend.url}/000000000000/missing-${randomUUID()}`);
    const dispatches = Array.from({ length: 12 }, (_, n) => ({ message: message('tenant-a', n) }));

    // Act
    const failed = await missing.sendMany(dispatches);

    // Assert
    expect(failed).toHaveLength(12);
    expect(new Set(failed)).toEqual(new Set(dispatches));
  });

  it('holds a delayed message back: delayed, not receivable, while an undelayed one is', async () => {
    // Arrange
    const { url, jobs } = await freshQueue();

    // Act
    await jobs.send({ message: message('tenant-a', 1), delaySeconds: 600 });
    await jobs.sendMany([{ message: message('tenant-a', 2), delaySeconds: 600 }, { message: message('tenant-a', 3) }]);
    const received = await receiveAndDelete(url, 1);

    // Assert
    expect(received.map((m) => parseJobMessage(m.Body!)!.jobId)).toEqual(['job-3']);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 2 });
  });

  it(`caps a delay beyond SQS's ${MAX_SQS_DELAY_SECONDS} s (SQS would refuse it) and treats a negative one as none`, async () => {
    // Arrange
    const { url, jobs } = await freshQueue();

    // Act
    await jobs.send({ message: message('tenant-a', 1), delaySeconds: 86_400 });
    const failed = await jobs.sendMany([{ message: message('tenant-a', 2), delaySeconds: 86_400 }, { message: message('tenant-a', 3), delaySeconds: -5 }]);
    const received = await receiveAndDelete(url, 1);

    // Assert
    expect(failed).toEqual([]);
    expect(received.map((m) => parseJobMessage(m.Body!)!.jobId)).toEqual(['job-3']);
    expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 2 });
  });
});
