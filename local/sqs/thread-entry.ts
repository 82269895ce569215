/**
 * The SQS endpoint's thread (./thread.ts bundles this file and runs it on a
 * worker thread): starts the endpoint with the options it was given, says where
 * it listens, and closes it when asked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startSqsEndpoint, type SqsEndpointOptions } from './index';

export type ThreadMessage =
  | { readonly url: string; readonly port: number }
  | { readonly failed: { readonly name: string; readonly message: string; readonly stack?: string } }
  | { readonly closed: true };

const port = parentPort!;
startSqsEndpoint(workerData as SqsEndpointOptions).then(
  (endpoint) => {
    port.once('message', () => {
      void endpoint.close().then(() => port.postMessage({ closed: true } satisfies ThreadMessage));
    });
    port.postMessage({ url: endpoint.url, port: endpoint.port } satisfies ThreadMessage);
  },
  (error: unknown) => {
    const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ failed: { name, message, stack } } satisfies ThreadMessage);
  },
);
