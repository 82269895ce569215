/**
 * A data directory is held by a lock the kernel releases when its holder dies
 * (issue 9, class 7): a restart right after `kill -9` must not be refused
 * because the dead holder is still a zombie, or because a stale lock file names
 * a pid that now belongs to another process. A directory a live twin holds is
 * refused, after a short wait, with a message that says what to do.
 * The zombies are built on purpose (test/support/unreaped-holder.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startDynamoDb } from '../../local/dynamodb';
import { startSqsEndpoint } from '../../local/sqs';
import { startTwin, type Twin } from '../../local/twin';
import { FAST_TWIN_ENV } from '../support/twin';
import { killIntoZombie, processState, reapAll, startUnreapedHolder, startUnrelatedProcess } from '../support/unreaped-holder';

const clientOptions = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 };
const directories: string[] = [];

function dataDirectory(): string {
  const path = mkdtempSync(join(tmpdir(), 'jobs-lock-'));
  directories.push(path);
  return path;
}

afterEach(reapAll);

afterAll(() => {
  for (const path of directories) rmSync(path, { recursive: true, force: true });
});

/** What a pid-file lock would see: the zombie's pid answers kill(pid, 0). */
async function killIntoAnsweringZombie(pid: number): Promise<void> {
  await killIntoZombie(pid);
  expect(() => process.kill(pid, 0)).not.toThrow();
}

describe('the SQS data directory', () => {
  it('opens at once while the killed previous holder is still an unreaped zombie', async () => {
    // Arrange
    const dataDir = dataDirectory();
    const holder = await startUnreapedHolder('sqs', dataDir);
    await killIntoAnsweringZombie(holder);

    // Act
    const endpoint = await startSqsEndpoint({ dataDir });
    try {
      // Assert
      const sqs = new SQSClient({ ...clientOptions, endpoint: endpoint.url });
      await expect(sqs.send(new ListQueuesCommand({}))).resolves.toBeDefined();
      sqs.destroy();
      expect(processState(holder)).toBe('Z');
    } finally {
      await endpoint.close();
    }
  });

  it('is not blocked by a lock file naming a live process that is no endpoint (a reused pid)', async () => {
    // Arrange: the pid of a live process of someone else, as a container's pid reuse produces
    const dataDir = dataDirectory();
    const unrelated = startUnrelatedProcess();
    writeFileSync(join(dataDir, 'lock'), String(unrelated));

    // Act
    const endpoint = await startSqsEndpoint({ dataDir });

    // Assert
    await endpoint.close();
    expect(processState(unrelated)).toMatch(/^[RS]$/);
  });
});

describe('the DynamoDB data directory (dynalite on LevelDB)', () => {
  it('opens while the killed previous holder is still an unreaped zombie (LevelDB LOCK is released by the kernel)', async () => {
    // Arrange: the holder created table 'held', so LevelDB is open and its LOCK taken
    const dataDir = dataDirectory();
    const holder = await startUnreapedHolder('dynamodb', dataDir);
    await killIntoAnsweringZombie(holder);

    // Act
    const dynamodb = await startDynamoDb({ dataDir });
    const client = new DynamoDBClient({ ...clientOptions, endpoint: dynamodb.url });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: 'after-the-zombie',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );

      // Assert: the holder's table and ours, one open database
      expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['after-the-zombie', 'held']);
    } finally {
      client.destroy();
      await dynamodb.close();
    }
  });
});

describe('the twin data directory (JOBS_DATA_DIR)', () => {
  const twinEnv = (dataDir: string) => ({ ...FAST_TWIN_ENV, JOBS_IN_MEMORY: '0', JOBS_DATA_DIR: dataDir });
  let running: Twin | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('refuses a directory a live twin holds, after a wait, naming the directory and JOBS_DATA_DIR', async () => {
    // Arrange
    const dataDir = dataDirectory();
    running = await startTwin({ env: twinEnv(dataDir) });

    // Act
    const second = startTwin({ env: twinEnv(dataDir) });

    // Assert
    const error = (await second.then(
      () => undefined,
      (reason: unknown) => reason,
    )) as Error;
    expect(error.message).toContain(dataDir);
    expect(error.message).toMatch(/another (running )?twin/);
    expect(error.message).toContain('JOBS_DATA_DIR');
    // The first twin is unharmed.
    const health = await fetch(`${running.url}/v1/jobs?status=queued`, { headers: { 'x-api-key': running.dev.apiKey } });
    expect(health.status).toBe(200);
  }, 20_000);

  it('takes the directory as soon as a twin stopping within the wait lets go of it', async () => {
    // Arrange
    const dataDir = dataDirectory();
    const first = await startTwin({ env: twinEnv(dataDir) });

    // Act: a restart begins while the first twin is still stopping
    const second = startTwin({ env: twinEnv(dataDir) });
    await first.close();
    running = await second;

    // Assert
    const health = await fetch(`${running.url}/v1/jobs?status=queued`, { headers: { 'x-api-key': running.dev.apiKey } });
    expect(health.status).toBe(200);
    expect(running.dev.apiKey).toBe(first.dev.apiKey);
  }, 20_000);
});
