/**
 * What the twin's front door answers when Node's HTTP parser refuses a request
 * (the server's `clientError`): a problem document like every other error
 * (SPEC §3), with its own `x-request-id`, on a connection that then closes,
 * since nothing after the bad byte can be trusted to frame the next request.
 *
 * The status and code follow the error: bytes HTTP does not allow in a header
 * are that header's problem where the SPEC has a code for it (an API key that
 * cannot be one is `forbidden`, an Idempotency-Key that is not visible ASCII is
 * `invalid_idempotency_key`); an over-long request line is 414, too many header
 * bytes 431, a request that never finished arriving 408; anything else that is
 * not HTTP/1.1 we can read is 400 `malformed_request`. The README's "What the
 * front door refuses" lists these beside what API Gateway answers.
 */
import { HttpProblem, problemDocument, problemTitle } from '../lambdas/api/problem';

/** Node's parser error, as `clientError` hands it over. */
export interface ParserError extends Error {
  code?: string;
  bytesParsed?: number;
  rawPacket?: Buffer;
}

/** Socket-level endings with no one left to answer. */
const HANG_UPS = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_DESTROYED', 'HPE_CLOSED_CONNECTION']);

const FRAMING: Readonly<Record<string, string>> = {
  HPE_INVALID_METHOD: 'The request does not start with an HTTP method this API knows (methods are upper-case, e.g. GET, POST).',
  HPE_INVALID_URL: 'The request target holds a byte a URL cannot (spaces, controls and non-ASCII must be percent-encoded).',
  HPE_INVALID_VERSION: 'The request line does not end with HTTP/1.0 or HTTP/1.1.',
  HPE_INVALID_CHUNK_SIZE: 'A chunk of the chunked body has no valid size.',
  HPE_INVALID_TRANSFER_ENCODING: 'Transfer-Encoding cannot be combined with Content-Length, and must end with chunked.',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Transfer-Encoding cannot be combined with Content-Length.',
  HPE_INVALID_CONTENT_LENGTH: 'Content-Length must be one decimal number.',
  HPE_INVALID_EOF_STATE: 'The connection ended before the request did.',
};

/** The problem for a parser error, or undefined when the client has gone and nothing should be written. */
export function refusalFor(error: ParserError): HttpProblem | undefined {
  const code = error.code ?? '';
  if (HANG_UPS.has(code)) return undefined;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'HPE_HEADER_TIMEOUT') {
    return new HttpProblem('request_timeout');
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return isRequestLineOverflow(error.rawPacket)
      ? new HttpProblem('uri_too_long')
      : new HttpProblem('headers_too_large');
  }
  const header = headerAt(error.rawPacket, error.bytesParsed);
  if (header !== undefined && ['HPE_INVALID_HEADER_TOKEN', 'HPE_LF_EXPECTED', 'HPE_CR_EXPECTED', 'HPE_INVALID_CHARACTER'].includes(code)) {
    if (header === 'idempotency-key') {
      return new HttpProblem('invalid_idempotency_key');
    }
    if (header === 'x-api-key') return new HttpProblem('forbidden');
    return new HttpProblem('malformed_request', `The ${header.slice(0, 64)} header holds a byte HTTP does not allow in a header.`);
  }
  if (code === 'HPE_INVALID_HEADER_TOKEN') return new HttpProblem('malformed_request', 'A header name holds a character HTTP does not allow.');
  return new HttpProblem('malformed_request', FRAMING[code]);
}

/** The whole answer, for a socket that has no response object to write through. */
export function rawProblemResponse(problem: HttpProblem, requestId: string): string {
  const body = JSON.stringify(problemDocument(problem, requestId));
  return [
    `HTTP/1.1 ${problem.status} ${problemTitle(problem.status)}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * API Gateway's limit on a regional API's URL: 10,240 characters (REST API
 * quotas). A longer target is 414 on the twin too, and an overflow of Node's
 * 16 KiB header limit inside a request line at least that long is the
 * target's fault (414), not the headers' (431).
 */
export const MAX_URL_LENGTH = 10_240;

/**
 * Whether an overflow happened in the request line: Node counts the request
 * line and the headers against one limit, so the packet that overflowed tells:
 * it starts a request (`METHOD target`) whose line has not ended, or is over
 * MAX_URL_LENGTH.
 */
function isRequestLineOverflow(packet: Buffer | undefined): boolean {
  if (!packet || !/^[A-Z]+ \S/.test(packet.subarray(0, 32).toString('latin1'))) return false;
  const lineEnd = packet.indexOf('\n');
  return lineEnd < 0 || lineEnd > MAX_URL_LENGTH;
}

/** The (lower-case) name of the header line in which the parser stopped, if it stopped in a header's value. */
function headerAt(packet: Buffer | undefined, offset: number | undefined): string | undefined {
  if (!packet || offset === undefined || offset <= 0 || offset > packet.length) return undefined;
  const text = packet.toString('latin1');
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  if (lineStart === 0) return undefined; // still in the request line
  const line = text.slice(lineStart, offset);
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  const name = line.slice(0, colon).trim().toLowerCase();
  return /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) ? name : undefined;
}
