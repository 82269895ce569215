/**
 * Raw HTTP/1.1 over a socket (node:net), for requests no HTTP client will send:
 * bytes a parser refuses, broken framing, odd request targets. The answer is
 * read until the server closes the connection (or `idleMs` after a complete
 * response when it keeps it open), then split into status, headers and body.
 */
import { connect } from 'node:net';
import { assertRawExchangeMatchesContract } from './openapi-contract';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Parsed body when it is JSON. */
  json: any;
  raw: string;
}

/** Sends `request` (string: latin1 bytes) to `url`'s host and port; resolves with the parsed answer. */
/**
 * Every answer is held to the OpenAPI document (./openapi-contract.ts) unless
 * `notTheApi` says the server behind `url` is not the API (a gateway test with a stub handler).
 */
export function sendRaw(url: string, request: string | Buffer, options: { timeoutMs?: number; notTheApi?: true } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${options.timeoutMs ?? 5000} ms: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, options.timeoutMs ?? 5000);
    const finish = () => {
      clearTimeout(timer);
      try {
        const response = parseResponse(Buffer.concat(chunks));
        if (!options.notTheApi) assertRawExchangeMatchesContract(request, { status: response.status, headers: response.headers, body: response.body });
        resolve(response);
      } catch (error) {
        reject(error instanceof Error ? error : new Error('unparsable answer', { cause: error }));
      }
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // A keep-alive answer is complete once its Content-Length worth of body is in.
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      const chunked = /\r\ntransfer-encoding: *chunked/i.test(text.slice(0, end));
      const complete = length ? Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(length[1]) : chunked && text.endsWith('\r\n0\r\n\r\n');
      if (end >= 0 && complete) {
        socket.destroy();
        finish();
      }
    });
    socket.on('close', () => {
      if (!socket.destroyed || chunks.length > 0) finish();
    });
    socket.on('error', () => undefined);
    socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
  });
}

function parseResponse(data: Buffer): RawResponse {
  const raw = data.toString('latin1');
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`not an HTTP response: ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let bodyBytes = data.subarray(Buffer.byteLength(raw.slice(0, end + 4), 'latin1'));
  if (headers['transfer-encoding'] === 'chunked') bodyBytes = dechunk(bodyBytes);
  const body = bodyBytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status, headers, body, json, raw };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
