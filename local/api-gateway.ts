/**
 * The local twin's front door, playing API Gateway's REST API: it reads the
 * request (up to API Gateway's 10 MB), maps the `x-api-key` to a key id as API
 * Gateway would, builds the REST proxy event the api Lambda gets on AWS, and
 * writes the Lambda's answer back.
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { USAGE_PLAN } from '../lambdas/resources';
import { localApiKeyId } from '../lambdas/store/tenant-store';
import { listenOnLoopback, type LoopbackServer } from './loopback-server';

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
      gatewayProblem(res, 429, 'rate_limited', 'Too many requests for this API key; slow down.', requestId, { 'retry-after': '1' });
      return;
    }
    serve(req, res, options.handler, requestId).catch(() => {
      if (!res.headersSent) gatewayProblem(res, 500, 'internal_error', 'An internal error occurred.', requestId);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  return listenOnLoopback(server, options.port);
}

async function serve(req: IncomingMessage, res: ServerResponse, handler: ProxyHandler, requestId: string): Promise<void> {
  const body = await readBody(req);
  if (body === 'too-large') {
    gatewayProblem(res, 413, 'payload_too_large', 'The request body is over 10 MB.', requestId);
    return;
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const apiKey = req.headers['x-api-key'];
  const apiKeyValue = typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : undefined;
  const path = decodePath(url.pathname);
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
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
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

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

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
  });
}

/** What API Gateway's rewritten gateway responses send (problem+json), for errors the gateway itself raises. */
function gatewayProblem(res: ServerResponse, status: number, code: string, detail: string, requestId: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': requestId });
  res.end(JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, code, detail, requestId }));
}
