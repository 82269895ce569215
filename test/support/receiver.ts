/**
 * A real HTTP server on 127.0.0.1 standing in for a tenant's endpoint (an `http`
 * job's target or a webhook receiver). It records every request and answers as
 * the test scripts it: a status, headers and body, after a delay, or never.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Header names and values as they came on the wire, in order (`headers` cannot hold one named `__proto__`). */
  readonly rawHeaders: readonly string[];
  readonly body: string;
  /** Epoch ms (real time). */
  readonly receivedAt: number;
  /** The status answered, once sent (none: not yet, never, or the connection was reset). */
  answeredStatus?: number;
}

export interface ScriptedResponse {
  /** @default 200 */
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** @default '' ; objects are sent as JSON */
  readonly body?: string | object;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Never answer (the connection is dropped when the receiver closes). */
  readonly hang?: boolean;
  /** Answer only once this settles (hold a request open while the test acts). */
  readonly after?: Promise<unknown>;
  /** Drop the connection without answering (the caller sees a network error). */
  readonly reset?: boolean;
}

/** Decides the answer to a request; `index` counts requests from 0. */
export type Responder = (request: ReceivedRequest, index: number) => ScriptedResponse | Promise<ScriptedResponse>;

export interface Receiver {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** Requests whose header `name` equals `value` (e.g. `x-job-id`). */
  requestsWith(name: string, value: string): ReceivedRequest[];
  close(): Promise<void>;
}

export interface FlakyOptions {
  /** Share of requests that fail: half answer 503, half have their connection reset. */
  readonly failureRate: number;
  /**
   * Makes the failures replayable: whether a request fails depends on the seed,
   * the request's job and attempt (`x-job-id`, `x-job-attempt`) or event
   * (`webhook-id`), and how many such requests came before it.
   */
  readonly seed: number;
}

/** `respond`, except that a seeded share of requests fail (503 or a reset connection) instead. */
export function flaky(respond: Responder, options: FlakyOptions): Responder {
  const seen = new Map<string, number>();
  return (request, index) => {
    const { headers } = request;
    const subject = headers['webhook-id'] ?? (headers['x-job-id'] ? `${String(headers['x-job-id'])}/${String(headers['x-job-attempt'])}` : `#${index}`);
    const key = String(subject);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    const digest = createHash('sha256').update(`${options.seed}\u0000${key}\u0000${n}`).digest();
    const draw = digest.readUInt32BE(0) / 2 ** 32;
    if (draw < options.failureRate / 2) return { status: 503, body: 'flaky receiver: try again' };
    if (draw < options.failureRate) return { reset: true };
    return respond(request, index);
  };
}

/** Answers in turn from a list; the last answer repeats. */
export function respondInTurn(...responses: ScriptedResponse[]): Responder {
  return (_request, index) => responses[Math.min(index, responses.length - 1)] ?? {};
}

/** Like `respondInTurn`, but counting per value of a header (e.g. per `x-job-id`). */
export function respondInTurnPer(header: string, ...responses: ScriptedResponse[]): Responder {
  const seen = new Map<string, number>();
  return (request) => {
    const key = String(request.headers[header.toLowerCase()] ?? '');
    const index = seen.get(key) ?? 0;
    seen.set(key, index + 1);
    return responses[Math.min(index, responses.length - 1)] ?? {};
  };
}

/**
 * Scripts per request path: each path answers in turn from its own list (the
 * last answer repeats); a path without a script answers 200.
 */
export function scriptedByPath(): { responder: Responder; script(path: string, ...responses: ScriptedResponse[]): void } {
  const scripts = new Map<string, ScriptedResponse[]>();
  const seen = new Map<string, number>();
  return {
    script(path, ...responses) {
      scripts.set(path, responses);
      seen.set(path, 0);
    },
    responder(request) {
      const path = request.path.split('?')[0];
      const responses = scripts.get(path) ?? [{ status: 200 }];
      const index = seen.get(path) ?? 0;
      seen.set(path, index + 1);
      return responses[Math.min(index, responses.length - 1)] ?? {};
    },
  };
}

export async function startReceiver(respond: Responder = () => ({ status: 200 })): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      const index = requests.push(request) - 1;
      Promise.resolve(respond(request, index)).then(
        (answer) => {
          if (answer.hang) return;
          if (answer.reset) return void req.socket.destroy();
          const send = () => {
            const body = typeof answer.body === 'object' ? JSON.stringify(answer.body) : (answer.body ?? '');
            const headers = typeof answer.body === 'object' ? { 'content-type': 'application/json', ...answer.headers } : answer.headers;
            res.writeHead(answer.status ?? 200, headers);
            res.end(body);
            request.answeredStatus = answer.status ?? 200;
          };
          if (answer.after) return void answer.after.finally(send);
          if (!answer.delayMs) return send();
          const timer = setTimeout(() => {
            timers.delete(timer);
            send();
          }, answer.delayMs);
          timers.add(timer);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsWith: (name, value) => requests.filter((r) => r.headers[name.toLowerCase()] === value),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
