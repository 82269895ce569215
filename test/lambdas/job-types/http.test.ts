import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { httpJobType, type HttpPayload } from '../../../lambdas/job-types/http';
import { FatalJobError, JobTimeoutError, RetryableJobError } from '../../../lambdas/jobs/errors';
import { generateWebhookSecret } from '../../../lambdas/outbound/signer';
import { jobContextFactory, recordingLogger, TEST_SECRET } from './job-context';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Target {
  url: string;
  received: Received[];
}

type Respond = (res: ServerResponse, req: IncomingMessage) => void;

const servers: http.Server[] = [];

/** A real HTTP server on 127.0.0.1 that records every request and answers with `respond`. */
async function startTarget(respond: Respond = (res) => res.end('ok')): Promise<Target> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(res, req);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received };
}

function reply(status: number, headers: Record<string, string> = {}, body = ''): Respond {
  return (res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

async function waitFor(condition: () => boolean, deadlineMs = 2_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  if ('result' in outcome) throw new Error(`expected a failure, got ${JSON.stringify(outcome.result)}`);
  return outcome.error as Error;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

describe('http job: outcome', () => {
  it.each([200, 201, 204])('%i succeeds with the status and the body', async (status) => {
    const target = await startTarget(reply(status, {}, status === 204 ? '' : 'done'));

    const result = await httpJobType.handle({ url: `${target.url}/hook` }, jobContextFactory());

    expect(result).toEqual({ status, body: status === 204 ? '' : 'done' });
  });

  it('cuts a large body so the result stays within 4 KiB of JSON', async () => {
    // Arrange: characters that grow when escaped (quotes, newlines) or encoded (é, emoji)
    const sent = 'a"b\nc é 👋 '.repeat(2_000);
    const target = await startTarget(reply(200, { 'content-type': 'text/plain; charset=utf-8' }, sent));

    // Act
    const result = (await httpJobType.handle({ url: target.url }, jobContextFactory())) as { status: number; body: string; truncated?: boolean };

    // Assert
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeGreaterThan(4000);
    expect(result.status).toBe(200);
    expect(result.truncated).toBe(true);
    expect(sent.startsWith(result.body)).toBe(true);
  });

  it.each<[number, Record<string, string>, number | undefined]>([
    [503, { 'retry-after': '7' }, 7],
    [429, { 'retry-after': '3' }, 3],
    [503, {}, undefined],
    [500, { 'retry-after': '7' }, undefined],
    [502, {}, undefined],
    [408, {}, undefined],
    [429, {}, undefined],
  ])('%i (headers %j) is retryable with minDelaySeconds %s', async (status, headers, minDelaySeconds) => {
    const target = await startTarget(reply(status, headers));

    const failure = await failureOf(httpJobType.handle({ url: target.url }, jobContextFactory()));

    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(failure.message).toBe(`HTTP ${status} from target`);
    expect((failure as RetryableJobError).minDelaySeconds).toBe(minDelaySeconds);
  });

  it.each([400, 401, 404, 410, 422])('%i is fatal', async (status) => {
    const target = await startTarget(reply(status));

    const failure = await failureOf(httpJobType.handle({ url: target.url }, jobContextFactory()));

    expect(failure).toBeInstanceOf(FatalJobError);
    expect(failure.message).toBe(`HTTP ${status} from target`);
  });

  it('a redirect is fatal and is not followed', async () => {
    // Arrange
    const elsewhere = await startTarget();
    const target = await startTarget(reply(302, { location: `${elsewhere.url}/moved` }));

    // Act
    const failure = await failureOf(httpJobType.handle({ url: target.url }, jobContextFactory()));

    // Assert
    expect(failure).toBeInstanceOf(FatalJobError);
    expect(failure.message).toBe('HTTP 302 from target (redirects are not followed)');
    expect(target.received).toHaveLength(1);
    expect(elsewhere.received).toHaveLength(0);
  });

  it('a refused connection is retryable', async () => {
    const target = await startTarget();
    const url = target.url;
    await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));

    const failure = await failureOf(httpJobType.handle({ url }, jobContextFactory()));

    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(failure).not.toBeInstanceOf(FatalJobError);
  });

  it('a hanging target times out within the attempt deadline, retryably', async () => {
    const target = await startTarget(() => undefined);
    const started = Date.now();

    const failure = await failureOf(httpJobType.handle({ url: target.url }, jobContextFactory({ timeoutMs: 300 })));

    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(failure.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(target.received).toHaveLength(1);
  });

  it('timeoutSeconds bounds the request when the attempt has longer', async () => {
    const target = await startTarget(() => undefined);
    const started = Date.now();

    const failure = await failureOf(httpJobType.handle({ url: target.url, timeoutSeconds: 1 }, jobContextFactory({ timeoutMs: 10_000 })));

    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('ends the attempt as soon as its signal aborts', async () => {
    // Arrange
    const target = await startTarget(() => undefined);
    const controller = new AbortController();
    const ctx = jobContextFactory({ signal: controller.signal, timeoutMs: 10_000 });

    // Act
    const attempt = failureOf(httpJobType.handle({ url: target.url }, ctx));
    await waitFor(() => target.received.length === 1);
    const abortedAt = Date.now();
    controller.abort();
    const failure = await attempt;

    // Assert
    expect(failure).toBeInstanceOf(JobTimeoutError);
    expect(Date.now() - abortedAt).toBeLessThan(500);
  });

  it('does not start a request when the signal has already aborted', async () => {
    const target = await startTarget();
    const controller = new AbortController();
    controller.abort();

    const failure = await failureOf(httpJobType.handle({ url: target.url }, jobContextFactory({ signal: controller.signal })));

    expect(failure).toBeInstanceOf(JobTimeoutError);
    expect(target.received).toHaveLength(0);
  });

  it.each<[string, string[]]>([
    ['no secret', []],
    ['a malformed secret', ['whsec_not-base64!']],
  ])('with %s the request is fatal and never sent', async (_name, signingSecrets) => {
    const target = await startTarget();

    const failure = await failureOf(httpJobType.handle({ url: target.url }, jobContextFactory({ signingSecrets })));

    expect(failure).toBeInstanceOf(FatalJobError);
    expect(failure.message).toMatch(/^cannot sign the request: /);
    expect(failure.message).not.toContain('not-base64');
    expect(target.received).toHaveLength(0);
  });

  it.each(['http', 'https'])('without allowPrivateTargets a %s://127.0.0.1 target is fatal and never contacted', async (scheme) => {
    const target = await startTarget();
    const url = target.url.replace(/^http/, scheme);

    const failure = await failureOf(httpJobType.handle({ url }, jobContextFactory({ allowPrivateTargets: false })));

    expect(failure).toBeInstanceOf(FatalJobError);
    expect(failure.message).toMatch(/^target blocked: /);
    expect(target.received).toHaveLength(0);
  });
});

describe('http job: the request', () => {
  it('sends the method, path, client headers and service headers, signed over the body', async () => {
    // Arrange
    const target = await startTarget();
    const ctx = jobContextFactory({ attempt: 3 });
    const payload: HttpPayload = {
      url: `${target.url}/orders?id=9`,
      method: 'PUT',
      headers: { Authorization: 'Bearer token-1', 'X-Trace': 'abc' },
      body: { order: 9, items: ['a', 'é'] },
    };

    // Act
    await httpJobType.handle(payload, ctx);

    // Assert
    const [request] = target.received;
    expect(request).toMatchObject({ method: 'PUT', path: '/orders?id=9', body: '{"order":9,"items":["a","é"]}' });
    expect(request.headers).toMatchObject({
      authorization: 'Bearer token-1',
      'x-trace': 'abc',
      'content-type': 'application/json',
      'user-agent': 'JobsService/1',
      'idempotency-key': ctx.jobId,
      'x-job-id': ctx.jobId,
      'x-job-attempt': '3',
      'webhook-id': `${ctx.jobId}.attempt-3`,
    });
    expect(Number(request.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
    expect(() => new Webhook(TEST_SECRET).verify(request.body, request.headers as Record<string, string>)).not.toThrow();
  });

  it('keeps the Idempotency-Key across attempts while each attempt gets its own webhook-id', async () => {
    const target = await startTarget(reply(503));
    const payload = { url: target.url, body: 'same' };

    await failureOf(httpJobType.handle(payload, jobContextFactory({ attempt: 1 })));
    await failureOf(httpJobType.handle(payload, jobContextFactory({ attempt: 2 })));

    const [first, second] = target.received.map((r) => r.headers);
    expect(first['idempotency-key']).toBe(second['idempotency-key']);
    expect([first['x-job-attempt'], second['x-job-attempt']]).toEqual(['1', '2']);
    expect(first['webhook-id']).not.toBe(second['webhook-id']);
  });

  it('signs an empty body when there is none (GET)', async () => {
    const target = await startTarget();

    await httpJobType.handle({ url: target.url, method: 'GET' }, jobContextFactory());

    const [request] = target.received;
    expect(request).toMatchObject({ method: 'GET', body: '' });
    expect(request.headers['content-type']).toBeUndefined();
    expect(() => new Webhook(TEST_SECRET).verify('', request.headers as Record<string, string>)).not.toThrow();
  });

  it('sends a string body as is and keeps the client content-type and user-agent', async () => {
    const target = await startTarget();

    await httpJobType.handle(
      { url: target.url, body: 'a,b\n1,2', headers: { 'Content-Type': 'text/csv', 'User-Agent': 'acme/2' } },
      jobContextFactory(),
    );

    const [request] = target.received;
    expect(request.body).toBe('a,b\n1,2');
    expect(request.headers).toMatchObject({ 'content-type': 'text/csv', 'user-agent': 'acme/2' });
    expect(() => new Webhook(TEST_SECRET).verify('a,b\n1,2', request.headers as Record<string, string>, { jsonParse: false })).not.toThrow();
  });

  it('keeps a JSON body with a client content-type as the client said', async () => {
    const target = await startTarget();

    await httpJobType.handle(
      { url: target.url, method: 'DELETE', body: [1, 2], headers: { 'content-type': 'application/vnd.acme+json' } },
      jobContextFactory(),
    );

    expect(target.received[0]).toMatchObject({ method: 'DELETE', body: '[1,2]' });
    expect(target.received[0].headers['content-type']).toBe('application/vnd.acme+json');
  });

  it('during a secret rotation, a receiver holding either secret can verify', async () => {
    const target = await startTarget();
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()];

    await httpJobType.handle({ url: target.url, body: { a: 1 } }, jobContextFactory({ signingSecrets: [current, previous] }));

    const [request] = target.received;
    const headers = request.headers as Record<string, string>;
    expect(() => new Webhook(current).verify(request.body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(request.body, headers)).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(request.body, headers)).toThrow();
  });

  it('never logs the URL, headers or bodies, and errors carry no header values', async () => {
    const target = await startTarget(reply(500, {}, 'response-secret'));
    const { logger, lines } = recordingLogger();

    const failure = await failureOf(
      httpJobType.handle(
        { url: `${target.url}/private-path`, headers: { Authorization: 'Bearer token-xyz' }, body: 'request-secret' },
        jobContextFactory({ logger }),
      ),
    );

    expect(lines()).not.toMatch(/private-path|token-xyz|request-secret|response-secret/);
    expect(failure.message).not.toMatch(/token-xyz|request-secret|response-secret/);
  });
});
