/**
 * The small files the twin keeps in its data directory survive a `kill -9` at
 * any instant (issue 9, class 7's siblings): `dev-tenant.json` cut by a crash
 * (empty or torn, as a crash between an older version's truncate and write left
 * it) does not stop the next start, and a `twin.json` left by a killed twin is
 * not left naming ports nobody listens on.
 */
import { createServer, type Server } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startTwin, type Twin } from '../../local/twin';
import { FAST_TWIN_ENV } from '../support/twin';

const directories: string[] = [];
let twin: Twin | undefined;

function dataDirectory(): string {
  const path = mkdtempSync(join(tmpdir(), 'jobs-twin-files-'));
  directories.push(path);
  return path;
}
const twinEnv = (dataDir: string, extra: Record<string, string> = {}) => ({ ...FAST_TWIN_ENV, JOBS_IN_MEMORY: '0', JOBS_DATA_DIR: dataDir, ...extra });

afterEach(async () => {
  await twin?.close();
  twin = undefined;
});
afterAll(() => {
  for (const path of directories) rmSync(path, { recursive: true, force: true });
});

describe('dev-tenant.json', () => {
  it.each([
    ['empty', ''],
    ['torn', '{\n  "tenantId": "dev",\n  "apiKey": "jobs_'],
    ['not the shape it should have', '{"tenantId": 7}'],
  ])('cut by a crash (%s): the twin starts, prints a key that works and keeps it from then on', async (_what, content) => {
    // Arrange
    const dataDir = dataDirectory();
    writeFileSync(join(dataDir, 'dev-tenant.json'), content);

    // Act
    twin = await startTwin({ env: twinEnv(dataDir) });

    // Assert
    const list = await fetch(`${twin.url}/v1/jobs?status=queued`, { headers: { 'x-api-key': twin.dev.apiKey } });
    expect(list.status).toBe(200);
    expect(JSON.parse(readFileSync(join(dataDir, 'dev-tenant.json'), 'utf8'))).toEqual(twin.dev);
    const first = twin.dev;
    await twin.close();
    twin = await startTwin({ env: twinEnv(dataDir) });
    expect(twin.dev).toEqual(first);
  });
});

describe('twin.json', () => {
  it('left by a killed twin does not outlive a start that fails', async () => {
    // Arrange: a stale file naming a twin that is gone, and a DynamoDB port someone else holds
    const dataDir = dataDirectory();
    writeFileSync(join(dataDir, 'twin.json'), JSON.stringify({ apiUrl: 'http://127.0.0.1:1', dynamodbUrl: 'http://127.0.0.1:2', tableName: 'jobs' }));
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as AddressInfo).port;

    try {
      // Act
      await expect(startTwin({ env: twinEnv(dataDir, { JOBS_DYNAMODB_PORT: String(port) }) })).rejects.toThrow(/EADDRINUSE/);

      // Assert
      expect(existsSync(join(dataDir, 'twin.json'))).toBe(false);
    } finally {
      squatter.close();
    }
  });

  it('names the running twin, and is gone after it stops', async () => {
    // Arrange
    const dataDir = dataDirectory();
    writeFileSync(join(dataDir, 'twin.json'), '{"apiUrl": "http://127.0.0.1:1", "dyn');

    // Act
    twin = await startTwin({ env: twinEnv(dataDir) });

    // Assert
    expect(JSON.parse(readFileSync(join(dataDir, 'twin.json'), 'utf8'))).toEqual({
      apiUrl: twin.url, dynamodbUrl: twin.dynamodbUrl, sqsUrl: twin.sqsUrl, tableName: twin.config.tableName, lockAddress: expect.any(String),
    });
    await twin.close();
    twin = undefined;
    expect(existsSync(join(dataDir, 'twin.json'))).toBe(false);
  });
});
