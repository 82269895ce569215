import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server of the twin, listening on loopback only. */
export interface LoopbackServer {
  url: string;
  port: number;
  /** Stops listening and ends open (keep-alive) connections. */
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (`port` 0: any free port) and reports where. */
export async function listenOnLoopback(server: Server, port = 0): Promise<LoopbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
