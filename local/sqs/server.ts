import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqsError } from './errors';
import { isJsonObject, type JsonObject } from './request-input';
import { TWIN_ROUTE_PREFIX, type TwinRouteAnswer } from './twin-routes';

/** Runs the operation named by `x-amz-target` on the parsed JSON body. */
export type OperationHandler = (operation: string, input: JsonObject, signal: AbortSignal) => Promise<JsonObject>;

/** Answers a request under `/twin/` (./twin-routes.ts): not SQS, the twin's own. */
export type TwinRouteHandler = (method: string, path: string) => TwinRouteAnswer;

export interface SqsHttpServer {
  port: number;
  /**
   * Stops accepting connections, calls `endPendingWork` (which answers waiting
   * long polls), waits for the requests under way to be answered, then closes
   * every connection.
   */
  close(endPendingWork: () => void): Promise<void>;
}

/**
 * A batch of ten messages is at most 1 MiB of message data, but JSON escaping
 * can double it (quotes, backslashes, newlines); anything beyond is refused
 * before it is buffered.
 */
const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;
const TARGET_PREFIX = 'AmazonSQS.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const DRAIN_TIMEOUT_MS = 2000;

/** The HTTP side of the AWS JSON 1.0 protocol (query-compatible) that @aws-sdk/client-sqs speaks. */
export function listenSqsHttp(handler: OperationHandler, port: number, host: string, twinRoute?: TwinRouteHandler): Promise<SqsHttpServer> {
  let active = 0;
  let drained: (() => void) | undefined;
  const server = createServer((request, response) => {
    active++;
    response.on('close', () => {
      active--;
      if (active === 0) drained?.();
    });
    const path = (request.url ?? '').split('?')[0];
    if (twinRoute && path.startsWith(TWIN_ROUTE_PREFIX)) {
      request.resume();
      replyJson(response, twinRoute(request.method ?? 'GET', path));
      return;
    }
    void answer(request, response, handler);
  });
  // Long polls hold a request for up to 20 s; keep Node's timeouts out of their way.
  server.requestTimeout = 0;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        async close(endPendingWork) {
          const closed = new Promise<void>((done) => server.close(() => done()));
          endPendingWork();
          if (active > 0) {
            await new Promise<void>((done) => {
              drained = done;
              setTimeout(done, DRAIN_TIMEOUT_MS).unref();
            });
          }
          server.closeAllConnections();
          await closed;
        },
      });
    });
  });
}

async function answer(request: IncomingMessage, response: ServerResponse, handler: OperationHandler): Promise<void> {
  const requestId = randomUUID();
  try {
    const body = await readBody(request, response);
    const target = request.headers['x-amz-target'];
    if (request.method !== 'POST' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
      throw new SqsError('InvalidAction', 'Expected a POST with header x-amz-target: AmazonSQS.<Operation> (AWS JSON 1.0).');
    }
    const input = parseBody(body);
    const client = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) client.abort();
    });
    const output = await handler(target.slice(TARGET_PREFIX.length), input, client.signal);
    reply(response, 200, requestId, output);
  } catch (error) {
    const failure = error instanceof SqsError
      ? error
      : new SqsError('InternalFailure', 'The request processing has failed because of an unknown error.', { cause: error });
    if (failure.code === 'InternalFailure') console.error('SQS endpoint: internal failure', error);
    reply(response, failure.status, requestId, failure.toResponseBody(), failure.queryErrorHeader);
  }
}

function readBody(request: IncomingMessage, response: ServerResponse): Promise<Buffer> {
  const tooLarge = () => {
    // Nothing more is read from this connection: let the client see the answer, then hang up.
    response.setHeader('connection', 'close');
    return new SqsError('InvalidParameterValue', `The request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes.`);
  };
  if (Number(request.headers['content-length']) > MAX_REQUEST_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BODY_BYTES) {
        request.off('data', onData);
        request.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function parseBody(body: Buffer): JsonObject {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new SqsError('SerializationException', 'The request body is not valid JSON.', { cause: error });
  }
  if (!isJsonObject(parsed)) throw new SqsError('SerializationException', 'The request body must be a JSON object.');
  return parsed;
}

function reply(response: ServerResponse, status: number, requestId: string, body: object, queryError?: string): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
    ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
  });
  response.end(payload);
}

function replyJson(response: ServerResponse, answer: TwinRouteAnswer): void {
  const payload = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...answer.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}
