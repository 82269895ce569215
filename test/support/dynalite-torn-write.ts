/**
 * A dynalite process killed in the middle of a write, the way `kill -9` can
 * catch it: `node --import tsx test/support/dynalite-torn-write.ts <dir>`
 * creates table `torn` (key `id`, index `byStatus` on `status`), puts job-1 as
 * `queued`, then updates it to `running` and kills itself with SIGKILL at the
 * instant dynalite has written the new index row and is about to write the
 * item (dynalite writes them one after the other, not in one batch).
 */
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDb } from '../../local/dynamodb';

type Put = (this: unknown, key: string, ...rest: unknown[]) => unknown;
const { Level } = createRequire(require.resolve('dynalite'))('level') as { Level: { prototype: { put: Put } } };
let armed = false;
const put = Level.prototype.put;
// dynalite binds `put` when it opens the database, so the patch must come first.
Level.prototype.put = function (this: unknown, key: string, ...rest: unknown[]) {
  if (armed && key.startsWith('item-')) process.kill(process.pid, 'SIGKILL');
  return put.call(this, key, ...rest);
};

async function main(directory: string): Promise<void> {
  const dynamodb = await startDynamoDb({ dataDir: directory });
  const client = new DynamoDBClient({
    endpoint: dynamodb.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1,
  });
  await client.send(
    new CreateTableCommand({
      TableName: 'torn',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, { AttributeName: 'status', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [{ IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    }),
  );
  await client.send(new PutItemCommand({ TableName: 'torn', Item: { id: { S: 'job-1' }, status: { S: 'queued' } } }));
  armed = true;
  await client.send(
    new UpdateItemCommand({
      TableName: 'torn', Key: { id: { S: 'job-1' } }, UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'running' } },
    }),
  );
  throw new Error('the update finished: the kill did not happen');
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
