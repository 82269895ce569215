/**
 * The local twin's front door, playing API Gateway's REST API: it reads the
 * request (up to API Gateway's 10 MB), maps the `x-api-key` to a key id as API
 * Gateway would, builds the REST proxy event the api Lambda gets on AWS, and
 * writes the Lambda's answer back.
 *
 * The event is the one a `/{proxy+}` resource gets on AWS (captured live:
 * hotsock/voker vokerhttp/testdata/apigwv1-request.json): `path`,
 * `pathParameters.proxy` and `requestContext.path` carry the path as the client
 * sent it, still percent-encoded; query parameters arrive decoded. With
 * binaryMediaTypes `*\/*` (lib/jobs-api.ts) every body arrives base64 with
 * `isBase64Encoded: true`, byte for byte, so the Lambda decodes UTF-8 itself.
 * What Node's parser refuses is answered in ./parser-refusals.ts.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HttpProblem, problemDocument } from '../lambdas/api/problem';
import { USAGE_PLAN } from '../lambdas/resources';
import { localApiKeyId } from '../lambdas/store/tenant-store';
import { listenOnLoopback, type LoopbackServer } from './loopback-server';
import { MAX_URL_LENGTH, rawProblemResponse, refusalFor, type ParserError } from './parser-refusals';

/** API Gateway's own payload limit; the api Lambda enforces its 256 KiB itself. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export type LocalApiGateway = LoopbackServer;

export interface ApiGatewayOptions {
  readonly port: number;
  readonly handler: ProxyHandler;
  /** Per-API-key throttle, as the usage plan sets it on AWS. */
  readonly throttle?: { readonly ratePerSecond: number; readonly burst: number };
}

/**
 * API Gateway's per-key throttle: a token bucket refilled at `ratePerSecond`, up
 * to `burst` tokens. An empty bucket answers 429 with Retry-After.
 */
export class KeyThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; returns false when the key is over its rate. */
  take(key: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApiGateway> {
  const limits = options.throttle ?? { ratePerSecond: USAGE_PLAN.rateLimitPerSecond, burst: USAGE_PLAN.burstLimit };
  const throttle = new KeyThrottle(limits.ratePerSecond, limits.burst);
  const server: Server = createServer((req, res) => {
    const requestId = randomUUID();
    const apiKey = req.headers['x-api-key'];
    if (typeof apiKey === 'string' && apiKey.length > 0 && !throttle.take(apiKey)) {
      req.resume();
      gatewayProblem(res, new HttpProblem('rate_limited'), requestId, { 'retry-after': '1' });
      return;
    }
    serve(req, res, options.handler, requestId).catch(() => {
      // A client that went away mid-request has no one to answer; one whose answer is under way keeps it.
      if (res.headersSent || !res.socket?.writable) {
        if (!res.writableEnded) res.destroy();
        return;
      }
      gatewayProblem(res, new HttpProblem('internal_error'), requestId);
    });
  });
  server.on('clientError', (error: ParserError, socket: Duplex) => refuse(error, socket));
  // CONNECT asks for a tunnel, which Node hands to this event, not to the request handler (without a
  // listener it drops the connection): this API is no proxy.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    const problem = new HttpProblem('malformed_request', 'CONNECT asks for a tunnel; this API is not a proxy.');
    socket.end(rawProblemResponse(problem, randomUUID()));
  });
  server.keepAliveTimeout = 5000;
  return listenOnLoopback(server, options.port);
}

/**
 * Answers what the parser refused. A response already under way on this
 * connection is left to finish: if it is this request's own (its body broke
 * off), the problem goes out through it; if it is an earlier pipelined
 * request's, the problem follows it. Either way the connection then closes.
 */
function refuse(error: ParserError, socket: Duplex): void {
  const problem = refusalFor(error);
  if (!problem || !socket.writable) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (!inFlight) {
    socket.end(rawProblemResponse(problem, requestId));
  } else if (!inFlight.req.complete && !inFlight.headersSent) {
    gatewayProblem(inFlight, problem, requestId, { connection: 'close' });
  } else if (inFlight.req.complete) {
    inFlight.once('finish', () => {
      if (socket.writable) socket.end(rawProblemResponse(problem, requestId));
    });
  } else {
    socket.destroy();
  }
}

/**
 * The request target in origin form (`/path?query`), as the proxy event holds
 * it. An absolute-form target (`http://host/path`), which RFC 9112 §3.2.2 asks
 * servers to accept, is read by its path and query; asterisk, authority and
 * relative forms name no resource of this API.
 */
function originForm(target: string): { path: string; query: string } | undefined {
  const absolute = /^https?:\/\/[^/?#]*/i.exec(target);
  let rest = absolute ? target.slice(absolute[0].length) : target;
  if (absolute && !rest.startsWith('/')) rest = `/${rest}`;
  if (!rest.startsWith('/')) return undefined;
  const question = rest.indexOf('?');
  return question < 0 ? { path: rest, query: '' } : { path: rest.slice(0, question), query: rest.slice(question + 1) };
}

async function serve(req: IncomingMessage, res: ServerResponse, handler: ProxyHandler, requestId: string): Promise<void> {
  if ((req.url ?? '').length > MAX_URL_LENGTH) {
    req.resume();
    gatewayProblem(res, new HttpProblem('uri_too_long', `The request target is over ${MAX_URL_LENGTH} characters.`), requestId, { connection: 'close' });
    return;
  }
  const target = originForm(req.url ?? '');
  if (!target) {
    req.resume();
    gatewayProblem(res, new HttpProblem('malformed_request', 'The request target must be a path such as /v1/jobs.'), requestId, { connection: 'close' });
    return;
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    gatewayProblem(res, new HttpProblem('payload_too_large', 'The request body is over 10 MB.'), requestId);
    return;
  }
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(target.query)) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const apiKey = req.headers['x-api-key'];
  const apiKeyValue = typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
  // Raw, as API Gateway passes it: the api Lambda routes on raw segments and decodes each one.
  const path = target.path;
  const event = {
    resource: '/{proxy+}',
    path,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: Object.keys(multiQuery).length ? multiQuery : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    body: body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      resourceId: 'local',
      resourcePath: '/{proxy+}',
      httpMethod: req.method ?? 'GET',
      path,
      stage: 'local',
      requestId,
      requestTimeEpoch: Date.now(),
      protocol: `HTTP/${req.httpVersion}`,
      authorizer: null,
      identity: {
        apiKey: apiKeyValue ?? null,
        apiKeyId: apiKeyValue ? localApiKeyId(apiKeyValue) : null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
        accessKey: null, accountId: null, caller: null, clientCert: null, cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null, cognitoIdentityId: null, cognitoIdentityPoolId: null, principalOrgId: null,
        user: null, userArn: null,
      },
    },
  } as unknown as APIGatewayProxyEvent;
  const context = { awsRequestId: requestId, functionName: 'api', getRemainingTimeInMillis: () => 29_000 } as unknown as Context;
  const result = await handler(event, context);
  const responseHeaders: Record<string, string | string[]> = { ...(result.headers as Record<string, string>) };
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) responseHeaders[name] = values.map(String);
  res.writeHead(result.statusCode, responseHeaders);
  res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}

/** The whole body (up to the gateway's limit); rejects when the client goes away before it ends. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > GATEWAY_MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client went away before the body ended'));
    });
  });
}

/** What API Gateway's rewritten gateway responses send (problem+json), for errors the gateway itself raises. */
function gatewayProblem(res: ServerResponse, problem: HttpProblem, requestId: string, headers: Record<string, string> = {}): void {
  res.writeHead(problem.status, { ...headers, 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': requestId });
  res.end(JSON.stringify(problemDocument(problem, requestId)));
}
