/**
 * The embedded DynamoDB after a `kill -9` in the middle of a write (issue 9,
 * class 7's siblings): dynalite writes an item's index rows and the item one
 * after the other, so the kill can leave an index row for a state the item
 * never reached. The next start must serve indexes that match the items: no job
 * listed under a status it does not have, then or after later writes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDb } from '../../local/dynamodb';

const repositoryRoot = resolve(__dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-dynamodb-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function runTornWrite(directory: string): Promise<string | number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/dynalite-torn-write.ts', directory], {
    cwd: repositoryRoot,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit(signal ?? code)));
}

it('serves indexes that match the items after a kill between the index write and the item write', async () => {
  // Arrange: job-1 queued; killed while updating it to running
  expect(await runTornWrite(dataDir)).toBe('SIGKILL');

  // Act
  const dynamodb = await startDynamoDb({ dataDir });
  const client = new DynamoDBClient({
    endpoint: dynamodb.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1,
  });
  const listed = async (status: string) => {
    const { Items = [] } = await client.send(
      new QueryCommand({
        TableName: 'torn', IndexName: 'byStatus', KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: status } },
      }),
    );
    return Items.map((item) => item.id.S);
  };
  try {
    // Assert: the item never became running, and no index says it did
    const { Item } = await client.send(new GetItemCommand({ TableName: 'torn', Key: { id: { S: 'job-1' } } }));
    expect(Item?.status?.S).toBe('queued');
    expect({ queued: await listed('queued'), running: await listed('running') }).toEqual({ queued: ['job-1'], running: [] });
    // … nor after the job moves on.
    await client.send(
      new UpdateItemCommand({
        TableName: 'torn', Key: { id: { S: 'job-1' } }, UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': { S: 'succeeded' } },
      }),
    );
    expect({ queued: await listed('queued'), running: await listed('running'), succeeded: await listed('succeeded') }).toEqual({
      queued: [], running: [], succeeded: ['job-1'],
    });
  } finally {
    client.destroy();
    await dynamodb.close();
  }
});
