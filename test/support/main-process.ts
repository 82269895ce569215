/**
 * `npm start` as a child process (`node --import tsx local/main.ts`), for tests
 * that stop it the hard way (`kill -9`) or the polite way (SIGTERM). The banner
 * tells the test where the API is and which key to use.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface MainProcess {
  readonly url: string;
  readonly apiKey: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
}

const REPO_ROOT = resolve(__dirname, '..', '..');

export async function startMainProcess(env: Record<string, string>, startTimeoutMs = 30_000): Promise<MainProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, JOBS_IN_MEMORY: '0', PORT: '0', POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolveExit) => child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown')));

  const banner = await new Promise<{ url: string; apiKey: string }>((resolveBanner, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the twin did not start within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const check = () => {
      const url = /^\s+API\s+(http:\/\/\S+)/m.exec(output)?.[1];
      const apiKey = /^\s+API key\s+(\S+)/m.exec(output)?.[1];
      if (url && apiKey) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolveBanner({ url, apiKey });
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the twin exited (${code}) before it was ready:\n${output}`));
    });
  });
  return { ...banner, child, output: () => output, exited };
}
