import { createHash } from 'node:crypto';
import {
  BatchEntryIdsNotDistinct, BatchRequestTooLong, ChangeMessageVisibilityBatchCommand, ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand, DeleteMessageCommand, EmptyBatchRequest, InvalidBatchEntryId, MessageNotInflight,
  PurgeQueueCommand, ReceiptHandleIsInvalid, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand,
  TooManyEntriesInBatchRequest, type MessageAttributeValue, type QueueAttributeName, type SQSClient,
} from '@aws-sdk/client-sqs';
import { createQueue, ManualClock, queueCounts, startSqs, type RunningSqs } from './sqs-fixture';

const MiB = 1_048_576;

describe('SQS endpoint: messages', () => {
  const clock = new ManualClock();
  let running: RunningSqs;
  let sqs: SQSClient;

  beforeAll(async () => {
    running = await startSqs({ now: clock.now });
    sqs = running.sqs;
  });
  afterAll(() => running.stop());

  const receive = async (queueUrl: string, options: { max?: number; visibility?: number } = {}) => {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max ?? 10,
      VisibilityTimeout: options.visibility,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }));
    return Messages;
  };

  describe('sending and receiving', () => {
    it('delivers body, message attributes and system attributes, with the MD5s SQS computes', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);
      const attributes: Record<string, MessageAttributeValue> = {
        tenant: { DataType: 'String', StringValue: 'acme' },
        attempt: { DataType: 'Number.int', StringValue: '3' },
        digest: { DataType: 'Binary', BinaryValue: Uint8Array.of(0, 1, 254, 255) },
      };
      const sentAt = clock.now();

      // Act
      const sent = await sqs.send(new SendMessageCommand({
        QueueUrl: queueUrl, MessageBody: 'héllo wörld ✓', MessageAttributes: attributes, MessageGroupId: 'acme',
      }));
      clock.advanceSeconds(2);
      const [message] = await receive(queueUrl);

      // Assert
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: 'héllo wörld ✓',
        MD5OfBody: createHash('md5').update('héllo wörld ✓').digest('hex'),
        Attributes: {
          SenderId: '000000000000',
          SentTimestamp: String(sentAt),
          ApproximateReceiveCount: '1',
          ApproximateFirstReceiveTimestamp: String(sentAt + 2000),
          MessageGroupId: 'acme',
        },
        MessageAttributes: {
          tenant: { DataType: 'String', StringValue: 'acme' },
          attempt: { DataType: 'Number.int', StringValue: '3' },
          digest: { DataType: 'Binary', BinaryValue: Uint8Array.of(0, 1, 254, 255) },
        },
      });
      expect(sent.MD5OfMessageAttributes).toBe(md5OfAttributesPerAwsDocs(attributes));
      expect(message.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    });

    it('returns only the attributes asked for, through MessageSystemAttributeNames or the older AttributeNames', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { VisibilityTimeout: '0' });
      await sqs.send(new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: 'b',
        MessageAttributes: {
          'trace.id': { DataType: 'String', StringValue: 't' },
          'trace.span': { DataType: 'String', StringValue: 's' },
          other: { DataType: 'String', StringValue: 'o' },
        },
      }));

      // Act
      const [bare] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages!;
      const [legacy] = (await sqs.send(new ReceiveMessageCommand({
        // Older SDKs put message system attribute names here; the current one types it as queue attributes.
        QueueUrl: queueUrl, AttributeNames: ['ApproximateReceiveCount' as QueueAttributeName], MessageAttributeNames: ['trace.*'],
      }))).Messages!;
      const [current] = (await sqs.send(new ReceiveMessageCommand({
        QueueUrl: queueUrl, MessageSystemAttributeNames: ['SentTimestamp'], MessageAttributeNames: ['other'],
      }))).Messages!;

      // Assert
      expect(bare.Attributes).toBeUndefined();
      expect(bare.MessageAttributes).toBeUndefined();
      expect(legacy.Attributes).toEqual({ ApproximateReceiveCount: '2' });
      expect(Object.keys(legacy.MessageAttributes!).sort()).toEqual(['trace.id', 'trace.span']);
      expect(Object.keys(current.Attributes!)).toEqual(['SentTimestamp']);
      expect(Object.keys(current.MessageAttributes!)).toEqual(['other']);
    });

    it('hands out at most MaxNumberOfMessages, oldest first, and each message once while in flight', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);
      for (let i = 0; i < 15; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `m${i}` }));

      // Act
      const first = await receive(queueUrl, { max: 10 });
      const second = await receive(queueUrl, { max: 10 });
      const third = await receive(queueUrl, { max: 10 });

      // Assert
      expect(first.map((message) => message.Body)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(second.map((message) => message.Body)).toEqual(['m10', 'm11', 'm12', 'm13', 'm14']);
      expect(third).toEqual([]);
    });

    it('holds back a delayed message until its delay ends (message DelaySeconds, then the queue default)', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { DelaySeconds: '20' });

      // Act
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'own delay', DelaySeconds: 5 }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'queue delay' }));
      const atOnce = await receive(queueUrl);
      const countsAtOnce = await queueCounts(sqs, queueUrl);
      clock.advanceSeconds(5);
      const afterFive = await receive(queueUrl);
      clock.advanceSeconds(15);
      const afterTwenty = await receive(queueUrl);

      // Assert
      expect(atOnce).toEqual([]);
      expect(countsAtOnce).toEqual({ visible: 0, inFlight: 0, delayed: 2 });
      expect(afterFive.map((message) => message.Body)).toEqual(['own delay']);
      expect(afterTwenty.map((message) => message.Body)).toEqual(['queue delay']);
    });

    it('redelivers a message whose visibility timeout ran out, with a rising receive count and a new receipt handle', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { VisibilityTimeout: '30' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'again' }));

      // Act
      const [first] = await receive(queueUrl);
      clock.advanceSeconds(29);
      const stillHidden = await receive(queueUrl);
      clock.advanceSeconds(1);
      const [second] = await receive(queueUrl, { visibility: 5 });
      clock.advanceSeconds(5);
      const [third] = await receive(queueUrl);

      // Assert
      expect(stillHidden).toEqual([]);
      expect([first, second, third].map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['1', '2', '3']);
      expect(new Set([first, second, third].map((message) => message.ReceiptHandle)).size).toBe(3);
      expect(third.Attributes?.ApproximateFirstReceiveTimestamp).toBe(first.Attributes?.ApproximateFirstReceiveTimestamp);
    });

    it('drops messages older than the queue\'s MessageRetentionPeriod', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { MessageRetentionPeriod: '60' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'old' }));
      clock.advanceSeconds(30);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'young' }));

      // Act
      clock.advanceSeconds(30);
      const counts = await queueCounts(sqs, queueUrl);
      const messages = await receive(queueUrl);

      // Assert
      expect(counts.visible).toBe(1);
      expect(messages.map((message) => message.Body)).toEqual(['young']);
    });

    it('empties the queue on PurgeQueue, in-flight and delayed messages included', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'in flight' }));
      await receive(queueUrl);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'visible' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'delayed', DelaySeconds: 60 }));

      // Act
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      clock.advanceSeconds(60);

      // Assert
      expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(await receive(queueUrl)).toEqual([]);
    });
  });

  describe('receipt handles', () => {
    it('deletes with the latest handle; an older handle of a message received again succeeds without effect', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { VisibilityTimeout: '10' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'twice' }));
      const [first] = await receive(queueUrl);
      clock.advanceSeconds(10);
      const [second] = await receive(queueUrl);

      // Act
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first.ReceiptHandle }));
      const countsAfterStaleDelete = await queueCounts(sqs, queueUrl);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: second.ReceiptHandle }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: second.ReceiptHandle }));

      // Assert
      expect(countsAfterStaleDelete.inFlight).toBe(1);
      expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('deletes a message whose visibility ran out with the handle of its last receive', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { VisibilityTimeout: '1' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late' }));
      const [message] = await receive(queueUrl);
      clock.advanceSeconds(2);

      // Act
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));

      // Assert
      expect(await receive(queueUrl)).toEqual([]);
    });

    describe.each([
      ['garbage', 'not a handle!'],
      ['an empty string', ''],
      ['a handle of another queue', undefined],
    ])('answers ReceiptHandleIsInvalid for %s', (_case, handle) => {
      it('in DeleteMessage and ChangeMessageVisibility', async () => {
        // Arrange
        const queueUrl = await createQueue(sqs);
        const otherUrl = await createQueue(sqs);
        await sqs.send(new SendMessageCommand({ QueueUrl: otherUrl, MessageBody: 'elsewhere' }));
        const receiptHandle = handle ?? (await receive(otherUrl))[0].ReceiptHandle;

        // Act
        const deletion = sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
        const change = sqs.send(new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0,
        }));

        // Assert
        await expect(deletion).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
        await expect(change).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
      });
    });
  });

  describe('visibility changes', () => {
    it('extends the visibility of an in-flight message, or makes it visible at once with 0', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { VisibilityTimeout: '10' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'extended' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'released' }));
      const [extended, released] = await receive(queueUrl);

      // Act
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: extended.ReceiptHandle, VisibilityTimeout: 60 }));
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: released.ReceiptHandle, VisibilityTimeout: 0 }));
      const rightAway = await receive(queueUrl);
      clock.advanceSeconds(30);
      const afterOriginalTimeout = await receive(queueUrl);
      clock.advanceSeconds(30);
      const afterExtension = await receive(queueUrl);

      // Assert
      expect(rightAway.map((message) => message.Body)).toEqual(['released']);
      expect(afterOriginalTimeout.map((message) => message.Body)).toEqual(['released']);
      expect(afterExtension.map((message) => message.Body).sort()).toEqual(['extended', 'released']);
    });

    it('answers MessageNotInflight for a message that is visible again', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { VisibilityTimeout: '1' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'expired' }));
      const [message] = await receive(queueUrl);
      clock.advanceSeconds(1);

      // Act
      const change = sqs.send(new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 30,
      }));

      // Assert
      await expect(change).rejects.toBeInstanceOf(MessageNotInflight);
      await expect(change).rejects.toMatchObject({ Code: 'AWS.SimpleQueueService.MessageNotInflight' });
    });

    it('changes visibility in a batch, reporting each entry that fails', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs, { VisibilityTimeout: '10' });
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'a' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'b' }));
      const [a, b] = await receive(queueUrl);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: b.ReceiptHandle }));

      // Act
      const result = await sqs.send(new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'release', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'deleted', ReceiptHandle: b.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'garbage', ReceiptHandle: 'garbage', VisibilityTimeout: 0 },
          { Id: 'too-long', ReceiptHandle: a.ReceiptHandle, VisibilityTimeout: 43_201 },
        ],
      }));

      // Assert
      expect(result.Successful).toEqual([{ Id: 'release' }]);
      expect(result.Failed).toEqual([
        expect.objectContaining({ Id: 'deleted', SenderFault: true, Code: 'InvalidParameterValue' }),
        expect.objectContaining({ Id: 'garbage', SenderFault: true, Code: 'ReceiptHandleIsInvalid' }),
        expect.objectContaining({ Id: 'too-long', SenderFault: true, Code: 'InvalidParameterValue' }),
      ]);
      expect((await receive(queueUrl)).map((message) => message.Body)).toEqual(['a']);
    });
  });

  describe('batches', () => {
    it('sends a batch, reporting each invalid entry in Failed and sending the rest', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);

      // Act
      const result = await sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'ok-1', MessageBody: 'one', MessageGroupId: 'tenant-a' },
          { Id: 'too-late', MessageBody: 'late', DelaySeconds: 901 },
          { Id: 'bad-chars', MessageBody: 'nul \u0000 inside' },
          { Id: 'empty-attribute', MessageBody: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '' } } },
          { Id: 'ok-2', MessageBody: 'two', MessageAttributes: { n: { DataType: 'Number', StringValue: '42' } } },
        ],
      }));

      // Assert
      expect(result.Successful?.map((entry) => entry.Id)).toEqual(['ok-1', 'ok-2']);
      expect(result.Successful?.[1].MD5OfMessageAttributes).toBe(md5OfAttributesPerAwsDocs({ n: { DataType: 'Number', StringValue: '42' } }));
      expect(result.Failed).toEqual([
        expect.objectContaining({ Id: 'too-late', SenderFault: true, Code: 'InvalidParameterValue' }),
        expect.objectContaining({ Id: 'bad-chars', SenderFault: true, Code: 'InvalidMessageContents' }),
        expect.objectContaining({ Id: 'empty-attribute', SenderFault: true, Code: 'InvalidParameterValue' }),
      ]);
      expect((await receive(queueUrl)).map((message) => message.Body)).toEqual(['one', 'two']);
    });

    it('deletes a batch, reporting each invalid handle in Failed', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);
      await sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl, Entries: [{ Id: 'a', MessageBody: 'a' }, { Id: 'b', MessageBody: 'b' }],
      }));
      const [a, b] = await receive(queueUrl);

      // Act
      const result = await sqs.send(new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', ReceiptHandle: a.ReceiptHandle },
          { Id: 'forged', ReceiptHandle: 'forged' },
          { Id: 'b', ReceiptHandle: b.ReceiptHandle },
        ],
      }));

      // Assert
      expect(result.Successful).toEqual([{ Id: 'a' }, { Id: 'b' }]);
      expect(result.Failed).toEqual([expect.objectContaining({ Id: 'forged', SenderFault: true, Code: 'ReceiptHandleIsInvalid' })]);
      expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    const entries = (count: number) => Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' }));

    describe.each([
      ['no entries', [], EmptyBatchRequest, 'AWS.SimpleQueueService.EmptyBatchRequest'],
      ['eleven entries', entries(11), TooManyEntriesInBatchRequest, 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'],
      ['a repeated id', [{ Id: 'same', MessageBody: 'a' }, { Id: 'same', MessageBody: 'b' }], BatchEntryIdsNotDistinct,
        'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'],
      ['an id with a space', [{ Id: 'not ok', MessageBody: 'a' }], InvalidBatchEntryId, 'AWS.SimpleQueueService.InvalidBatchEntryId'],
    ])('refuses a whole batch with %s', (_case, batch, errorType, code) => {
      it.each([
        ['SendMessageBatch', (queueUrl: string) => new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch })],
        ['DeleteMessageBatch', (queueUrl: string) => new DeleteMessageBatchCommand({
          QueueUrl: queueUrl, Entries: batch.map((entry) => ({ Id: entry.Id, ReceiptHandle: 'h' })),
        })],
        ['ChangeMessageVisibilityBatch', (queueUrl: string) => new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl, Entries: batch.map((entry) => ({ Id: entry.Id, ReceiptHandle: 'h', VisibilityTimeout: 0 })),
        })],
      ])('in %s', async (_operation, command) => {
        // Arrange
        const queueUrl = await createQueue(sqs);

        // Act
        const attempt = sqs.send(command(queueUrl) as SendMessageBatchCommand);

        // Assert
        await expect(attempt).rejects.toBeInstanceOf(errorType);
        await expect(attempt).rejects.toMatchObject({ Code: code, Type: 'Sender', $metadata: { httpStatusCode: 400 } });
        expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      });
    });

    it('refuses a SendMessageBatch whose messages add up to more than 1 MiB', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);
      const half = 'x'.repeat(MiB / 2);

      // Act
      const attempt = sqs.send(new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [{ Id: 'a', MessageBody: half }, { Id: 'b', MessageBody: half + 'x' }],
      }));

      // Assert
      await expect(attempt).rejects.toBeInstanceOf(BatchRequestTooLong);
      await expect(attempt).rejects.toMatchObject({ Code: 'AWS.SimpleQueueService.BatchRequestTooLong' });
      expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('validation', () => {
    it('accepts a message of exactly 1 MiB', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);
      const body = 'é'.repeat(MiB / 2);

      // Act
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      const [message] = await receive(queueUrl);

      // Assert
      expect(message.Body).toBe(body);
    });

    describe.each([
      ['a body over 1 MiB', { MessageBody: 'x'.repeat(MiB + 1) }, 'InvalidParameterValue'],
      ['a body and attributes over 1 MiB together', {
        MessageBody: 'x'.repeat(MiB - 10), MessageAttributes: { name: { DataType: 'String', StringValue: 'value' } },
      }, 'InvalidParameterValue'],
      ['a body over the queue\'s MaximumMessageSize', { MessageBody: 'x'.repeat(1025) }, 'InvalidParameterValue', { MaximumMessageSize: '1024' }],
      ['a lone surrogate in the body', { MessageBody: 'half \ud800 a pair' }, 'InvalidMessageContents'],
      ['a control character in the body', { MessageBody: 'bell \u0007' }, 'InvalidMessageContents'],
      ['an empty body', { MessageBody: '' }, 'MissingParameter'],
      ['DelaySeconds above 900', { MessageBody: 'x', DelaySeconds: 901 }, 'InvalidParameterValue'],
      ['eleven message attributes', {
        MessageBody: 'x',
        MessageAttributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }])),
      }, 'InvalidParameterValue'],
      ['an attribute name starting with AWS.', {
        MessageBody: 'x', MessageAttributes: { 'AWS.trace': { DataType: 'String', StringValue: 'v' } },
      }, 'InvalidParameterValue'],
      ['an attribute of an unknown type', {
        MessageBody: 'x', MessageAttributes: { a: { DataType: 'Date', StringValue: 'today' } },
      }, 'InvalidParameterValue'],
      ['a Number attribute that is not a number', {
        MessageBody: 'x', MessageAttributes: { a: { DataType: 'Number', StringValue: 'twelve' } },
      }, 'InvalidParameterValue'],
      ['a MessageGroupId with a space', { MessageBody: 'x', MessageGroupId: 'tenant a' }, 'InvalidParameterValue'],
      ['a MessageDeduplicationId (FIFO only)', { MessageBody: 'x', MessageDeduplicationId: 'd' }, 'InvalidParameterValue'],
    ])('refuses %s', (_case, message, code, queueAttributes?: Record<string, string>) => {
      it(`with ${code}`, async () => {
        // Arrange
        const queueUrl = await createQueue(sqs, queueAttributes);

        // Act
        const attempt = sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...message }));

        // Assert
        await expect(attempt).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
        expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      });
    });

    describe.each([
      ['MaxNumberOfMessages 0', { MaxNumberOfMessages: 0 }],
      ['MaxNumberOfMessages 11', { MaxNumberOfMessages: 11 }],
      ['WaitTimeSeconds 21', { WaitTimeSeconds: 21 }],
      ['VisibilityTimeout 43201', { VisibilityTimeout: 43_201 }],
      ['a negative VisibilityTimeout', { VisibilityTimeout: -1 }],
    ])('refuses a receive with %s', (_case, parameters) => {
      it('with InvalidParameterValue', async () => {
        // Arrange
        const queueUrl = await createQueue(sqs);

        // Act
        const attempt = sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, ...parameters }));

        // Assert
        await expect(attempt).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      });
    });

    it('refuses a request body of several MiB with a 400 and goes on serving', async () => {
      // Arrange
      const queueUrl = await createQueue(sqs);

      // Act
      const attempt = sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x'.repeat(4 * MiB) }));

      // Assert
      await expect(attempt).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  });

  describe('dead-letter redrive', () => {
    it.each([
      ['a string', '2', 'us-east-1'],
      ['a number', 2, 'us-east-1'],
      ['a number, the dead-letter ARN naming another region', 2, 'eu-west-1'],
    ])('moves a message received more than maxReceiveCount (given as %s) times to the dead-letter queue', async (_case, maxReceiveCount, region) => {
      // Arrange
      const deadLetterUrl = await createQueue(sqs, undefined, 'dlq');
      const deadLetterArn = `arn:aws:sqs:${region}:000000000000:${deadLetterUrl.split('/').at(-1)}`;
      const queueUrl = await createQueue(sqs, {
        VisibilityTimeout: '5',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount }),
      });
      const sentAt = clock.now();
      await sqs.send(new SendMessageCommand({
        QueueUrl: queueUrl, MessageBody: 'poison', MessageGroupId: 'tenant-x',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'job' } },
      }));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'healthy', DelaySeconds: 10 }));

      // Act
      const receiveCounts: string[] = [];
      for (let round = 0; round < 3; round++) {
        const messages = await receive(queueUrl);
        receiveCounts.push(...messages.map((message) => `${message.Body}:${message.Attributes?.ApproximateReceiveCount}`));
        clock.advanceSeconds(5);
      }
      const [dead] = await receive(deadLetterUrl);

      // Assert
      expect(receiveCounts).toEqual(['poison:1', 'poison:2', 'healthy:1']);
      expect(dead).toMatchObject({
        Body: 'poison',
        Attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(sentAt),
          MessageGroupId: 'tenant-x',
          DeadLetterQueueSourceArn: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').at(-1)}`,
        },
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'job' } },
      });
      expect(await queueCounts(sqs, queueUrl)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    });
  });
});

/** The MD5 of message attributes, written independently from the AWS developer guide. */
function md5OfAttributesPerAwsDocs(attributes: Record<string, MessageAttributeValue>): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    lengthPrefixed(Buffer.from(name));
    lengthPrefixed(Buffer.from(DataType!));
    if (BinaryValue) {
      parts.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(StringValue!));
    }
  }
  return createHash('md5').update(Buffer.concat(parts)).digest('hex');
}
