import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { NetworkError, RequestTimeoutError, UnsafeTargetError } from '../../../lambdas/outbound/errors';
import { parseRetryAfter, sendPinnedRequest } from '../../../lambdas/outbound/pinned-request';
import type { Resolver } from '../../../lambdas/outbound/url-guard';
import { waitFor } from '../../support/wait-for';

interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real HTTP server on 127.0.0.1 that records what reaches it. */
interface TestServer {
  port: number;
  origin: string;
  received: ReceivedRequest[];
  connections: number;
  close(): Promise<void>;
}

async function startServer(respond: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<TestServer> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      respond(req, res, body);
    });
  });
  const state = { connections: 0 };
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    received,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A resolver that answers every name from a fixed table and counts its calls. */
function tableResolver(table: Record<string, string>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    const address = table[hostname];
    if (address === undefined) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    const family: 4 | 6 = address.includes(':') ? 6 : 4;
    return [{ address, family }];
  };
  return Object.assign(resolver, { calls });
}

const LOCAL = { allowPrivate: true } as const;

describe('sendPinnedRequest', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends the method, headers and body, and returns status, headers and body', async () => {
    // Arrange
    server = await startServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-reply': 'yes' });
      res.end('{"created":true}');
    });

    // Act
    const response = await sendPinnedRequest({
      url: `${server.origin}/jobs?x=1`,
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-job-id': 'job_1' },
      body: '{"hello":"wörld"}',
      timeoutMs: 5000,
      policy: LOCAL,
    });

    // Assert
    expect(server.received).toEqual([
      expect.objectContaining({
        method: 'PUT',
        url: '/jobs?x=1',
        body: '{"hello":"wörld"}',
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'x-job-id': 'job_1',
          'content-length': String(Buffer.byteLength('{"hello":"wörld"}')),
          host: `127.0.0.1:${server.port}`,
        }),
      }),
    ]);
    expect(response).toEqual({
      status: 201,
      headers: expect.objectContaining({ 'content-type': 'application/json', 'x-reply': 'yes' }),
      body: '{"created":true}',
      truncated: false,
      durationMs: expect.any(Number),
    });
  });

  it('returns a 3xx as it is, without following the redirect', async () => {
    // Arrange
    server = await startServer((req, res) => {
      if (req.url === '/start') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end('followed');
    });

    // Act
    const response = await sendPinnedRequest({ url: `${server.origin}/start`, method: 'GET', headers: {}, timeoutMs: 5000, policy: LOCAL });

    // Assert
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('/elsewhere');
    expect(server.received.map((r) => r.url)).toEqual(['/start']);
  });

  it('times out a server that never answers, within the deadline', async () => {
    // Arrange
    server = await startServer(() => {
      /* never respond */
    });
    const timeoutMs = 300;
    const started = performance.now();

    // Act
    const attempt = sendPinnedRequest({ url: `${server.origin}/hang`, method: 'POST', headers: {}, body: '{}', timeoutMs, policy: LOCAL });

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(RequestTimeoutError);
    await expect(attempt).rejects.toMatchObject({ retryable: true, timeoutMs });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 20);
    expect(elapsed).toBeLessThan(timeoutMs + 1000);
  });

  it('ends the request, closing its connection, when the caller aborts', async () => {
    // Arrange: a server that never answers, and that notices the connection closing.
    let closedByClient = false;
    const hanging = await startServer((req) => {
      req.socket.on('close', () => (closedByClient = true));
    });
    server = hanging;
    const abort = new AbortController();

    // Act
    const attempt = sendPinnedRequest({ url: `${hanging.origin}/hang`, method: 'POST', headers: {}, body: '{}', timeoutMs: 30_000, policy: LOCAL, signal: abort.signal });
    await waitFor(() => hanging.received.length === 1, { timeoutMs: 2000, description: 'the request to arrive' });
    abort.abort();

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'NetworkError', code: 'ABORT_ERR', retryable: true });
    await waitFor(() => closedByClient, { timeoutMs: 2000, description: 'the connection to close' });
  });

  it('sends nothing when the signal is already aborted', async () => {
    const idle = await startServer((_req, res) => res.end('no'));
    server = idle;
    const attempt = sendPinnedRequest({ url: idle.origin, method: 'GET', headers: {}, timeoutMs: 1000, policy: LOCAL, signal: AbortSignal.abort() });
    await expect(attempt).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(idle.connections).toBe(0);
  });

  it('times out a server that stalls in the middle of the body', async () => {
    // Arrange
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part of it');
    });

    // Act
    const attempt = sendPinnedRequest({ url: `${server.origin}/`, method: 'GET', headers: {}, timeoutMs: 300, policy: LOCAL });

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it('counts DNS in the deadline', async () => {
    // Arrange
    const neverAnswers: Resolver = () => new Promise(() => {});

    // Act
    const attempt = sendPinnedRequest({
      url: 'https://slow-dns.example.com/',
      method: 'GET',
      headers: {},
      timeoutMs: 200,
      policy: { allowPrivate: false },
      resolver: neverAnswers,
    });

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it('reports a refused connection as a retryable NetworkError', async () => {
    // Arrange: a port that was just free
    const closed = await startServer(() => {});
    await closed.close();

    // Act
    const attempt = sendPinnedRequest({ url: `${closed.origin}/`, method: 'GET', headers: {}, timeoutMs: 5000, policy: LOCAL });

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(NetworkError);
    await expect(attempt).rejects.toMatchObject({ retryable: true, code: 'ECONNREFUSED', message: `connection refused by 127.0.0.1:${closed.port}` });
  });

  it('reports a connection reset mid-response as a retryable NetworkError', async () => {
    // Arrange
    server = await startServer((req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial', () => req.socket.destroy());
    });

    // Act
    const attempt = sendPinnedRequest({ url: `${server.origin}/`, method: 'GET', headers: {}, timeoutMs: 5000, policy: LOCAL });

    // Assert
    await expect(attempt).rejects.toMatchObject({ name: 'NetworkError', retryable: true });
  });

  it('connects to the resolved address while keeping the original Host', async () => {
    // Arrange
    server = await startServer((_req, res) => res.end('pinned'));
    const resolver = tableResolver({ 'target.test': '127.0.0.1' });

    // Act
    const response = await sendPinnedRequest({
      url: `http://target.test:${server.port}/x`,
      method: 'GET',
      headers: { Host: 'evil.example' },
      timeoutMs: 5000,
      policy: LOCAL,
      resolver,
    });

    // Assert: target.test exists in no real DNS, so only the pinned address can have been used
    expect(response.body).toBe('pinned');
    expect(resolver.calls).toEqual(['target.test']);
    expect(server.received).toEqual([expect.objectContaining({ url: '/x', headers: expect.objectContaining({ host: `target.test:${server.port}` }) })]);
  });

  it.each([
    ['plain http', (port: number) => `http://target.test:${port}/x`],
    ['a name resolving to loopback', (port: number) => `https://target.test:${port}/x`],
    ['a literal loopback address', (port: number) => `https://127.0.0.1:${port}/x`],
  ])('without allowPrivate, blocks %s before any connection', async (_case, urlFor) => {
    // Arrange
    server = await startServer((_req, res) => res.end('should not happen'));
    const resolver = tableResolver({ 'target.test': '127.0.0.1' });

    // Act
    const attempt = sendPinnedRequest({
      url: new URL(urlFor(server.port)),
      method: 'POST',
      headers: {},
      body: 'x',
      timeoutMs: 5000,
      policy: { allowPrivate: false },
      resolver,
    });

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(UnsafeTargetError);
    await expect(attempt).rejects.toMatchObject({ retryable: false });
    expect(server.connections).toBe(0);
    expect(server.received).toEqual([]);
  });

  it('blocks cloud metadata even with allowPrivate', async () => {
    const attempt = sendPinnedRequest({
      url: 'http://metadata.test/latest/meta-data/',
      method: 'GET',
      headers: {},
      timeoutMs: 5000,
      policy: LOCAL,
      resolver: tableResolver({ 'metadata.test': '169.254.169.254' }),
    });

    await expect(attempt).rejects.toThrow(/cloud metadata address/);
  });

  it('uses the original hostname for TLS SNI when pinned to an address', async () => {
    // Arrange: a TLS server that records the SNI name and then refuses the handshake
    const sniNames: string[] = [];
    const tlsServer = tls.createServer({
      SNICallback: (servername, callback) => {
        sniNames.push(servername);
        callback(new Error('no certificate here'));
      },
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const { port } = tlsServer.address() as AddressInfo;

    try {
      // Act
      const attempt = sendPinnedRequest({
        url: `https://target.test:${port}/`,
        method: 'GET',
        headers: {},
        timeoutMs: 5000,
        policy: LOCAL,
        resolver: tableResolver({ 'target.test': '127.0.0.1' }),
      });

      // Assert
      await expect(attempt).rejects.toMatchObject({ name: 'NetworkError', retryable: true });
      expect(sniNames).toEqual(['target.test']);
    } finally {
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });

  it('keeps at most maxResponseBytes of the body and flags the cut', async () => {
    // Arrange
    server = await startServer((_req, res) => res.end('x'.repeat(10_000)));

    // Act
    const response = await sendPinnedRequest({ url: server.origin, method: 'GET', headers: {}, timeoutMs: 5000, policy: LOCAL, maxResponseBytes: 100 });

    // Assert
    expect(response.body).toBe('x'.repeat(100));
    expect(response.truncated).toBe(true);
  });

  it('does not flag a body of exactly maxResponseBytes', async () => {
    server = await startServer((_req, res) => res.end('y'.repeat(100)));

    const response = await sendPinnedRequest({ url: server.origin, method: 'GET', headers: {}, timeoutMs: 5000, policy: LOCAL, maxResponseBytes: 100 });

    expect(response).toMatchObject({ body: 'y'.repeat(100), truncated: false });
  });

  it('stops reading a body that never ends once the cap is reached', async () => {
    // Arrange: a server streaming until the client goes away
    server = await startServer((_req, res) => {
      res.writeHead(200);
      const pump = (): void => {
        while (!res.destroyed && res.write('z'.repeat(1024)));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const timeoutMs = 10_000;

    // Act
    const response = await sendPinnedRequest({ url: server.origin, method: 'GET', headers: {}, timeoutMs, policy: LOCAL, maxResponseBytes: 4096 });

    // Assert
    expect(response.body).toHaveLength(4096);
    expect(response.truncated).toBe(true);
    expect(response.durationMs).toBeLessThan(timeoutMs);
  });

  it('rejects a header value Node cannot send, without echoing it', async () => {
    server = await startServer((_req, res) => res.end());

    const attempt = sendPinnedRequest({
      url: server.origin,
      method: 'POST',
      headers: { 'x-token': 'secret-value\r\ninjected: 1' },
      timeoutMs: 5000,
      policy: LOCAL,
    });

    const error: unknown = await attempt.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequestError', retryable: false });
    expect((error as Error).message).not.toContain('secret-value');
    expect(server.received).toEqual([]);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 11, 1, 10, 0, 0);

  it.each<[string | undefined, number | undefined]>([
    ['120', 120],
    [' 0 ', 0],
    ['Tue, 01 Dec 2026 10:01:30 GMT', 90],
    ['Tue, 01 Dec 2026 09:00:00 GMT', 0],
    ['Tuesday, 01-Dec-26 10:00:10 GMT', 10],
    [undefined, undefined],
    ['', undefined],
    ['-5', undefined],
    ['1.5', undefined],
    ['soon', undefined],
  ])('reads %p as %p seconds', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('reads any number of seconds as itself', () => {
    fc.assert(fc.property(fc.nat(), (seconds) => parseRetryAfter(String(seconds), now) === seconds));
  });

  it('reads any future HTTP date as the seconds until it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 365 * 86_400 }), (seconds) => {
        const header = new Date(now + seconds * 1000).toUTCString();
        return parseRetryAfter(header, now) === seconds;
      }),
    );
  });

  it('never throws and never answers a negative or fractional number', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const seconds = parseRetryAfter(value, now);
        return seconds === undefined || (Number.isInteger(seconds) && seconds >= 0);
      }),
    );
  });
});
