/**
 * AWS's own DynamoDB Local, for store tests that must see what real DynamoDB
 * does where dynalite differs (a Map's key order, ReturnValuesOnConditionCheckFailure).
 *
 * The jar ships in the npm package `amplify-dynamodb-simulator`; it is fetched
 * with `npm pack` (nothing installed, no install scripts) into a git-ignored
 * cache under node_modules, once per machine, by jest's globalSetup
 * (test/global-setup.ts). A missing Java or a failed download fails the run
 * loudly: these tests are never skipped.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { waitFor } from './wait-for';

export const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
/** The registry's integrity of that tarball (npm pack checks it too; this pins it). */
const PACKAGE_INTEGRITY = 'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';

const CACHE_DIR = resolve(__dirname, '../../node_modules/.cache/dynamodb-local', DYNAMODB_LOCAL_PACKAGE.replace('@', '-'));
/** Where DynamoDBLocal.jar and its DynamoDBLocal_lib/ live once fetched. */
export const EMULATOR_DIR = join(CACHE_DIR, 'emulator');
const JAR = join(EMULATOR_DIR, 'DynamoDBLocal.jar');

/** Fetches and unpacks the jar unless it is already there. Safe to call from several processes. */
export function ensureDynamoDbLocal(): string {
  if (existsSync(JAR)) return EMULATOR_DIR;
  mkdirSync(resolve(CACHE_DIR, '..'), { recursive: true });
  const work = mkdtempSync(`${CACHE_DIR}.download-`);
  try {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', DYNAMODB_LOCAL_PACKAGE, '--json', '--ignore-scripts', '--pack-destination', work], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    ) as Array<{ filename: string }>;
    const tarball = join(work, packed.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== PACKAGE_INTEGRITY) throw new Error(`${DYNAMODB_LOCAL_PACKAGE}: unexpected tarball integrity ${integrity}`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/emulator'], { stdio: 'inherit' });
    rmSync(tarball);
    // One rename publishes the whole directory; a concurrent fetch that lost the race just drops its copy.
    try {
      renameSync(join(work, 'package'), CACHE_DIR);
    } catch (error) {
      if (!existsSync(JAR)) throw error;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(JAR)) throw new Error(`${DYNAMODB_LOCAL_PACKAGE} has no emulator/DynamoDBLocal.jar`);
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
      { timeoutMs: 30_000, intervalMs: 100, description: 'DynamoDB Local answering' },
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
