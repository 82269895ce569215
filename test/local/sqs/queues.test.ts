import {
  AddPermissionCommand, CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand,
  InvalidAttributeName, InvalidAttributeValue, ListDeadLetterSourceQueuesCommand, ListQueuesCommand,
  ListQueueTagsCommand, QueueDoesNotExist, QueueNameExists, ReceiveMessageCommand, SendMessageCommand,
  SetQueueAttributesCommand, SQSServiceException, TagQueueCommand, UnsupportedOperation, UntagQueueCommand,
} from '@aws-sdk/client-sqs';
import { createQueue, ManualClock, queueCounts, sqsClientFor, startSqs, type RunningSqs } from './sqs-fixture';

describe('SQS endpoint: queues', () => {
  const clock = new ManualClock();
  let running: RunningSqs;

  beforeAll(async () => {
    running = await startSqs({ now: clock.now });
  });
  afterAll(() => running.stop());

  it('listens on 127.0.0.1 and hands out QueueUrls and ARNs under the account id', async () => {
    // Arrange
    const { endpoint, sqs } = running;

    // Act
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
    const found = await sqs.send(new GetQueueUrlCommand({ QueueName: 'orders' }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));

    // Assert
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
    expect(QueueUrl).toBe(`${endpoint.url}/000000000000/orders`);
    expect(found.QueueUrl).toBe(QueueUrl);
    expect(Attributes).toEqual({ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:orders' });
  });

  it('CreateQueue is idempotent for equal attributes and answers QueueNameExists otherwise', async () => {
    // Arrange
    const { sqs } = running;
    const first = await sqs.send(new CreateQueueCommand({ QueueName: 'same', Attributes: { VisibilityTimeout: '10' } }));

    // Act
    const again = await sqs.send(new CreateQueueCommand({ QueueName: 'same', Attributes: { VisibilityTimeout: '10' } }));
    const withoutAttributes = await sqs.send(new CreateQueueCommand({ QueueName: 'same' }));
    const conflicting = sqs.send(new CreateQueueCommand({ QueueName: 'same', Attributes: { VisibilityTimeout: '11' } }));

    // Assert
    expect(again.QueueUrl).toBe(first.QueueUrl);
    expect(withoutAttributes.QueueUrl).toBe(first.QueueUrl);
    await expect(conflicting).rejects.toBeInstanceOf(QueueNameExists);
    await expect(conflicting).rejects.toMatchObject({ Code: 'QueueAlreadyExists', $fault: 'client' });
  });

  it('lists queues by prefix, a page at a time', async () => {
    // Arrange
    const { sqs, endpoint } = running;
    for (const name of ['list-a', 'list-b', 'list-c']) await sqs.send(new CreateQueueCommand({ QueueName: name }));

    // Act
    const all = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-' }));
    const firstPage = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'list-', MaxResults: 2 }));
    const secondPage = await sqs.send(new ListQueuesCommand({
      QueueNamePrefix: 'list-', MaxResults: 2, NextToken: firstPage.NextToken,
    }));
    const none = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'nothing-' }));

    // Assert
    const url = (name: string) => `${endpoint.url}/000000000000/${name}`;
    expect(all.QueueUrls).toEqual([url('list-a'), url('list-b'), url('list-c')]);
    expect(firstPage.QueueUrls).toEqual([url('list-a'), url('list-b')]);
    expect(secondPage.QueueUrls).toEqual([url('list-c')]);
    expect(secondPage.NextToken).toBeUndefined();
    expect(none.QueueUrls ?? []).toEqual([]);
  });

  it('deletes a queue; afterwards every call on it answers QueueDoesNotExist', async () => {
    // Arrange
    const { sqs } = running;
    const queueUrl = await createQueue(sqs);

    // Act
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    const send = sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
    const getUrl = sqs.send(new GetQueueUrlCommand({ QueueName: queueUrl.split('/').at(-1) }));

    // Assert
    await expect(send).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(send).rejects.toMatchObject({ Code: 'AWS.SimpleQueueService.NonExistentQueue', Type: 'Sender' });
    await expect(getUrl).rejects.toBeInstanceOf(QueueDoesNotExist);
  });

  it('finds a queue by its name whatever host and port the QueueUrl names', async () => {
    // Arrange
    const { sqs } = running;
    const queueUrl = await createQueue(sqs);
    const name = queueUrl.split('/').at(-1);

    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: `http://localhost:1/000000000000/${name}`, MessageBody: 'moved' }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: `http://sqs.example:9324/123/${name}` }));

    // Assert
    expect(Messages?.map((message) => message.Body)).toEqual(['moved']);
  });

  it('reports every attribute: settings, ARN, timestamps and approximate counts', async () => {
    // Arrange
    const { sqs } = running;
    const deadLetterUrl = await createQueue(sqs);
    const deadLetterArn = 'arn:aws:sqs:us-east-1:000000000000:' + deadLetterUrl.split('/').at(-1);
    const redrivePolicy = JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: '5' });
    const queueUrl = await createQueue(sqs, { DelaySeconds: '0', RedrivePolicy: redrivePolicy, VisibilityTimeout: '60' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'in flight' }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'visible' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'delayed', DelaySeconds: 30 }));

    // Act
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));

    // Assert
    const createdSeconds = String(Math.floor(clock.now() / 1000));
    expect(Attributes).toEqual({
      ApproximateNumberOfMessages: '1',
      ApproximateNumberOfMessagesNotVisible: '1',
      ApproximateNumberOfMessagesDelayed: '1',
      CreatedTimestamp: createdSeconds,
      LastModifiedTimestamp: createdSeconds,
      DelaySeconds: '0',
      MaximumMessageSize: '1048576',
      MessageRetentionPeriod: '345600',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').at(-1)}`,
      ReceiveMessageWaitTimeSeconds: '0',
      RedrivePolicy: redrivePolicy,
      VisibilityTimeout: '60',
    });
    const sources = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterUrl }));
    expect(sources.queueUrls).toEqual([queueUrl]);
  });

  it('changes attributes with SetQueueAttributes and moves LastModifiedTimestamp', async () => {
    // Arrange
    const { sqs } = running;
    const queueUrl = await createQueue(sqs);
    clock.advanceSeconds(10);

    // Act
    await sqs.send(new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: { VisibilityTimeout: '5', ReceiveMessageWaitTimeSeconds: '2', MessageRetentionPeriod: '120' },
    }));
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));

    // Assert
    expect(Attributes).toMatchObject({ VisibilityTimeout: '5', ReceiveMessageWaitTimeSeconds: '2', MessageRetentionPeriod: '120' });
    expect(Number(Attributes.LastModifiedTimestamp) - Number(Attributes.CreatedTimestamp)).toBe(10);
  });

  describe.each([
    ['a VisibilityTimeout above 12 hours', { VisibilityTimeout: '43201' }, InvalidAttributeValue],
    ['a DelaySeconds above 900', { DelaySeconds: '901' }, InvalidAttributeValue],
    ['a non-numeric MessageRetentionPeriod', { MessageRetentionPeriod: 'soon' }, InvalidAttributeValue],
    ['an unknown attribute', { Colour: 'blue' }, InvalidAttributeName],
    ['a FIFO attribute', { FifoQueue: 'true' }, InvalidAttributeName],
  ] as [string, Record<string, string>, typeof InvalidAttributeName][])('refuses %s', (_case, attributes, errorType) => {
    it('in CreateQueue and in SetQueueAttributes', async () => {
      // Arrange
      const { sqs } = running;
      const queueUrl = await createQueue(sqs);

      // Act
      const create = sqs.send(new CreateQueueCommand({ QueueName: 'refused', Attributes: attributes }));
      const set = sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: attributes }));

      // Assert
      await expect(create).rejects.toBeInstanceOf(errorType);
      await expect(set).rejects.toBeInstanceOf(errorType);
    });
  });

  it('refuses a RedrivePolicy whose dead-letter queue does not exist or whose count is out of range', async () => {
    // Arrange
    const { sqs } = running;
    const policy = (arn: string, count: unknown) => JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: count });
    const deadLetterUrl = await createQueue(sqs);
    const deadLetterArn = 'arn:aws:sqs:us-east-1:000000000000:' + deadLetterUrl.split('/').at(-1);

    // Act
    const missingTarget = sqs.send(new CreateQueueCommand({
      QueueName: 'redrive-missing', Attributes: { RedrivePolicy: policy('arn:aws:sqs:us-east-1:000000000000:nope', 3) },
    }));
    const zeroCount = sqs.send(new CreateQueueCommand({
      QueueName: 'redrive-zero', Attributes: { RedrivePolicy: policy(deadLetterArn, 0) },
    }));
    const notJson = sqs.send(new CreateQueueCommand({ QueueName: 'redrive-text', Attributes: { RedrivePolicy: '{' } }));

    // Assert
    for (const attempt of [missingTarget, zeroCount, notJson]) {
      await expect(attempt).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    }
  });

  it('refuses FIFO and malformed queue names', async () => {
    // Arrange
    const { sqs } = running;

    // Act
    const fifo = sqs.send(new CreateQueueCommand({ QueueName: 'jobs.fifo' }));
    const spaced = sqs.send(new CreateQueueCommand({ QueueName: 'has space' }));
    const long = sqs.send(new CreateQueueCommand({ QueueName: 'x'.repeat(81) }));

    // Assert
    for (const attempt of [fifo, spaced, long]) await expect(attempt).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('keeps tags given at creation and by TagQueue/UntagQueue', async () => {
    // Arrange
    const { sqs } = running;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'tagged', tags: { team: 'jobs' } }));

    // Act
    await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { stage: 'local', owner: 'me' } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ['owner'] }));
    const { Tags } = await sqs.send(new ListQueueTagsCommand({ QueueUrl }));

    // Assert
    expect(Tags).toEqual({ team: 'jobs', stage: 'local' });
  });

  it('answers an SQS operation it does not play with UnsupportedOperation', async () => {
    // Arrange
    const { sqs } = running;
    const queueUrl = await createQueue(sqs);

    // Act
    const attempt = sqs.send(new AddPermissionCommand({
      QueueUrl: queueUrl, Label: 'l', AWSAccountIds: ['111111111111'], Actions: ['SendMessage'],
    }));

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(UnsupportedOperation);
  });

  describe.each([
    ['an unknown operation', { 'x-amz-target': 'AmazonSQS.Frobnicate' }, undefined, 'InvalidAction'],
    ['a target of another service', { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, undefined, 'InvalidAction'],
    ['a body that is not JSON', {}, '{"QueueNamePrefix": nope', 'SerializationException'],
    ['a JSON body that is not an object', {}, '[1, 2]', 'SerializationException'],
  ])('answers %s with a 400', (_case, headers, body, code) => {
    it(`(${code}), not a crash`, async () => {
      // Arrange: the real client, with its request rewritten on the way out
      const client = sqsClientFor(running.endpoint);
      client.middlewareStack.add(
        (next) => async (args) => {
          const request = (args as { request: { headers: Record<string, string>; body: unknown } }).request;
          Object.assign(request.headers, headers);
          if (body !== undefined) {
            request.body = body;
            request.headers['content-length'] = String(Buffer.byteLength(body));
          }
          return next(args);
        },
        { step: 'finalizeRequest', priority: 'low' },
      );

      // Act
      const attempt = client.send(new ListQueuesCommand({}));

      // Assert
      await expect(attempt).rejects.toBeInstanceOf(SQSServiceException);
      await expect(attempt).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
      client.destroy();
    });
  });

  it('still answers after the client mistakes above', async () => {
    // Act
    const counts = await queueCounts(running.sqs, await createQueue(running.sqs));

    // Assert
    expect(counts).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
