/**
 * A JobStore on a running DynamoDB (dynalite or DynamoDB Local) with the `jobs`
 * table made: what the store suites open before their tests, in one place.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JobStore } from '../../lambdas/store/job-store';
import { ensureTable } from '../../local/dynamodb';

export interface StoreOn {
  readonly client: DynamoDBClient;
  readonly db: DynamoDBDocumentClient;
  readonly store: JobStore;
}

/** The store at `nowMs`, with the service's default look-ahead (5 min) and stale time (2 min). */
export async function storeOn(endpoint: string, nowMs: number): Promise<StoreOn> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, 'jobs');
  const db = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  const store = new JobStore(db, { tableName: 'jobs', now: () => nowMs, sweep: { lookaheadMs: 300_000, staleAfterMs: 120_000 } });
  return { client, db, store };
}
