/**
 * The twin's answers to what Node's parser refuses, by error (the raw-socket
 * cases run end to end in test/e2e/front-door.test.ts; these are the ones a
 * socket cannot produce quickly: timeouts, hang-ups, packets split oddly).
 */
import { rawProblemResponse, refusalFor, type ParserError } from '../../local/parser-refusals';

const parserError = (code: string, packet?: string, bytesParsed?: number): ParserError =>
  Object.assign(new Error(code), { code, rawPacket: packet === undefined ? undefined : Buffer.from(packet, 'latin1'), bytesParsed });

describe('refusalFor', () => {
  it.each([
    ['a request that timed out', parserError('ERR_HTTP_REQUEST_TIMEOUT'), 408, 'request_timeout'],
    ['a packet with no request line that overflowed', parserError('HPE_HEADER_OVERFLOW', 'x-pad: aaaa'), 431, 'headers_too_large'],
    ['an overflow in the headers after a short request line', parserError('HPE_HEADER_OVERFLOW', `GET / HTTP/1.1\r\nx: ${'a'.repeat(20_000)}`), 431, 'headers_too_large'],
    ['an overflow of a request line that never ended', parserError('HPE_HEADER_OVERFLOW', `GET /${'a'.repeat(100)}`), 414, 'uri_too_long'],
    ['a header value error in the request line itself', parserError('HPE_INVALID_HEADER_TOKEN', 'GET /\u0000', 5), 400, 'malformed_request'],
    ['a bad byte in a header named with odd case', parserError('HPE_INVALID_HEADER_TOKEN', 'GET / HTTP/1.1\r\nIDEMPOTENCY-KEY: a\u0000', 35), 400, 'invalid_idempotency_key'],
    ['an error code this twin has never seen', parserError('HPE_SOMETHING_NEW'), 400, 'malformed_request'],
  ])('answers %s', (_name, error, status, code) => {
    expect(refusalFor(error)).toMatchObject({ status, code });
  });

  it.each(['ECONNRESET', 'EPIPE', 'HPE_CLOSED_CONNECTION'])('writes nothing to a client that is gone (%s)', (code) => {
    expect(refusalFor(parserError(code))).toBeUndefined();
  });

  it('never echoes request bytes in the detail', () => {
    const problem = refusalFor(parserError('HPE_INVALID_HEADER_TOKEN', 'GET / HTTP/1.1\r\nx-secret-thing: sk_live_123\u0000', 40))!;
    expect(rawProblemResponse(problem, 'id-1')).not.toContain('sk_live_123');
  });
});
