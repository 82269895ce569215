/**
 * The paths of JobStore that only real DynamoDB takes (dynalite cannot show
 * them): a lost conditional put that carries the existing item, as
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD` makes AWS return it.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Job } from '../../../lambdas/jobs/job';
import { StoreUnavailableError } from '../../../lambdas/store/errors';
import { JobStore } from '../../../lambdas/store/job-store';

const NOW = Date.UTC(2026, 11, 1, 10);

function sampleJob(overrides: Partial<Job> = {}): Job {
  const at = new Date(NOW).toISOString();
  return {
    jobId: '0f8fad5b-d9cb-569f-a165-70867728950e',
    tenantId: 'acme',
    type: 'echo',
    status: 'queued',
    payload: { n: 1 },
    payloadHash: 'sha256:aa',
    idempotencyKey: 'order-1',
    webhookUrl: null,
    maxAttempts: 5,
    attemptLimit: 5,
    attempts: 0,
    nextRunAt: at,
    leaseUntilMs: null,
    result: null,
    lastError: null,
    history: [],
    webhook: { status: 'none' },
    dispatched: true,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    expiresAt: Math.ceil(NOW / 1000) + 7 * 86_400,
    version: NOW,
    ...overrides,
  };
}

describe('JobStore.create on AWS', () => {
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const mock = mockClient(db);
  const store = new JobStore(db, { tableName: 'jobs', now: () => NOW, sweep: { lookaheadMs: 300_000, staleAfterMs: 120_000 } });
  afterEach(() => mock.reset());

  it('asks for the existing item and uses the one that comes with the lost condition, without reading again', async () => {
    // Arrange: AWS sends the old item as raw AttributeValues, even through lib-dynamodb.
    const existing = sampleJob({ payloadHash: 'sha256:bb', status: 'running', attempts: 1 });
    const item = { pk: 'JOB#acme#0f8fad5b-d9cb-569f-a165-70867728950e', sk: 'JOB', entity: 'job', gsi1pk: 'acme#running', gsi1sk: 'x', ...existing };
    mock.on(PutCommand).rejects(
      new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(item, { removeUndefinedValues: true }) }),
    );
    // Act
    const outcome = await store.create(sampleJob());
    // Assert
    expect(outcome).toEqual({ created: false, job: existing });
    expect(mock.commandCalls(PutCommand)[0].args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :nowSeconds',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(mock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('falls back to a consistent read when the error carries no item (as dynalite answers)', async () => {
    const existing = sampleJob({ payloadHash: 'sha256:cc' });
    mock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    mock.on(GetCommand).resolves({ Item: { pk: 'p', sk: 'JOB', entity: 'job', ...existing } });
    const outcome = await store.create(sampleJob());
    expect(outcome).toEqual({ created: false, job: existing });
    expect(mock.commandCalls(GetCommand)[0].args[0].input.ConsistentRead).toBe(true);
  });

  it('recognises its own write in the item AWS returns with a lost condition (an SDK retry of a put that landed)', async () => {
    mock.on(PutCommand).callsFake((input) => {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: marshall(input.Item, { removeUndefinedValues: true }) });
    });
    const job = sampleJob();
    expect(await store.create(job)).toEqual({ created: true, job });
    expect(await store.replace({ ...job, status: 'canceled' }, job.version)).toBe(true);
    expect(mock.commandCalls(GetCommand)).toHaveLength(0);
  });

  it.each([
    ['throttling past the SDK\'s retries', Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 } })],
    ['a 5xx', Object.assign(new Error('Internal'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } })],
    ['no answer at all', Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} })],
  ])('turns %s into StoreUnavailableError, after deleting what this very write may have stored', async (_name, failure) => {
    // Arrange
    mock.on(PutCommand).rejects(failure);
    mock.on(DeleteCommand).resolves({});
    // Act
    const outcome = store.create(sampleJob());
    // Assert
    await expect(outcome).rejects.toBeInstanceOf(StoreUnavailableError);
    const writeId = (mock.commandCalls(PutCommand)[0].args[0].input.Item as { writeId: string }).writeId;
    expect(mock.commandCalls(DeleteCommand).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ ConditionExpression: 'writeId = :writeId', ExpressionAttributeValues: { ':writeId': writeId } }),
    ]);
  });

  it('still answers unavailable when the clean-up delete fails too', async () => {
    mock.on(PutCommand).rejects(Object.assign(new Error('Internal'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } }));
    mock.on(DeleteCommand).rejects(Object.assign(new Error('Internal'), { name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 } }));
    await expect(store.create(sampleJob())).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it.each([
    ['an error DynamoDB blames on the request', Object.assign(new Error('One or more parameter values were invalid'), { name: 'ValidationException', $fault: 'client', $metadata: { httpStatusCode: 400 } })],
    ['a bug of ours (no DynamoDB answer involved)', new TypeError('Cannot convert object to primitive value')],
  ])('lets %s through as it is (it would fail the same way again: a 500, not a 503)', async (_name, failure) => {
    mock.on(PutCommand).rejects(failure);
    const outcome = store.create(sampleJob());
    await expect(outcome).rejects.toBe(failure);
  });

  it('counts a connection reset as unavailable', async () => {
    mock.on(PutCommand).rejects(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', $metadata: {} }));
    await expect(store.create(sampleJob())).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
