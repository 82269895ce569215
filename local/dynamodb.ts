/**
 * The embedded DynamoDB: dynalite (a real DynamoDB implementation on LevelDB),
 * persisted under the data dir or in memory, with the table built from the same
 * resources module the CDK stack uses.
 *
 * Crash safety: LevelDB itself survives `kill -9` (its log is replayed, its
 * LOCK is an fcntl lock the kernel drops). But dynalite writes an item's
 * secondary-index rows and the item as separate LevelDB writes, so a kill
 * between them leaves index rows that no longer match the item (a job listed
 * under a status it left), and later writes never clean them up. After a stop
 * that was not clean, the indexes are rebuilt from the items before dynalite
 * opens the directory.
 *
 * An index the service renamed (DynamoDB cannot change a projection in place:
 * `byTenantStatus` became `byTenantBucket`) is renamed in a data dir written
 * before, and its rows rebuilt, so the twin's data survives the upgrade.
 *
 * The twin runs dynalite on a thread of its own (`thread: true`): about a
 * quarter of the twin's CPU under load is dynalite and LevelDB, which then no
 * longer queues behind the handlers on the one JavaScript thread (the twin is
 * still one process: a `kill -9` takes both).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { STATUS_INDEX, TABLE_INDEXES, TABLE_KEYS, type IndexDefinition } from '../lambdas/resources';
import { listenOnLoopback, type LoopbackServer } from './loopback-server';

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number; path?: string }) => import('node:http').Server;

export type LocalDynamoDb = LoopbackServer;

/** Written when dynalite has closed the directory; missing at a start means the last run did not stop cleanly. */
const CLOSED_CLEANLY_FILE = 'closed-cleanly';

export interface DynamoDbOptions {
  readonly port?: number;
  readonly dataDir?: string;
  /** Run dynalite on a worker thread. @default false (on this thread, where a test can reach into it) */
  readonly thread?: boolean;
}

export async function startDynamoDb(options: DynamoDbOptions): Promise<LocalDynamoDb> {
  const { dataDir } = options;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    const closedCleanly = join(dataDir, CLOSED_CLEANLY_FILE);
    if (existsSync(join(dataDir, 'CURRENT'))) {
      const renamed = await renameRetiredIndexes(dataDir);
      if (renamed || !existsSync(closedCleanly)) await rebuildSecondaryIndexes(dataDir);
    }
    rmSync(closedCleanly, { force: true });
  }
  const settings = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dataDir ? { path: dataDir } : {}) };
  const listening = options.thread ? await listenOnThread(settings, options.port) : await listenOnLoopback(dynalite(settings), options.port);
  if (!dataDir) return listening;
  return {
    ...listening,
    async close() {
      await listening.close();
      writeFileSync(join(dataDir, CLOSED_CLEANLY_FILE), '');
    },
  };
}

/**
 * The thread's code, plain JavaScript (no TypeScript loader reaches a worker):
 * dynalite on loopback, closed on request like listenOnLoopback's servers.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const server = require(workerData.dynalite)(workerData.settings);
server.once('error', (error) => { throw error; });
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.once('message', () => {
  server.close(() => parentPort.postMessage({ closed: true }));
  server.closeAllConnections();
});
`;

async function listenOnThread(settings: object, port = 0): Promise<LoopbackServer> {
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { dynalite: require.resolve('dynalite'), settings, port } });
  const next = () =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const fail = (error: unknown) => reject(error instanceof Error ? error : new Error(`dynalite thread: ${String(error)}`));
      worker.once('error', fail);
      worker.once('exit', (code) => fail(`exited with code ${code}`));
      worker.once('message', (message: Record<string, unknown>) => {
        worker.removeAllListeners('error').removeAllListeners('exit');
        resolve(message);
      });
    });
  const { port: bound } = (await next()) as { port: number };
  // After the start, dynalite failing is the twin failing, as it was when dynalite shared its thread.
  const crash = (error: Error) => {
    throw error;
  };
  worker.on('error', crash);
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    async close() {
      worker.off('error', crash);
      const closed = next();
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}

/** A table as dynalite keeps it under `table~<name>` (the DescribeTable shape). */
interface StoredTable {
  TableName: string;
  LocalSecondaryIndexes?: unknown[];
  GlobalSecondaryIndexes?: StoredIndex[];
}
interface StoredIndex {
  IndexName: string;
  IndexArn?: string;
  KeySchema: unknown[];
  Projection: unknown;
}
type IndexAction = { index: string; key: string; item: unknown };

// dynalite's own LevelDB package and index code, so the rebuilt rows are exactly the ones it would write.
const requireFromDynalite = createRequire(require.resolve('dynalite'));
const { Level } = requireFromDynalite('level') as {
  Level: new (path: string, options: { valueEncoding: 'json' }) => {
    iterator(range: { gte: string; lt: string }): AsyncIterable<[string, unknown]>;
    clear(range: { gte: string; lt: string }): Promise<void>;
    batch(operations: Array<{ type: 'put'; key: string; value: unknown }>): Promise<void>;
    put(key: string, value: unknown): Promise<void>;
    open(): Promise<void>;
    close(): Promise<void>;
  };
};
const dynaliteDb = requireFromDynalite('./db') as {
  getIndexActions(indexes: unknown[], existingItem: undefined, item: unknown, table: StoredTable): { puts: IndexAction[] };
};

/** Every key that starts with `prefix` (which ends in `~`, the separator dynalite uses). */
const keysUnder = (prefix: string) => ({ gte: prefix, lt: `${prefix.slice(0, -1)}\x7f` });

/** Indexes of earlier versions of the service, by their old name, and what they became. */
const RENAMED_INDEXES: ReadonlyMap<string, IndexDefinition> = new Map([['byTenantStatus', STATUS_INDEX]]);

/**
 * Renames, in the tables' descriptors, the indexes an earlier version created
 * (keys and projection as the new definition says) and drops their rows;
 * returns whether it renamed any (the rows must then be rebuilt).
 */
export async function renameRetiredIndexes(dataDir: string): Promise<boolean> {
  const db = new Level(dataDir, { valueEncoding: 'json' });
  await db.open();
  let renamed = false;
  try {
    const tables: Array<[string, StoredTable]> = [];
    for await (const [key, table] of db.iterator(keysUnder('table~'))) tables.push([key, table as StoredTable]);
    for (const [key, table] of tables) {
      const names = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
      let changed = false;
      const indexes = (table.GlobalSecondaryIndexes ?? []).map((index) => {
        const next = RENAMED_INDEXES.get(index.IndexName);
        if (!next || names.has(next.indexName)) return index;
        changed = true;
        return {
          ...index,
          IndexName: next.indexName,
          IndexArn: index.IndexArn?.replace(/\/index\/[^/]+$/, `/index/${next.indexName}`),
          KeySchema: [
            { AttributeName: next.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: next.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...next.nonKeyAttributes] },
        };
      });
      if (!changed) continue;
      for (const index of table.GlobalSecondaryIndexes ?? []) {
        if (RENAMED_INDEXES.has(index.IndexName)) await db.clear(keysUnder(`index-global~${table.TableName}~${index.IndexName}~`));
      }
      await db.put(key, { ...table, GlobalSecondaryIndexes: indexes });
      renamed = true;
    }
  } finally {
    await db.close();
  }
  return renamed;
}

/** Drops every secondary-index row and writes them again from the items (dynalite's key layout). */
export async function rebuildSecondaryIndexes(dataDir: string): Promise<void> {
  const db = new Level(dataDir, { valueEncoding: 'json' });
  await db.open();
  try {
    const tables: StoredTable[] = [];
    for await (const [, table] of db.iterator(keysUnder('table~'))) tables.push(table as StoredTable);
    for (const table of tables) {
      const kinds = [
        { prefix: 'index-local', indexes: table.LocalSecondaryIndexes ?? [] },
        { prefix: 'index-global', indexes: table.GlobalSecondaryIndexes ?? [] },
      ].filter((kind) => kind.indexes.length > 0);
      if (kinds.length === 0) continue;
      const indexPrefix = (kind: string, index: string) => `${kind}~${table.TableName}~${index}~`;
      for (const kind of kinds) {
        for (const index of kind.indexes as Array<{ IndexName: string }>) await db.clear(keysUnder(indexPrefix(kind.prefix, index.IndexName)));
      }
      let batch: Array<{ type: 'put'; key: string; value: unknown }> = [];
      for await (const [, item] of db.iterator(keysUnder(`item-${table.TableName}~`))) {
        for (const kind of kinds) {
          for (const put of dynaliteDb.getIndexActions(kind.indexes, undefined, item, table).puts) {
            batch.push({ type: 'put', key: indexPrefix(kind.prefix, put.index) + put.key, value: put.item });
          }
        }
        if (batch.length >= 1000) {
          await db.batch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await db.batch(batch);
    }
  } finally {
    await db.close();
  }
}

/**
 * Creates the jobs table (keys and GSIs from lambdas/resources.ts) unless it
 * exists, and waits until it is ACTIVE (a real region takes seconds). A table
 * that exists without the service's indexes (someone else's) stops start.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'existing'> {
  const attributes = new Map<string, 'S' | 'N'>();
  const define = (key: { name: string; type: 'S' | 'N' }) => attributes.set(key.name, key.type);
  define(TABLE_KEYS.partitionKey);
  define(TABLE_KEYS.sortKey);
  for (const index of TABLE_INDEXES) {
    define(index.partitionKey);
    define(index.sortKey);
  }
  let created = true;
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
    created = false;
  }
  await waitUntilTableExists({ client, maxWaitTime: 300, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const indexes = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = TABLE_INDEXES.map((index) => index.indexName).filter((name) => !indexes.has(name));
  if (missing.length > 0) {
    throw new Error(`table ${tableName} exists without the indexes ${missing.join(', ')}: not a jobs table (set JOBS_TABLE_NAME to another name)`);
  }
  return created ? 'created' : 'existing';
}
