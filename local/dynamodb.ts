/**
 * The embedded DynamoDB: dynalite (a real DynamoDB implementation on LevelDB),
 * persisted under the data dir or in memory, with the table built from the same
 * resources module the CDK stack uses.
 */
import { mkdirSync } from 'node:fs';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { TABLE_INDEXES, TABLE_KEYS } from '../lambdas/resources';
import { listenOnLoopback, type LoopbackServer } from './loopback-server';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number; path?: string }) => import('node:http').Server;

export type LocalDynamoDb = LoopbackServer;

export async function startDynamoDb(options: { port?: number; dataDir?: string }): Promise<LocalDynamoDb> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.dataDir ? { path: options.dataDir } : {}) });
  return listenOnLoopback(server, options.port);
}

/** Creates the jobs table (keys and GSIs from lambdas/resources.ts) unless it exists. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const attributes = new Map<string, 'S' | 'N'>();
  const define = (key: { name: string; type: 'S' | 'N' }) => attributes.set(key.name, key.type);
  define(TABLE_KEYS.partitionKey);
  define(TABLE_KEYS.sortKey);
  for (const index of TABLE_INDEXES) {
    define(index.partitionKey);
    define(index.sortKey);
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey.name, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.nonKeyAttributes] },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await client.send(new DescribeTableCommand({ TableName: tableName }));
}
