/**
 * A twin data dir written before the status index was renamed (issue 11:
 * `byTenantStatus` → `byTenantBucket`, a new projection) starts as a jobs table
 * with the new index, and lists the jobs it held.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATUS_INDEX, SWEEP_INDEX } from '../../lambdas/resources';
import { jobAttributes } from '../../lambdas/store/job-item';
import { JobStore, jobItemKey } from '../../lambdas/store/job-store';
import { ensureTable, startDynamoDb } from '../../local/dynamodb';
import { jobFactory } from '../support/job-factory';

const NOW = Date.UTC(2026, 11, 3, 12);
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-index-rename-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const clientOf = (url: string) =>
  new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

it('renames the previous status index of a data dir, and lists the jobs it held', async () => {
  // Arrange: the table as the previous version created it, with one finished job.
  const job = jobFactory(NOW, { tenantId: 'acme', status: 'succeeded', finishedAt: new Date(NOW).toISOString() });
  const before = await startDynamoDb({ dataDir });
  const oldClient = clientOf(before.url);
  try {
    const keys = (index: typeof SWEEP_INDEX) => [
      { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
    ];
    await oldClient.send(
      new CreateTableCommand({
        TableName: 'jobs',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          ...['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
          { AttributeName: 'sweepShard', AttributeType: 'N' },
          { AttributeName: 'sweepAt', AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        GlobalSecondaryIndexes: [
          { IndexName: 'byTenantStatus', KeySchema: keys(STATUS_INDEX), Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['jobId', 'tenantId', 'status', 'expiresAt'] } },
          { IndexName: SWEEP_INDEX.indexName, KeySchema: keys(SWEEP_INDEX), Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...SWEEP_INDEX.nonKeyAttributes] } },
        ],
      }),
    );
    await DynamoDBDocumentClient.from(oldClient).send(
      new PutCommand({
        TableName: 'jobs',
        Item: { ...jobItemKey(job), entity: 'job', ...jobAttributes(job), writeId: 'w', gsi1pk: 'acme#succeeded', gsi1sk: `${job.createdAt}#${job.jobId}` },
      }),
    );
  } finally {
    oldClient.destroy();
    await before.close();
  }

  // Act: start on it again.
  const after = await startDynamoDb({ dataDir });
  const client = clientOf(after.url);
  try {
    const outcome = await ensureTable(client, 'jobs');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'jobs' }));
    const page = await new JobStore(DynamoDBDocumentClient.from(client), {
      tableName: 'jobs',
      now: () => NOW,
      sweep: { lookaheadMs: 300_000, staleAfterMs: 120_000 },
    }).list({ tenantId: 'acme', status: 'succeeded', limit: 10 });

    // Assert
    expect(outcome).toBe('existing');
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([STATUS_INDEX.indexName, SWEEP_INDEX.indexName].sort());
    expect(Table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === STATUS_INDEX.indexName)?.Projection).toEqual({
      ProjectionType: 'INCLUDE',
      NonKeyAttributes: [...STATUS_INDEX.nonKeyAttributes],
    });
    expect(page.items.map((item) => item.jobId)).toEqual([job.jobId]);
  } finally {
    client.destroy();
    await after.close();
  }
});
