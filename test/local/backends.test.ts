/**
 * Bring your own backends (SPEC §9): with JOBS_DYNAMODB_ENDPOINT and
 * JOBS_SQS_ENDPOINT the twin runs on AWS's own DynamoDB Local and on an SQS
 * endpoint it did not start (here a standalone instance of the SQS endpoint
 * the repo ships, standing in for ElasticMQ or LocalStack): it creates its
 * table and queues there if absent, finds them again on the next start, and
 * leaves everything it did not create as it was.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../../lambdas/config';
import { JOBS_QUEUE } from '../../lambdas/resources';
import { loadBackends, regionOfAwsEndpoint, credentialVariables } from '../../local/backends';
import { startSqsEndpoint, type SqsEndpoint } from '../../local/sqs';
import { startTwin } from '../../local/twin';
import { startDynamoDbLocal, type DynamoDbLocal } from '../support/dynamodb-local';
import { ApiClient, FAST_TWIN_ENV } from '../support/twin';

describe('loadBackends', () => {
  it('takes http(s) URLs, drops a trailing slash, and treats unset or empty as embedded', () => {
    expect(loadBackends({ JOBS_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000/', JOBS_SQS_ENDPOINT: '' })).toEqual({
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      sqsEndpoint: undefined,
    });
    expect(loadBackends({})).toEqual({ dynamodbEndpoint: undefined, sqsEndpoint: undefined });
  });

  it.each(['localhost:8000', 'ftp://127.0.0.1:8000', 'not a url'])('refuses %s, naming the variable', (value) => {
    expect(() => loadBackends({ JOBS_SQS_ENDPOINT: value })).toThrow(ConfigError);
    expect(() => loadBackends({ JOBS_SQS_ENDPOINT: value })).toThrow(/JOBS_SQS_ENDPOINT: an http:\/\/ or https:\/\/ URL/);
  });

  it('reads the region a real AWS endpoint signs for', () => {
    expect(regionOfAwsEndpoint('https://dynamodb.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(regionOfAwsEndpoint('https://sqs.ap-southeast-2.amazonaws.com')).toBe('ap-southeast-2');
    expect(regionOfAwsEndpoint('http://127.0.0.1:8000')).toBeUndefined();
  });

  it('never shadows a profile with a dummy key when a backend is external', () => {
    const external = { dynamodbEndpoint: 'https://dynamodb.eu-west-1.amazonaws.com' };
    expect(credentialVariables({ AWS_PROFILE: 'work' }, external)).toEqual({});
    expect(credentialVariables({ AWS_PROFILE: 'work' }, {})).toEqual({ AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    expect(credentialVariables({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, external)).toEqual({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' });
  });
});

describe('the twin on DynamoDB Local and an SQS it did not start', () => {
  let dynamodbLocal: DynamoDbLocal;
  let sqs: SqsEndpoint;
  let db: DynamoDBClient;
  let sqsClient: SQSClient;
  const tableName = 'jobs-byo';
  const env = () => ({
    ...FAST_TWIN_ENV,
    JOBS_DYNAMODB_ENDPOINT: dynamodbLocal.url,
    JOBS_SQS_ENDPOINT: `${sqs.url}/`,
    JOBS_TABLE_NAME: tableName,
    JOBS_DEV_API_KEY: 'dev-key-0123456789abcdef',
  });

  beforeAll(async () => {
    [dynamodbLocal, sqs] = await Promise.all([startDynamoDbLocal(), startSqsEndpoint()]);
    db = dynamodbLocal.client();
    sqsClient = new SQSClient({ endpoint: sqs.url });
    // Someone else's things on the same backends: a table, a queue, and the jobs queue already there with its own settings.
    await db.send(
      new CreateTableCommand({
        TableName: 'someone-elses',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    await sqsClient.send(new CreateQueueCommand({ QueueName: 'someone-elses' }));
    await sqsClient.send(new CreateQueueCommand({ QueueName: JOBS_QUEUE.name, Attributes: { VisibilityTimeout: '77' } }));
  }, 120_000);

  afterAll(async () => {
    db?.destroy();
    sqsClient?.destroy();
    await Promise.all([dynamodbLocal?.close(), sqs?.close()]);
  });

  it('runs a job there, keeps it across a restart, and deletes or reconfigures nothing', async () => {
    // Act: a job through a twin on these backends, then a second twin (in memory: nothing of its own kept) on the same ones.
    const first = await startTwin({ env: env() });
    let job;
    try {
      expect(first.backends).toEqual({ dynamodbEndpoint: dynamodbLocal.url, sqsEndpoint: sqs.url });
      expect({ dynamodb: first.dynamodbUrl, sqs: first.sqsUrl }).toEqual({ dynamodb: dynamodbLocal.url, sqs: sqs.url });
      expect(first.jobsQueueUrl.startsWith(sqs.url)).toBe(true);
      const api = new ApiClient(first.url, first.dev.apiKey);
      const submitted = await api.submit({ type: 'echo', payload: { hello: 'world', n: 1 } });
      job = await api.waitForJob(submitted.jobId, ['succeeded']);
    } finally {
      await first.close();
    }
    const second = await startTwin({ env: env() });
    try {
      const again = await new ApiClient(second.url, 'dev-key-0123456789abcdef').getJob(job.jobId);
      expect(again).toMatchObject({ jobId: job.jobId, status: 'succeeded', payload: { hello: 'world', n: 1 } });
    } finally {
      await second.close();
    }

    // Assert: after both stopped, everything is still there; the queue found there kept its own settings.
    const { TableNames } = await db.send(new ListTablesCommand({}));
    expect(TableNames).toEqual(expect.arrayContaining([tableName, 'someone-elses']));
    const { QueueUrls = [] } = await sqsClient.send(new ListQueuesCommand({}));
    expect(QueueUrls.map((url) => url.split('/').pop()).sort()).toEqual(
      ['someone-elses', JOBS_QUEUE.name, JOBS_QUEUE.deadLetterName, 'webhooks', 'webhooks-dlq'].sort(),
    );
    const jobsQueue = QueueUrls.find((url) => url.endsWith(`/${JOBS_QUEUE.name}`));
    const { Attributes } = await sqsClient.send(new GetQueueAttributesCommand({ QueueUrl: jobsQueue, AttributeNames: ['VisibilityTimeout'] }));
    expect(Attributes?.VisibilityTimeout).toBe('77');
  }, 90_000);

  it('refuses a table of that name that is not a jobs table', async () => {
    await expect(startTwin({ env: { ...env(), JOBS_TABLE_NAME: 'someone-elses' } })).rejects.toThrow(
      /JOBS_DYNAMODB_ENDPOINT=.*table someone-elses exists without the indexes/,
    );
    // And still left it alone.
    expect((await db.send(new DescribeTableCommand({ TableName: 'someone-elses' }))).Table?.TableStatus).toBe('ACTIVE');
  }, 30_000);

  it('says which variable names an endpoint that does not answer', async () => {
    const closed = await startSqsEndpoint();
    const url = closed.url;
    await closed.close();
    await expect(startTwin({ env: { ...env(), JOBS_SQS_ENDPOINT: url } })).rejects.toThrow(
      new RegExp(`JOBS_SQS_ENDPOINT=${url}: the twin could not set up its table or queues there`),
    );
  }, 30_000);
});
