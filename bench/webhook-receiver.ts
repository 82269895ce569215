/**
 * The webhook receiver of the bench's webhook run: a real HTTP server on
 * loopback that checks each delivery's Standard Webhooks signature with the
 * tenant's secret (as a customer's receiver would, with the `standardwebhooks`
 * package) and answers 204. Counts distinct events delivered: the run ends
 * when every job's event has arrived.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface WebhookReceiver {
  readonly url: string;
  /** Distinct `webhook-id`s that arrived with a valid signature. */
  readonly delivered: () => number;
  /** Deliveries refused for a bad signature (answered 400). */
  readonly refused: () => number;
  /** All POSTs, retries included. */
  readonly requests: () => number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secrets: readonly string[]): Promise<WebhookReceiver> {
  const verifiers = secrets.map((secret) => new Webhook(secret));
  const ids = new Set<string>();
  let refused = 0;
  let requests = 0;
  const verified = (body: string, headers: IncomingHttpHeaders) =>
    verifiers.some((verifier) => {
      try {
        verifier.verify(body, headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests++;
      const id = req.headers['webhook-id'];
      if (typeof id === 'string' && verified(Buffer.concat(chunks).toString('utf8'), req.headers)) {
        ids.add(id);
        res.writeHead(204).end();
      } else {
        refused++;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/bench`,
    delivered: () => ids.size,
    refused: () => refused,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
