/**
 * HTTP/1.1 over a bare TCP socket, for requests that `fetch` refuses to send
 * (NUL or bare CR in a header value, lower-case or unknown methods, conflicting
 * framing, absolute-form targets, raw `%2F` and `..` left as typed). Each request
 * uses its own connection and asks the server to close it, so a response ends
 * where the stream ends.
 */
import { connect } from 'node:net';
import { assertRawExchangeMatchesContract } from './openapi-contract';

export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased; repeated headers keep every value. */
  readonly headers: Readonly<Record<string, string[]>>;
  readonly body: Buffer;
  readonly text: string;
}

export interface RawRequestSpec {
  readonly method: string;
  /** The request target exactly as it goes on the request line. */
  readonly target: string;
  /** Sent in this order, names and values byte for byte (latin1). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  readonly body?: string | Buffer;
  /** Add `content-length` for the body unless a framing header is given. @default true */
  readonly frame?: boolean;
}

/** The bytes of a request: request line, headers (plus host and connection: close), body. */
export function encodeRequest(spec: RawRequestSpec, host: string): Buffer {
  const headers = [...(spec.headers ?? [])];
  const names = new Set(headers.map(([name]) => name.toLowerCase()));
  if (!names.has('host')) headers.unshift(['host', host]);
  if (!names.has('connection')) headers.push(['connection', 'close']);
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body, 'utf8');
  const framed = names.has('content-length') || names.has('transfer-encoding');
  if ((spec.frame ?? true) && !framed && (body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(spec.method))) {
    headers.push(['content-length', String(body.length)]);
  }
  const head = `${spec.method} ${spec.target} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * Sends `bytes` to `baseUrl`'s host and port and reads the response until the
 * server closes the connection. A server that stops reading and answers early
 * (a refused request) still yields its answer. Rejects when nothing parseable
 * came back.
 */
export function sendRaw(baseUrl: string, bytes: Buffer, timeoutMs = 15_000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    const timer = setTimeout(() => {
      socket.destroy();
      finish(new Error(`no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const received = Buffer.concat(chunks);
      try {
        const response = parseResponse(received);
        assertRawExchangeMatchesContract(bytes, { status: response.status, headers: response.headers, body: response.text });
        resolve(response);
      } catch (parseError) {
        reject(new Error(`${(parseError as Error).message}${error ? ` (${error.message})` : ''}; got ${received.length} bytes: ${JSON.stringify(received.subarray(0, 200).toString('latin1'))}`));
      }
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset the connection while we still write a refused body: what it answered counts.
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish());
    socket.on('connect', () => {
      // No half-close: a server may treat our FIN as an aborted request; `connection: close` ends it.
      socket.write(bytes);
    });
  });
}

/** Sends a request built from `spec` (see {@link encodeRequest}). */
export function rawRequest(baseUrl: string, spec: RawRequestSpec, timeoutMs?: number): Promise<RawResponse> {
  return sendRaw(baseUrl, encodeRequest(spec, new URL(baseUrl).host), timeoutMs);
}

/** The final (non-1xx) response in `bytes`, de-chunked. */
export function parseResponse(bytes: Buffer): RawResponse {
  let rest = bytes;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) throw new Error('no response head');
    const lines = rest.subarray(0, end).toString('latin1').split('\r\n');
    const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!statusLine) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(statusLine[1]);
    const headers: Record<string, string[]> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      (headers[line.slice(0, colon).trim().toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
    }
    rest = rest.subarray(end + 4);
    if (status >= 100 && status < 200) continue;
    let body = rest;
    if (headers['transfer-encoding']?.some((v) => /chunked/i.test(v))) body = dechunk(rest);
    else if (headers['content-length']) body = rest.subarray(0, Number(headers['content-length'][0]));
    return { status, headers, body, text: body.toString('utf8') };
  }
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
