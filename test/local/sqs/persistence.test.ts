import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  CreateQueueCommand, DeleteMessageCommand, DeleteQueueCommand, GetQueueAttributesCommand,
  ListQueuesCommand, ListQueueTagsCommand, PurgeQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand,
  SendMessageCommand, type Message, type SQSClient,
} from '@aws-sdk/client-sqs';
import { startSqsEndpoint } from '../../../local/sqs';
import { queueCounts, sqsClientFor, startSqs, temporaryDirectory, type RunningSqs } from './sqs-fixture';

const repositoryRoot = resolve(__dirname, '../../..');

/** Receives everything visible (up to `max`), sorted by body; messages stay in flight. */
async function receiveAll(sqs: SQSClient, queueUrl: string, max = 50): Promise<Message[]> {
  const messages: Message[] = [];
  while (messages.length < max) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'],
    }));
    if (Messages.length === 0) break;
    messages.push(...Messages);
  }
  return messages.sort((a, b) => a.Body!.localeCompare(b.Body!));
}

const receiveCountsByBody = (messages: Message[]) =>
  Object.fromEntries(messages.map((message) => [message.Body, message.Attributes?.ApproximateReceiveCount]));

/**
 * Puts a queue into a known mix of states: 'twice' received twice and in
 * flight; 'once' received once and in flight; 'deleted' received and deleted;
 * 'never-1'..'never-3' never received; 'delayed' delayed for 15 minutes.
 */
async function arrangeMixedQueue(sqs: SQSClient, queueName: string) {
  await sqs.send(new CreateQueueCommand({ QueueName: `${queueName}-dlq` }));
  const redrivePolicy = JSON.stringify({
    deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${queueName}-dlq`, maxReceiveCount: '5',
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({
    QueueName: queueName,
    Attributes: { VisibilityTimeout: '300', RedrivePolicy: redrivePolicy },
    tags: { team: 'jobs' },
  }));
  const queueUrl = QueueUrl!;
  const receive = async (count: number, visibilityTimeout?: number) => (await sqs.send(new ReceiveMessageCommand({
    QueueUrl: queueUrl, MaxNumberOfMessages: count, VisibilityTimeout: visibilityTimeout,
  }))).Messages ?? [];

  await sqs.send(new SendMessageCommand({
    QueueUrl: queueUrl, MessageBody: 'twice', MessageGroupId: 'tenant-1',
    MessageAttributes: { kind: { DataType: 'String', StringValue: 'job' } },
  }));
  await receive(1, 0);
  await receive(1);
  await sqs.send(new SendMessageBatchCommand({
    QueueUrl: queueUrl,
    Entries: ['deleted', 'once', 'never-1', 'never-2', 'never-3'].map((body) => ({ Id: body, MessageBody: body })),
  }));
  const [deleted] = await receive(2);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: deleted.ReceiptHandle }));
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'delayed', DelaySeconds: 900 }));
  expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 3, inFlight: 2, delayed: 1 });
  return { queueUrl, redrivePolicy };
}

/** What arrangeMixedQueue left behind must all be there, in-flight messages visible again. */
async function expectMixedQueueRestored(sqs: SQSClient, oldQueueUrl: string, redrivePolicy: string) {
  expect(await queueCounts(sqs, oldQueueUrl)).toEqual({ visible: 5, inFlight: 0, delayed: 1 });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: oldQueueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
  }));
  expect(Attributes).toEqual({ VisibilityTimeout: '300', RedrivePolicy: redrivePolicy });
  expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: oldQueueUrl }))).Tags).toEqual({ team: 'jobs' });
  const messages = await receiveAll(sqs, oldQueueUrl);
  expect(receiveCountsByBody(messages)).toEqual({ twice: '3', once: '2', 'never-1': '1', 'never-2': '1', 'never-3': '1' });
  expect(messages.find((message) => message.Body === 'twice')).toMatchObject({
    Attributes: { MessageGroupId: 'tenant-1' },
    MessageAttributes: { kind: { DataType: 'String', StringValue: 'job' } },
  });
}

describe('SQS endpoint: persistence', () => {
  const directories: { remove(): void }[] = [];
  const running: RunningSqs[] = [];

  const dataDirectory = () => {
    const directory = temporaryDirectory();
    directories.push(directory);
    return directory.path;
  };
  const start = async (dataDir: string) => {
    const sqs = await startSqs({ dataDir });
    running.push(sqs);
    return sqs;
  };

  afterEach(async () => {
    await Promise.all(running.splice(0).map((sqs) => sqs.stop()));
    for (const directory of directories.splice(0)) directory.remove();
  });

  it('keeps queues and messages across close and restart, finding queues by old QueueUrls', async () => {
    // Arrange
    const dataDir = dataDirectory();
    const first = await start(dataDir);
    const { queueUrl, redrivePolicy } = await arrangeMixedQueue(first.sqs, 'jobs');
    await first.stop();

    // Act
    const second = await start(dataDir);

    // Assert
    expect(second.endpoint.port).not.toBe(first.endpoint.port);
    await expectMixedQueueRestored(second.sqs, queueUrl, redrivePolicy);
  });

  it('keeps what changed after a restart too (snapshot plus journal)', async () => {
    // Arrange
    const dataDir = dataDirectory();
    const first = await start(dataDir);
    const { QueueUrl: keptUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'kept' }));
    const { QueueUrl: purgedUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'purged' }));
    const { QueueUrl: deletedUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'deleted' }));
    await first.sqs.send(new SendMessageCommand({ QueueUrl: keptUrl, MessageBody: 'from the first run' }));
    await receiveAll(first.sqs, keptUrl!);
    await first.sqs.send(new SendMessageCommand({ QueueUrl: purgedUrl, MessageBody: 'purged' }));
    await first.stop();
    const second = await start(dataDir);
    await second.sqs.send(new SendMessageCommand({ QueueUrl: keptUrl, MessageBody: 'from the second run' }));
    await second.sqs.send(new PurgeQueueCommand({ QueueUrl: purgedUrl }));
    await second.sqs.send(new DeleteQueueCommand({ QueueUrl: deletedUrl }));
    await receiveAll(second.sqs, keptUrl!);
    await second.stop();

    // Act
    const third = await start(dataDir);

    // Assert
    const { QueueUrls } = await third.sqs.send(new ListQueuesCommand({}));
    expect(QueueUrls?.map((url) => url.split('/').at(-1))).toEqual(['kept', 'purged']);
    expect(receiveCountsByBody(await receiveAll(third.sqs, keptUrl!))).toEqual({
      'from the first run': '3', 'from the second run': '2',
    });
    expect(await queueCounts(third.sqs, purgedUrl!)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('tolerates a torn last journal line and goes on journaling after it', async () => {
    // Arrange
    const dataDir = dataDirectory();
    const first = await start(dataDir);
    const { QueueUrl } = await first.sqs.send(new CreateQueueCommand({ QueueName: 'torn' }));
    await first.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'before the tear' }));
    await first.stop();
    const journal = readdirSync(dataDir).find((name) => name.startsWith('journal-'))!;
    appendFileSync(join(dataDir, journal), '{"op":"send","queue":"torn","message":{"id":"half');

    // Act
    const second = await start(dataDir);
    await second.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'after the tear' }));
    await second.stop();
    const third = await start(dataDir);

    // Assert
    expect(Object.keys(receiveCountsByBody(await receiveAll(third.sqs, QueueUrl!)))).toEqual([
      'after the tear', 'before the tear',
    ]);
  });

  it('refuses a data directory another running endpoint holds', async () => {
    // Arrange
    const dataDir = dataDirectory();
    await start(dataDir);

    // Act
    const second = startSqsEndpoint({ dataDir });

    // Assert
    await expect(second).rejects.toThrow(/in use/);
  });

  it('loses nothing when its process is killed with SIGKILL', async () => {
    // Arrange: a child process runs the endpoint on the data directory
    const dataDir = dataDirectory();
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/sqs/main.ts', '--port', '0', '--data-dir', dataDir], {
      cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = await listeningUrl(child);
      const childSqs = sqsClientFor({ url });
      const { queueUrl, redrivePolicy } = await arrangeMixedQueue(childSqs, 'jobs');
      childSqs.destroy();

      // Act
      child.kill('SIGKILL');
      await exited;
      const restarted = await start(dataDir);

      // Assert
      expect(queueUrl.startsWith(url)).toBe(true);
      expect(restarted.endpoint.url).not.toBe(url);
      await expectMixedQueueRestored(restarted.sqs, queueUrl, redrivePolicy);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

/** Reads the child's stdout until it prints `SQS endpoint listening on <url>`. */
function listeningUrl(child: ChildProcess, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('The endpoint did not start in time')), timeoutMs);
    lines.on('line', (line) => {
      const match = /SQS endpoint listening on (http:\/\/\S+)/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      lines.close();
      resolvePromise(match[1]);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The endpoint exited early with code ${code}`));
    });
  });
}
