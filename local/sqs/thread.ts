/**
 * The SQS endpoint on a worker thread of its own, as the twin runs it: its HTTP
 * parsing, JSON and queue work no longer queue behind the handlers on the one
 * JavaScript thread (the twin is still one process: a `kill -9` takes both, and
 * the journal is written as before).
 *
 * A worker thread gets no TypeScript loader (tsx's, jest's), so the endpoint's
 * modules are bundled into one CommonJS text with esbuild, once per process,
 * and run from it.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { DirectoryInUseError } from '../directory-lock';
import type { SqsEndpoint, SqsEndpointOptions } from './index';
import type { ThreadMessage } from './thread-entry';

/** What a thread takes: plain data (a clock cannot cross to another thread). */
export type ThreadedSqsEndpointOptions = Omit<SqsEndpointOptions, 'now'>;

let bundled: string | undefined;

function threadSource(): string {
  bundled ??= buildSync({
    entryPoints: [join(__dirname, 'thread-entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    write: false,
    logLevel: 'silent',
  }).outputFiles[0].text;
  return bundled;
}

export async function startSqsEndpointOnThread(options: ThreadedSqsEndpointOptions = {}): Promise<SqsEndpoint> {
  const worker = new Worker(threadSource(), { eval: true, workerData: options });
  const next = () =>
    new Promise<ThreadMessage>((resolve, reject) => {
      const fail = (error: unknown) => reject(error instanceof Error ? error : new Error(`SQS endpoint thread: ${String(error)}`));
      worker.once('error', fail);
      worker.once('exit', (code) => fail(`exited with code ${code}`));
      worker.once('message', (message: ThreadMessage) => {
        worker.removeAllListeners('error').removeAllListeners('exit');
        resolve(message);
      });
    });
  const started = await next();
  if ('failed' in started) {
    await worker.terminate();
    // The one error a person starting the twin is told plainly (local/main.ts), kept as its class.
    const error = started.failed.name === 'DirectoryInUseError' ? new DirectoryInUseError(started.failed.message) : new Error(started.failed.message);
    if (started.failed.stack) error.stack = started.failed.stack;
    throw error;
  }
  if (!('url' in started)) throw new Error('SQS endpoint thread: no address');
  // After the start, the endpoint failing is the twin failing, as it was on the twin's own thread.
  const crash = (error: Error) => {
    throw error;
  };
  worker.on('error', crash);
  let closing: Promise<void> | undefined;
  return {
    url: started.url,
    port: started.port,
    close() {
      closing ??= (async () => {
        worker.off('error', crash);
        const closed = next();
        worker.postMessage('close');
        await closed;
        await worker.terminate();
      })();
      return closing;
    },
  };
}
