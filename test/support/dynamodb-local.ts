/**
 * AWS's own DynamoDB Local, for store tests that must see what real DynamoDB
 * does where dynalite differs (a Map's key order, ReturnValuesOnConditionCheckFailure).
 *
 * The jar ships in the npm package `amplify-dynamodb-simulator`, fetched with
 * `npm pack` into node_modules/.cache (./packed-package.ts) by jest's
 * globalSetup. A missing Java or a failed download fails the run loudly: these
 * tests are never skipped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensurePackedPackage, packedPackageDir } from './packed-package';
import { waitFor } from './wait-for';

const DYNAMODB_LOCAL = {
  spec: 'amplify-dynamodb-simulator@2.9.30',
  integrity: 'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==',
  extract: 'package/emulator',
  marker: 'emulator/DynamoDBLocal.jar',
};
export const DYNAMODB_LOCAL_PACKAGE = DYNAMODB_LOCAL.spec;

/** Where DynamoDBLocal.jar and its DynamoDBLocal_lib/ live once fetched. */
export const EMULATOR_DIR = join(packedPackageDir(DYNAMODB_LOCAL.spec), 'emulator');
const JAR = join(EMULATOR_DIR, 'DynamoDBLocal.jar');

/** Fetches and unpacks the jar unless it is already there. Safe to call from several processes. */
export function ensureDynamoDbLocal(): string {
  ensurePackedPackage(DYNAMODB_LOCAL);
  return EMULATOR_DIR;
}

export interface DynamoDbLocal {
  readonly url: string;
  /** A client for it (any credentials: `-sharedDb`). */
  client(): DynamoDBClient;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Starts DynamoDB Local in memory on a free port and waits until it answers. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const emulator = ensureDynamoDbLocal();
  const port = await freePort();
  const child: ChildProcess = spawn(
    'java',
    [`-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`, '-jar', JAR, '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)],
    { cwd: emulator, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const url = `http://127.0.0.1:${port}`;
  const client = () =>
    new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 });
  const probe = client();
  try {
    const outcome = await waitFor(
      async () => {
        // A java that is missing or that exited is final: stop waiting at once.
        if (spawnError || child.exitCode !== null) return 'died' as const;
        await probe.send(new ListTablesCommand({}));
        return 'up' as const;
      },
      { timeoutMs: 90_000, intervalMs: 100, description: 'DynamoDB Local answering' },
    );
    if (outcome === 'died') {
      throw new Error(spawnError ? `cannot run java: ${spawnError.message}` : `DynamoDB Local exited (${child.exitCode}): ${stderr}`);
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    probe.destroy();
  }
  return {
    url,
    client,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
