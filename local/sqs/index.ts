import { Journal } from './journal';
import { runOperation } from './operations';
import { QueueRegistry } from './queue-registry';
import { listenSqsHttp } from './server';
import { answerTwinRoute } from './twin-routes';

/**
 * An SQS-compatible endpoint for the local twin and for tests: the AWS JSON
 * protocol that @aws-sdk/client-sqs speaks, standard queues with fair-queue
 * delivery by MessageGroupId, long polling, visibility timeouts, dead-letter
 * redrive, and (with `dataDir`) messages kept across restarts and crashes;
 * plus the twin's own `GET /twin/…` side route (./twin-routes.ts).
 */
export interface SqsEndpointOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Persist here (created if missing); omit to keep everything in memory. */
  dataDir?: string;
  /** @default '000000000000' */
  accountId?: string;
  /** For ARNs. @default 'us-east-1' */
  region?: string;
  /** When a message group counts as noisy. @default { minInFlight: 30, shareThreshold: 0.1 } */
  fairness?: { minInFlight: number; shareThreshold: number };
  /** Clock in epoch ms for delays, visibility and timestamps. @default Date.now */
  now?: () => number;
}

export interface SqsEndpoint {
  /** `http://127.0.0.1:PORT`; QueueUrls are `${url}/${accountId}/${name}`. */
  url: string;
  port: number;
  /** Stops accepting, ends pending long polls with empty results, flushes the journal. */
  close(): Promise<void>;
}

export async function startSqsEndpoint(options: SqsEndpointOptions = {}): Promise<SqsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const journal = options.dataDir !== undefined ? await Journal.open(options.dataDir) : undefined;
  try {
    const registry = new QueueRegistry({
      now: options.now ?? Date.now,
      accountId: options.accountId ?? '000000000000',
      region: options.region ?? 'us-east-1',
      fairness: options.fairness ?? { minInFlight: 30, shareThreshold: 0.1 },
      journal,
    });
    if (journal) registry.load(journal);
    const server = await listenSqsHttp(
      (operation, input, signal) => runOperation(registry, operation, input, signal),
      options.port ?? 0,
      host,
      (method, path) => answerTwinRoute(registry, method, path),
    );
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
    registry.baseUrl = url;
    let closing: Promise<void> | undefined;
    return {
      url,
      port: server.port,
      close() {
        closing ??= server.close(() => registry.endWaits()).finally(async () => {
          registry.flush();
          await journal?.close();
        });
        return closing;
      },
    };
  } catch (error) {
    await journal?.close();
    throw error;
  }
}
