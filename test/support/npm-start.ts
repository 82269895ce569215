/**
 * `npm start` exactly as a user or a supervisor runs it: `npm` → `sh` → `tsx`
 * → node, in a process group of its own (detached), so a test can kill the
 * whole group at once the way a supervisor does (`kill -9 -<pgid>`). The
 * banner tells where the API is and which key to use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface NpmStart {
  readonly url: string;
  readonly apiKey: string;
  readonly webhookSecret: string;
  /** The embedded DynamoDB's endpoint, for a checker reading the table directly. */
  readonly dynamodbUrl: string;
  readonly child: ChildProcess;
  /** Everything the group printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL to every process of the group; returns without waiting for any of them to be reaped. */
  killGroup(): void;
  /** SIGTERM to the group, as a supervisor stops it; resolves once npm exited (its code; null when the signal ended it). */
  stop(): Promise<number | null>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');

export async function startNpmStart(env: Record<string, string>, startTimeoutMs = 30_000): Promise<NpmStart> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    detached: true,
    env: { ...process.env, JOBS_IN_MEMORY: '0', PORT: '0', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };

  const banner = await new Promise<{ url: string; apiKey: string; webhookSecret: string; dynamodbUrl: string }>((resolveBanner, reject) => {
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`npm start did not print its banner within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const check = () => {
      const url = /^\s+API\s+(http:\/\/\S+)/m.exec(output)?.[1];
      const apiKey = /^\s+API key\s+(\S+)/m.exec(output)?.[1];
      const webhookSecret = /^\s+webhook secret\s+(\S+)/m.exec(output)?.[1];
      const dynamodbUrl = /^\s+DynamoDB endpoint\s+(http:\/\/\S+)/m.exec(output)?.[1];
      if (url && apiKey && webhookSecret && dynamodbUrl) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolveBanner({ url, apiKey, webhookSecret, dynamodbUrl });
      }
    };
    child.stdout.on('data', check);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode);
    else child.once('exit', (code) => done(code));
  });
  const stop = async () => {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    return exited;
  };
  return { ...banner, child, output: () => output, killGroup, stop };
}
