/**
 * `sqs.send.drop` and `sqs.duplicate`, at the transport seam: an HTTP front of
 * the twin's SQS endpoint (the handlers' AWS_ENDPOINT_URL_SQS points here) that
 * passes every request through, except that a send may be answered "sent" and
 * discarded, or be delivered twice (a second copy, up to 2 s later: SQS
 * standard queues promise at-least-once, not exactly-once).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { listenOnLoopback, type LoopbackServer } from '../loopback-server';
import type { FaultPlan } from './fault-plan';

const TARGET_PREFIX = 'AmazonSQS.';
const MAX_DUPLICATE_LAG_SECONDS = 2;
const QUEUE_URL_OPERATIONS = new Set(['CreateQueue', 'GetQueueUrl', 'ListQueues', 'ListDeadLetterSourceQueues']);

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type SendEntry = { Id: string; MessageBody: string; DelaySeconds?: number; [field: string]: unknown };

export async function startFaultySqsEndpoint(targetUrl: string, plan: FaultPlan): Promise<LoopbackServer> {
  const target = new URL(targetUrl);
  targetUrl = target.origin;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  const forward = (headers: IncomingHttpHeaders, body: Buffer, signal?: AbortSignal): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const outgoing = { ...headers, host: target.host, 'content-length': String(body.length) };
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: '/', method: 'POST', headers: outgoing, agent, signal },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 500, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
  const duplicateDelay = (entry: SendEntry, draw: number) =>
    Math.min(900, (entry.DelaySeconds ?? 0) + Math.floor(draw * (MAX_DUPLICATE_LAG_SECONDS + 1)));

  /** One SendMessage: dropped, passed through, or passed through and then sent once more. */
  async function sendMessage(headers: IncomingHttpHeaders, input: SendEntry): Promise<Upstream | { status: number; json: unknown }> {
    if (plan.decide('sqs.send.drop', input.MessageBody).inject) {
      plan.count('sqs.send.drop');
      return { status: 200, json: { MessageId: randomUUID(), MD5OfMessageBody: md5(input.MessageBody) } };
    }
    const sent = await forward(headers, Buffer.from(JSON.stringify(input)));
    const duplicate = plan.decide('sqs.duplicate', input.MessageBody);
    if (sent.status === 200 && duplicate.inject) {
      plan.count('sqs.duplicate');
      await forward(headers, Buffer.from(JSON.stringify({ ...input, DelaySeconds: duplicateDelay(input, duplicate.draw) }))).catch(() => undefined);
    }
    return sent;
  }

  async function sendMessageBatch(headers: IncomingHttpHeaders, input: { Entries: SendEntry[] }): Promise<Upstream | { status: number; json: unknown }> {
    const dropped: SendEntry[] = [];
    const kept: SendEntry[] = [];
    for (const entry of input.Entries) {
      const drop = plan.decide('sqs.send.drop', entry.MessageBody).inject;
      if (drop) plan.count('sqs.send.drop');
      (drop ? dropped : kept).push(entry);
    }
    if (dropped.length === 0) return sendBatchAndDuplicate(headers, input);
    const fakeSuccesses = dropped.map((e) => ({ Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody) }));
    if (kept.length === 0) return { status: 200, json: { Successful: fakeSuccesses, Failed: [] } };
    const sent = await sendBatchAndDuplicate(headers, { ...input, Entries: kept });
    if (sent.status !== 200) return sent;
    const answer = JSON.parse(sent.body.toString('utf8')) as { Successful?: unknown[]; Failed?: unknown[] };
    return { status: 200, json: { ...answer, Successful: [...(answer.Successful ?? []), ...fakeSuccesses] } };
  }

  async function sendBatchAndDuplicate(headers: IncomingHttpHeaders, input: { Entries: SendEntry[] }): Promise<Upstream> {
    const sent = await forward(headers, Buffer.from(JSON.stringify(input)));
    if (sent.status !== 200) return sent;
    const copies = input.Entries.flatMap((entry) => {
      const duplicate = plan.decide('sqs.duplicate', entry.MessageBody);
      if (!duplicate.inject) return [];
      plan.count('sqs.duplicate');
      return [{ ...entry, DelaySeconds: duplicateDelay(entry, duplicate.draw) }];
    });
    if (copies.length > 0) await forward(headers, Buffer.from(JSON.stringify({ ...input, Entries: copies }))).catch(() => undefined);
    return sent;
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').replace(TARGET_PREFIX, '');
      const aborted = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) aborted.abort();
      });
      handle(req, operation, body, aborted.signal).then(
        (answer) => {
          if (res.destroyed) return;
          if ('json' in answer) {
            const payload = JSON.stringify(answer.json);
            res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(payload) });
            res.end(payload);
          } else {
            const { 'transfer-encoding': _chunked, connection: _connection, 'keep-alive': _keepAlive, ...headers } = answer.headers;
            res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length });
            res.end(answer.body);
          }
        },
        () => res.destroy(),
      );
    });
  });

  let frontUrl = '';
  /**
   * The SDK sends each request to the host its QueueUrl names, so QueueUrls
   * handed out must name this front; the endpoint finds queues by name, so
   * requests naming the front need no rewriting.
   */
  const namingTheFront = (answer: Upstream): Upstream =>
    answer.body.includes(targetUrl) ? { ...answer, body: Buffer.from(answer.body.toString('utf8').replaceAll(targetUrl, frontUrl)) } : answer;

  async function handle(req: IncomingMessage, operation: string, body: Buffer, signal: AbortSignal) {
    if (QUEUE_URL_OPERATIONS.has(operation)) return namingTheFront(await forward(req.headers, body, signal));
    if (plan.isArmed && (operation === 'SendMessage' || operation === 'SendMessageBatch')) {
      let input: unknown;
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        input = undefined;
      }
      if (operation === 'SendMessage' && typeof (input as SendEntry)?.MessageBody === 'string') return sendMessage(req.headers, input as SendEntry);
      if (operation === 'SendMessageBatch' && Array.isArray((input as { Entries?: unknown })?.Entries)) {
        return sendMessageBatch(req.headers, input as { Entries: SendEntry[] });
      }
    }
    return forward(req.headers, body, signal);
  }

  // Long polls hold a request for up to 20 s.
  server.requestTimeout = 0;
  const listening = await listenOnLoopback(server);
  frontUrl = listening.url;
  return {
    ...listening,
    async close() {
      await listening.close();
      agent.destroy();
    },
  };
}
