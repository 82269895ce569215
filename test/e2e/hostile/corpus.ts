/**
 * The hostile corpus (issue 9): requests a client should never be able to turn
 * into a 5xx, a bare answer or a state change. Each entry is data — a request
 * built from the fixture (ids, keys, cursors made at start) and the answer the
 * SPEC prescribes (§3 codes table and its order, §3.3 cursors, §3.7 batches,
 * §5 payloads, §6 URL rules). Where the SPEC fixes no code (what Node's parser
 * refuses, how `..` and `//` are normalised), the entry asks only for a 4xx
 * problem document: `REFUSED`.
 *
 * Expectations follow the SPEC, not today's behaviour.
 */
import { createHash } from 'node:crypto';
import { gzipSync, deflateSync } from 'node:zlib';
import type { RawRequestSpec } from '../../support/raw-http';

/** What the runner made before the corpus runs (two tenants' jobs, keys, cursors). */
export interface Fixture {
  readonly host: string;
  readonly keys: { readonly dev: string; readonly other: string; readonly disabledKey: string; readonly disabledTenant: string };
  readonly tenants: { readonly dev: string; readonly other: string };
  /** Jobs of the dev tenant (and `other*` of the second one), each in the state its name says. */
  readonly jobs: {
    readonly queued: string;
    readonly succeeded: string;
    readonly canceled: string;
    readonly otherQueued: string;
    readonly otherSucceeded: string;
  };
  /** The dev tenant's job created with this key and body (for replays and reuse). */
  readonly keyed: { readonly key: string; readonly body: Record<string, unknown> };
  /** Cursors the service issued (limit=1): dev succeeded, dev succeeded type=echo, other tenant succeeded. */
  readonly cursors: { readonly succeeded: string; readonly succeededEcho: string; readonly otherSucceeded: string };
}

export interface Answer {
  readonly status: number;
  /** The problem's `code` (errors only). */
  readonly code?: string;
}

/** Any 4xx problem document (the SPEC fixes no code for it). */
export const REFUSED = 'refused' as const;

export type Expectation = Answer | readonly Answer[] | typeof REFUSED;

export interface HostileEntry {
  readonly name: string;
  readonly request: (f: Fixture) => Request;
  readonly expect: Expectation;
  /** For a 200 batch answer: each item's status and code (or the answers it may give), in order. */
  readonly items?: ReadonlyArray<Answer | readonly Answer[]>;
}

/** A request: the method, target and headers; `key` picks the x-api-key; a JSON body gets a JSON content type. */
export interface Request {
  readonly method: string;
  readonly target: string;
  /** @default 'dev' */
  readonly key?: keyof Fixture['keys'] | 'none' | { readonly literal: string };
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** A string or bytes go as they are; anything else is JSON-encoded. */
  readonly body?: unknown;
  /** null: no content-type header. @default 'application/json' when there is a body */
  readonly contentType?: string | null;
  /** Bytes sent as they are (the whole request), for framing the helpers cannot build. */
  readonly raw?: (host: string, apiKey: string) => Buffer;
}

/** The request as the raw client sends it. */
export function toRawSpec(request: Request, f: Fixture): RawRequestSpec {
  const key = request.key ?? 'dev';
  const apiKey = key === 'none' ? undefined : typeof key === 'object' ? key.literal : f.keys[key];
  const headers: Array<readonly [string, string]> = [];
  if (apiKey !== undefined) headers.push(['x-api-key', apiKey]);
  let body: string | Buffer | undefined;
  if (request.body !== undefined) {
    body = typeof request.body === 'string' || Buffer.isBuffer(request.body) ? request.body : JSON.stringify(request.body);
  }
  const contentType = request.contentType === undefined ? (body === undefined ? null : 'application/json') : request.contentType;
  if (contentType !== null) headers.push(['content-type', contentType]);
  headers.push(...(request.headers ?? []));
  return { method: request.method, target: request.target, headers, body };
}

// ---------------------------------------------------------------------------
// Building blocks

const answer = (status: number, code?: string): Answer => (code === undefined ? { status } : { status, code });
const INVALID_JSON = answer(400, 'invalid_json');
const VALIDATION = answer(400, 'validation_failed');
const UNKNOWN_TYPE = answer(400, 'unknown_job_type');
const BAD_WEBHOOK = answer(400, 'invalid_webhook_url');
const BAD_TARGET = answer(400, 'invalid_target_url');
const BAD_KEY = answer(400, 'invalid_idempotency_key');
const BAD_CURSOR = answer(400, 'invalid_cursor');
const FORBIDDEN = answer(403, 'forbidden');
const NOT_FOUND = answer(404, 'not_found');
const JOB_NOT_FOUND = answer(404, 'job_not_found');
const NOT_ALLOWED = answer(405, 'method_not_allowed');
const TOO_LARGE = answer(413, 'payload_too_large');
const MEDIA_TYPE = answer(415, 'unsupported_media_type');
/** Issue 9 class 6: a charset other than UTF-8 (or a content coding we do not read) is refused with 415 or 400; the fix picks one. */
const NOT_UTF8_JSON = [MEDIA_TYPE, INVALID_JSON] as const;

const ECHO = { type: 'echo', payload: { hello: 'world' } };
const ECHO_TEXT = JSON.stringify(ECHO);
/** A job that would be created: only its one flaw may stop it. */
const echoWith = (fields: Record<string, unknown>) => ({ ...ECHO, ...fields });

const post = (target: string, body: unknown, more: Omit<Request, 'method' | 'target' | 'body'> = {}) => (): Request => ({
  method: 'POST',
  target,
  body,
  ...more,
});
const submit = (body: unknown, more: Omit<Request, 'method' | 'target' | 'body'> = {}) => post('/v1/jobs', body, more);
const get = (target: string, more: Omit<Request, 'method' | 'target'> = {}) => (): Request => ({ method: 'GET', target, ...more });

/** A JSON body with one byte sequence spliced into a string value (for invalid UTF-8). */
function withBytes(before: string, bytes: number[], after: string): Buffer {
  return Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(bytes), Buffer.from(after, 'utf8')]);
}

/** A body of exactly `size` bytes that is a valid job except for an unknown top-level field. */
function bodyOfSize(size: number, type = 'echo'): string {
  const frame = JSON.stringify({ type, payload: { fill: '' }, unknownField: true });
  return frame.replace('"fill":""', `"fill":"${'a'.repeat(size - frame.length)}"`);
}

/** A batch body of exactly `size` bytes: one item, with an unknown top-level field in the body. */
function batchOfSize(size: number): string {
  const frame = JSON.stringify({ jobs: [{ type: 'echo', payload: { fill: '' } }], unknownField: true });
  return frame.replace('"fill":""', `"fill":"${'a'.repeat(size - frame.length)}"`);
}

function nested(depth: number, leaf: string): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

const entry = (name: string, request: (f: Fixture) => Request, expect: Expectation, items?: HostileEntry['items']): HostileEntry =>
  items ? { name, request, expect, items } : { name, request, expect };

// ---------------------------------------------------------------------------
// Bodies (POST /v1/jobs unless named)

const NOT_JSON: ReadonlyArray<readonly [string, string]> = [
  ['a word', 'hello'],
  ['XML', '<job type="echo"/>'],
  ['single quotes', "{'type':'echo','payload':{}}"],
  ['bare keys', '{type:"echo",payload:{}}'],
  ['trailing comma in object', '{"type":"echo","payload":{},}'],
  ['trailing comma in array', '{"type":"echo","payload":{"a":[1,]}}'],
  ['missing comma', '{"type":"echo" "payload":{}}'],
  ['unterminated object', '{"type":"echo","payload":{}'],
  ['unterminated string', '{"type":"echo","payload":{"a":"b}}'],
  ['NaN literal', '{"type":"echo","payload":{"n":NaN}}'],
  ['Infinity literal', '{"type":"echo","payload":{"n":Infinity}}'],
  ['hex number', '{"type":"echo","payload":{"n":0x10}}'],
  ['leading zero', '{"type":"echo","payload":{"n":01}}'],
  ['plus sign', '{"type":"echo","payload":{"n":+1}}'],
  ['bare fraction', '{"type":"echo","payload":{"n":.5}}'],
  ['raw tab inside a string', '{"type":"echo","payload":{"s":"a\tb"}}'],
  ['raw newline inside a string', '{"type":"echo","payload":{"s":"a\nb"}}'],
  ['bad escape', '{"type":"echo","payload":{"s":"\\x41"}}'],
  ['short unicode escape', '{"type":"echo","payload":{"s":"\\u12"}}'],
  ['line comment', '// job\n{"type":"echo","payload":{}}'],
  ['block comment', '/* job */{"type":"echo","payload":{}}'],
  ['undefined literal', 'undefined'],
  ['only whitespace', '   \r\n\t '],
  ['a lone brace', '{'],
  ['unterminated 50,000-deep nesting', '{"a":'.repeat(50_000)],
];

const NOT_AN_OBJECT: ReadonlyArray<readonly [string, string]> = [
  ['null', 'null'],
  ['true', 'true'],
  ['false', 'false'],
  ['zero', '0'],
  ['a negative number', '-1'],
  ['a huge number', '1e400'],
  ['a string', '"echo"'],
  ['an empty array', '[]'],
  ['an array holding a job', `[${ECHO_TEXT}]`],
  ['100,000-deep nested arrays', '['.repeat(100_000) + ']'.repeat(100_000)],
];

const TRAILING: ReadonlyArray<readonly [string, string]> = [
  ['a word after the object', `${ECHO_TEXT} x`],
  ['two objects', `${ECHO_TEXT}${ECHO_TEXT}`],
  ['a comma after the object', `${ECHO_TEXT},`],
  ['a bracket after the object', `${ECHO_TEXT}]`],
  ['a comment after the object', `${ECHO_TEXT} // done`],
  ['a NUL after the object', `${ECHO_TEXT}\u0000`],
];

const bodies: HostileEntry[] = [
  ...NOT_JSON.map(([name, body]) => entry(`not JSON: ${name}`, submit(body), INVALID_JSON)),
  ...NOT_AN_OBJECT.map(([name, body]) => entry(`JSON but not an object: ${name}`, submit(body), INVALID_JSON)),
  ...TRAILING.map(([name, body]) => entry(`trailing garbage: ${name}`, submit(body), INVALID_JSON)),
  entry('empty body with a JSON content type', submit(''), INVALID_JSON),
  entry('UTF-8 byte-order mark before a valid job (not JSON text, RFC 8259 §8.1)', submit(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(ECHO_TEXT)])), INVALID_JSON),
  entry('UTF-16LE with BOM', submit(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ECHO_TEXT, 'utf16le')])), INVALID_JSON),
  entry('UTF-16LE without BOM', submit(Buffer.from(ECHO_TEXT, 'utf16le')), INVALID_JSON),
  // RFC 8259 leaves duplicate names to the parser: refused, or the last one wins and it is judged as such.
  entry('duplicate key: type echo then an unknown type', submit('{"type":"echo","type":"nope","payload":{}}'), [INVALID_JSON, UNKNOWN_TYPE]),
  entry('duplicate key: payload object then array', submit('{"type":"echo","payload":{},"payload":[]}'), [INVALID_JSON, VALIDATION]),
  entry('duplicate key: maxAttempts 3 then 0', submit('{"type":"echo","payload":{},"maxAttempts":3,"maxAttempts":0}'), [INVALID_JSON, VALIDATION]),
  // Numbers no job can hold as sent (they would not round-trip).
  entry('payload number 1e400', submit('{"type":"echo","payload":{"n":1e400}}'), VALIDATION),
  entry('payload number -1e400', submit('{"type":"echo","payload":{"n":-1e400}}'), VALIDATION),
  entry('payload number 2^53+1', submit('{"type":"echo","payload":{"n":9007199254740993}}'), VALIDATION),
  entry('payload number with 30 digits', submit('{"type":"echo","payload":{"n":123456789012345678901234567890}}'), VALIDATION),
  entry('payload number 1e400 inside an array', submit('{"type":"echo","payload":{"a":[1,2,1e400]}}'), VALIDATION),
  // Field types and ranges (§3.1).
  entry('type missing', submit({ payload: {} }), VALIDATION),
  entry('type is a number', submit({ type: 5, payload: {} }), VALIDATION),
  entry('type is null', submit({ type: null, payload: {} }), VALIDATION),
  entry('type is empty', submit({ type: '', payload: {} }), VALIDATION),
  entry('type is an object', submit({ type: { name: 'echo' }, payload: {} }), VALIDATION),
  entry('payload missing', submit({ type: 'echo' }), VALIDATION),
  entry('payload null', submit({ type: 'echo', payload: null }), VALIDATION),
  entry('payload an array', submit({ type: 'echo', payload: [1, 2] }), VALIDATION),
  entry('payload a string', submit({ type: 'echo', payload: 'hello' }), VALIDATION),
  entry('payload a number', submit({ type: 'echo', payload: 5 }), VALIDATION),
  entry('unknown top-level field', submit(echoWith({ extra: 1 })), VALIDATION),
  entry('top-level tenantId (not the client’s to set)', submit(echoWith({ tenantId: 'other' })), VALIDATION),
  entry('top-level status', submit(echoWith({ status: 'succeeded' })), VALIDATION),
  entry('top-level jobId', submit(echoWith({ jobId: '00000000-0000-4000-8000-000000000000' })), VALIDATION),
  entry('top-level idempotencyKey (batch items only)', submit(echoWith({ idempotencyKey: 'k-top-level' })), VALIDATION),
  entry('top-level constructor field', submit('{"type":"echo","payload":{},"constructor":1}'), VALIDATION),
  entry('top-level __proto__ field', submit('{"type":"echo","payload":{},"__proto__":{"maxAttempts":1}}'), VALIDATION),
  ...([0, 26, -1, 2.5, '5', null, true, [5], {}, 1e308] as const).map((value) =>
    entry(`maxAttempts ${JSON.stringify(value)}`, submit(echoWith({ maxAttempts: value })), VALIDATION),
  ),
  entry('maxAttempts 1e400', submit('{"type":"echo","payload":{},"maxAttempts":1e400}'), VALIDATION),
  entry('maxAttempts -0', submit('{"type":"echo","payload":{},"maxAttempts":-0}'), VALIDATION),
  ...([-1, 604_801, 1.5, '10', null] as const).map((value) =>
    entry(`delaySeconds ${JSON.stringify(value)}`, submit(echoWith({ delaySeconds: value })), VALIDATION),
  ),
  entry('delaySeconds 1e400', submit('{"type":"echo","payload":{},"delaySeconds":1e400}'), VALIDATION),
  ...(['tomorrow', '2026-13-01T00:00:00.000Z', '', '2026-12-01', 12345] as const).map((value) =>
    entry(`runAt ${JSON.stringify(value)}`, submit(echoWith({ runAt: value })), VALIDATION),
  ),
  entry('runAt 8 days ahead', () => submit(echoWith({ runAt: new Date(Date.now() + 8 * 86_400_000).toISOString() }))(), VALIDATION),
  entry('runAt and delaySeconds both', submit(echoWith({ runAt: new Date(0).toISOString(), delaySeconds: 5 })), VALIDATION),
  entry('webhookUrl a number', submit(echoWith({ webhookUrl: 5 })), VALIDATION),
  entry('webhookUrl null', submit(echoWith({ webhookUrl: null })), VALIDATION),
  // Deep nesting where the answer does not depend on a nesting limit.
  entry('10,000-deep payload with an unknown top-level field', submit(`{"type":"echo","payload":${nested(10_000, '1')},"x":1}`), VALIDATION),
  entry('email recipient 5,000 levels deep', submit(`{"type":"email","payload":{"to":${nested(5_000, '"a@example.com"')},"subject":"s","text":"t"}}`), VALIDATION),
  // Unknown job types, prototype names included (a plain-object registry would find them).
  ...['nope', 'ECHO', ' echo', 'echo ', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'http2', '../echo'].map((type) =>
    entry(`unknown type ${JSON.stringify(type)}`, submit({ type, payload: {} }), UNKNOWN_TYPE),
  ),
  // Payload schemas (§5).
  entry('email: no recipient', submit({ type: 'email', payload: { subject: 's', text: 't' } }), VALIDATION),
  entry('email: recipient not an address', submit({ type: 'email', payload: { to: 'not-an-address', subject: 's', text: 't' } }), VALIDATION),
  entry('email: empty recipient list', submit({ type: 'email', payload: { to: [], subject: 's', text: 't' } }), VALIDATION),
  entry('email: 51 recipients', submit({ type: 'email', payload: { to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`), subject: 's', text: 't' } }), VALIDATION),
  entry('email: empty subject', submit({ type: 'email', payload: { to: 'a@example.com', subject: '', text: 't' } }), VALIDATION),
  entry('email: 999-character subject', submit({ type: 'email', payload: { to: 'a@example.com', subject: 's'.repeat(999), text: 't' } }), VALIDATION),
  entry('email: neither text nor html', submit({ type: 'email', payload: { to: 'a@example.com', subject: 's' } }), VALIDATION),
  entry('email: unknown field "constructor"', submit('{"type":"email","payload":{"to":"a@example.com","subject":"s","text":"t","constructor":"x"}}'), VALIDATION),
  entry('sms: number without +', submit({ type: 'sms', payload: { to: '15551234567', message: 'hi' } }), VALIDATION),
  entry('sms: +0 prefix', submit({ type: 'sms', payload: { to: '+0123456789', message: 'hi' } }), VALIDATION),
  entry('sms: empty message', submit({ type: 'sms', payload: { to: '+15551234567', message: '' } }), VALIDATION),
  entry('sms: 1601-character message', submit({ type: 'sms', payload: { to: '+15551234567', message: 'm'.repeat(1601) } }), VALIDATION),
  entry('sms: unknown field "__proto__"', submit('{"type":"sms","payload":{"to":"+15551234567","message":"hi","__proto__":{}}}'), VALIDATION),
  entry('http: no url', submit({ type: 'http', payload: { method: 'POST' } }), VALIDATION),
  entry('http: url a number', submit({ type: 'http', payload: { url: 5 } }), VALIDATION),
  entry('http: method TRACE', submit({ type: 'http', payload: { url: 'https://example.com/', method: 'TRACE' } }), VALIDATION),
  entry('http: method CONNECT', submit({ type: 'http', payload: { url: 'https://example.com/', method: 'CONNECT' } }), VALIDATION),
  entry('http: GET with a body', submit({ type: 'http', payload: { url: 'https://example.com/', method: 'GET', body: 'x' } }), VALIDATION),
  entry('http: header host', submit({ type: 'http', payload: { url: 'https://example.com/', headers: { host: 'evil.example' } } }), VALIDATION),
  entry('http: header transfer-encoding', submit({ type: 'http', payload: { url: 'https://example.com/', headers: { 'Transfer-Encoding': 'chunked' } } }), VALIDATION),
  entry('http: header connection', submit({ type: 'http', payload: { url: 'https://example.com/', headers: { connection: 'close' } } }), VALIDATION),
  entry('http: header value with CRLF injection', submit({ type: 'http', payload: { url: 'https://example.com/', headers: { 'x-a': 'a\r\nx-evil: 1' } } }), VALIDATION),
  entry('http: header name with a space', submit({ type: 'http', payload: { url: 'https://example.com/', headers: { 'bad name': 'v' } } }), VALIDATION),
  entry('http: header value a number', submit({ type: 'http', payload: { url: 'https://example.com/', headers: { 'x-n': 5 } } }), VALIDATION),
  entry('http: headers an array', submit({ type: 'http', payload: { url: 'https://example.com/', headers: [['x-a', 'b']] } }), VALIDATION),
  entry('http: timeoutSeconds 0', submit({ type: 'http', payload: { url: 'https://example.com/', timeoutSeconds: 0 } }), VALIDATION),
  entry('http: timeoutSeconds 31', submit({ type: 'http', payload: { url: 'https://example.com/', timeoutSeconds: 31 } }), VALIDATION),
  // Sizes (§3: 256 KiB the api Lambda's, 10 MB API Gateway's).
  entry('body of 256 KiB − 1 bytes (judged, not refused for size)', submit(bodyOfSize(256 * 1024 - 1)), VALIDATION),
  entry('body of exactly 256 KiB (judged, not refused for size)', submit(bodyOfSize(256 * 1024)), VALIDATION),
  entry('body of 256 KiB + 1 bytes', submit(bodyOfSize(256 * 1024 + 1)), TOO_LARGE),
  entry('batch body of exactly 256 KiB (judged)', post('/v1/jobs/batch', batchOfSize(256 * 1024)), VALIDATION),
  entry('batch body of 256 KiB + 1 bytes', post('/v1/jobs/batch', batchOfSize(256 * 1024 + 1)), TOO_LARGE),
  entry('body of 1 MiB', submit(bodyOfSize(1024 * 1024)), TOO_LARGE),
  entry('body of 10 MB', submit(Buffer.alloc(10 * 1024 * 1024, 0x20)), TOO_LARGE),
  entry('body of 10 MB + 1 byte', submit(Buffer.alloc(10 * 1024 * 1024 + 1, 0x20)), TOO_LARGE),
  entry('body of 12 MB of not-JSON', submit(Buffer.alloc(12 * 1024 * 1024, 0x41)), TOO_LARGE),
  // First problem wins, in SPEC §3's order.
  entry('order: 413 before 415 (300 KB of text/plain)', submit(bodyOfSize(300_000), { contentType: 'text/plain' }), TOO_LARGE),
  entry('order: 415 before invalid_json', submit('not json', { contentType: 'text/plain' }), MEDIA_TYPE),
  entry('order: invalid_json before invalid_idempotency_key', submit('not json', { headers: [['idempotency-key', '']] }), INVALID_JSON),
  entry('order: invalid_idempotency_key before validation_failed', submit({ type: 5 }, { headers: [['idempotency-key', 'a b']] }), BAD_KEY),
  entry('order: validation_failed before unknown_job_type', submit({ type: 'nope', payload: {}, extra: 1 }), VALIDATION),
  entry('order: unknown_job_type before invalid_webhook_url', submit({ type: 'nope', payload: {}, webhookUrl: 'http://127.0.0.1/' }), UNKNOWN_TYPE),
  entry('order: validation_failed (payload) before invalid_webhook_url', submit({ type: 'email', payload: {}, webhookUrl: 'http://127.0.0.1/' }), VALIDATION),
  entry('order: validation_failed (payload) before invalid_target_url', submit({ type: 'http', payload: { url: 'http://127.0.0.1/', timeoutSeconds: 0 } }), VALIDATION),
];

// ---------------------------------------------------------------------------
// Encodings

const INVALID_UTF8: ReadonlyArray<readonly [string, number[]]> = [
  ['ff fe', [0xff, 0xfe]],
  ['overlong c0 ae', [0xc0, 0xae]],
  ['overlong e0 80 af', [0xe0, 0x80, 0xaf]],
  ['overlong f0 80 80 af', [0xf0, 0x80, 0x80, 0xaf]],
  ['truncated e2 82', [0xe2, 0x82]],
  ['truncated f0 9f 98', [0xf0, 0x9f, 0x98]],
  ['CESU high surrogate ed a0 80', [0xed, 0xa0, 0x80]],
  ['CESU low surrogate ed b0 80', [0xed, 0xb0, 0x80]],
  ['CESU pair ed a0 bd ed b8 80', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
  ['lone continuation 80', [0x80]],
  ['lone lead c3', [0xc3]],
  ['five-byte f8 88 80 80 80', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['beyond U+10FFFF f4 90 80 80', [0xf4, 0x90, 0x80, 0x80]],
  ['byte fe', [0xfe]],
];

const encodings: HostileEntry[] = [
  ...INVALID_UTF8.map(([name, bytes]) => entry(`invalid UTF-8 in a payload string: ${name}`, submit(withBytes('{"type":"echo","payload":{"s":"a', bytes, 'b"}}')), INVALID_JSON)),
  entry('invalid UTF-8 in a payload key (ff)', submit(withBytes('{"type":"echo","payload":{"k', [0xff], '":1}}')), INVALID_JSON),
  entry('invalid UTF-8 in type (c0 ae)', submit(withBytes('{"type":"echo', [0xc0, 0xae], '","payload":{}}')), INVALID_JSON),
  entry('invalid UTF-8 in an email subject (ed a0 80)', submit(withBytes('{"type":"email","payload":{"to":"a@example.com","subject":"', [0xed, 0xa0, 0x80], '","text":"t"}}')), INVALID_JSON),
  entry('invalid UTF-8 in webhookUrl (e2 82)', submit(withBytes('{"type":"echo","payload":{},"webhookUrl":"https://example.com/', [0xe2, 0x82], '"}')), INVALID_JSON),
  entry('invalid UTF-8 in a batch item (ff fe)', post('/v1/jobs/batch', withBytes('{"jobs":[{"type":"echo","payload":{"s":"', [0xff, 0xfe], '"}}]}')), INVALID_JSON),
  entry('Latin-1 é under charset=utf-8', submit(withBytes('{"type":"echo","payload":{"s":"caf', [0xe9], '"}}'), { contentType: 'application/json; charset=utf-8' }), INVALID_JSON),
  entry('charset=iso-8859-1, ASCII body', submit(ECHO_TEXT, { contentType: 'application/json; charset=iso-8859-1' }), NOT_UTF8_JSON),
  entry('charset=iso-8859-1, Latin-1 body', submit(withBytes('{"type":"echo","payload":{"s":"caf', [0xe9], '"}}'), { contentType: 'application/json; charset=iso-8859-1' }), NOT_UTF8_JSON),
  entry('charset=windows-1252', submit(ECHO_TEXT, { contentType: 'application/json; charset=windows-1252' }), NOT_UTF8_JSON),
  entry('charset=utf-16 with a UTF-16 body', submit(Buffer.from(ECHO_TEXT, 'utf16le'), { contentType: 'application/json; charset=utf-16' }), NOT_UTF8_JSON),
  entry('charset=utf-32', submit(ECHO_TEXT, { contentType: 'application/json; charset=utf-32' }), NOT_UTF8_JSON),
  entry('charset=shift_jis', submit(ECHO_TEXT, { contentType: 'application/json; charset=shift_jis' }), NOT_UTF8_JSON),
  entry('charset=bogus', submit(ECHO_TEXT, { contentType: 'application/json; charset=bogus' }), NOT_UTF8_JSON),
  entry('content-encoding gzip (gzipped job)', submit(gzipSync(ECHO_TEXT), { headers: [['content-encoding', 'gzip']] }), NOT_UTF8_JSON),
  entry('content-encoding deflate (deflated job)', submit(deflateSync(ECHO_TEXT), { headers: [['content-encoding', 'deflate']] }), NOT_UTF8_JSON),
  entry('content-encoding gzip on a plain body', submit(ECHO_TEXT, { headers: [['content-encoding', 'gzip']] }), NOT_UTF8_JSON),
  entry('content-encoding br', submit(ECHO_TEXT, { headers: [['content-encoding', 'br']] }), NOT_UTF8_JSON),
  entry('gzipped batch', post('/v1/jobs/batch', gzipSync(JSON.stringify({ jobs: [ECHO] })), { headers: [['content-encoding', 'gzip']] }), NOT_UTF8_JSON),
];

// ---------------------------------------------------------------------------
// Headers

/** A body with a flaw only the media type check may reveal: `{}` is validation_failed once the type passes. */
const mediaTypeProbe = (contentType: string | null, expect: Expectation) => entry(`content-type ${JSON.stringify(contentType)}`, submit('{}', { contentType }), expect);

const headers: HostileEntry[] = [
  // Idempotency-Key (§3: 1..255 visible ASCII); each with a body that would otherwise create a job.
  entry('Idempotency-Key empty', submit(ECHO, { headers: [['idempotency-key', '']] }), BAD_KEY),
  entry('Idempotency-Key of 256 characters', submit(ECHO, { headers: [['idempotency-key', 'k'.repeat(256)]] }), BAD_KEY),
  entry('Idempotency-Key of 4,000 characters', submit(ECHO, { headers: [['idempotency-key', 'k'.repeat(4000)]] }), BAD_KEY),
  entry('Idempotency-Key with a space inside', submit(ECHO, { headers: [['idempotency-key', 'order 42']] }), BAD_KEY),
  entry('Idempotency-Key with a tab inside', submit(ECHO, { headers: [['idempotency-key', 'order\t42']] }), BAD_KEY),
  entry('Idempotency-Key non-ASCII (UTF-8 "clé")', submit(ECHO, { headers: [['idempotency-key', Buffer.from('clé', 'utf8').toString('latin1')]] }), BAD_KEY),
  entry('Idempotency-Key Latin-1 byte e9', submit(ECHO, { headers: [['idempotency-key', 'caf\u00e9']] }), BAD_KEY),
  entry('Idempotency-Key sent twice (a, b)', submit(ECHO, { headers: [['idempotency-key', 'dup-a'], ['idempotency-key', 'dup-b']] }), BAD_KEY),
  entry('Idempotency-Key sent twice, same value', submit(ECHO, { headers: [['idempotency-key', 'dup-same'], ['idempotency-key', 'dup-same']] }), BAD_KEY),
  entry('Idempotency-Key with NUL', submit(ECHO, { headers: [['idempotency-key', 'a\u0000b']] }), REFUSED),
  entry('Idempotency-Key with DEL', submit(ECHO, { headers: [['idempotency-key', 'a\u007fb']] }), REFUSED),
  entry('Idempotency-Key with a bare CR', submit(ECHO, { headers: [['idempotency-key', 'a\rb']] }), REFUSED),
  entry('Idempotency-Key with a vertical tab', submit(ECHO, { headers: [['idempotency-key', 'a\u000bb']] }), REFUSED),
  entry('Idempotency-Key with ESC', submit(ECHO, { headers: [['idempotency-key', 'a\u001bb']] }), REFUSED),
  entry('Idempotency-Key reused with another body', (f) => submit(echoWith({ payload: { other: true } }), { headers: [['idempotency-key', f.keyed.key]] })(), answer(422, 'idempotency_key_reused')),
  entry('Idempotency-Key replayed with the same body (200, nothing new)', (f) => submit(f.keyed.body, { headers: [['idempotency-key', f.keyed.key]] })(), answer(200)),
  entry('Idempotency-Key of another tenant’s job, with a bad body (keys are per tenant)', (f) => submit({ type: 'echo' }, { headers: [['idempotency-key', f.keyed.key]], key: 'other' })(), VALIDATION),
  // x-api-key (§3 Authentication).
  entry('x-api-key empty', get('/v1/job-types', { key: { literal: '' } }), FORBIDDEN),
  entry('x-api-key unknown', get('/v1/job-types', { key: { literal: 'not-a-key' } }), FORBIDDEN),
  entry('x-api-key with a suffix', (f) => get('/v1/job-types', { key: { literal: `${f.keys.dev}x` } })(), FORBIDDEN),
  entry('x-api-key upper-cased', (f) => get('/v1/job-types', { key: { literal: f.keys.dev.toUpperCase() } })(), FORBIDDEN),
  entry('x-api-key truncated', (f) => get('/v1/job-types', { key: { literal: f.keys.dev.slice(0, -1) } })(), FORBIDDEN),
  entry('x-api-key of 8,000 characters', get('/v1/job-types', { key: { literal: 'k'.repeat(8000) } }), FORBIDDEN),
  entry('x-api-key with Latin-1 bytes', get('/v1/job-types', { key: { literal: 'cl\u00e9\u00ff' } }), FORBIDDEN),
  entry('x-api-key sent twice (same key)', (f) => get('/v1/job-types', { headers: [['x-api-key', f.keys.dev]] })(), FORBIDDEN),
  entry('x-api-key sent twice (two tenants)', (f) => get('/v1/job-types', { headers: [['x-api-key', f.keys.other]] })(), FORBIDDEN),
  entry('x-api-key with NUL', (f) => get('/v1/job-types', { key: { literal: `${f.keys.dev}\u0000` } })(), REFUSED),
  entry('x-api-key with DEL', (f) => get('/v1/job-types', { key: { literal: `${f.keys.dev}\u007f` } })(), REFUSED),
  entry('x-api-key with a bare CR', (f) => get('/v1/job-types', { key: { literal: `${f.keys.dev}\rx` } })(), REFUSED),
  entry('x-api-key as a query parameter only', (f) => get(`/v1/job-types?x-api-key=${f.keys.dev}`, { key: 'none' })(), FORBIDDEN),
  entry('Authorization bearer instead of x-api-key', (f) => get('/v1/job-types', { key: 'none', headers: [['authorization', `Bearer ${f.keys.dev}`]] })(), FORBIDDEN),
  // Content types (§3: 415 for a POST without a JSON content type).
  mediaTypeProbe(null, MEDIA_TYPE),
  mediaTypeProbe('', MEDIA_TYPE),
  mediaTypeProbe('text/plain', MEDIA_TYPE),
  mediaTypeProbe('text/json', MEDIA_TYPE),
  mediaTypeProbe('application/x-www-form-urlencoded', MEDIA_TYPE),
  mediaTypeProbe('multipart/form-data; boundary=x', MEDIA_TYPE),
  mediaTypeProbe('application/jsonp', MEDIA_TYPE),
  mediaTypeProbe('application/json5', MEDIA_TYPE),
  mediaTypeProbe('application/xml', MEDIA_TYPE),
  mediaTypeProbe('json', MEDIA_TYPE),
  mediaTypeProbe('*/*', MEDIA_TYPE),
  mediaTypeProbe('application/*', MEDIA_TYPE),
  mediaTypeProbe('APPLICATION/JSON', VALIDATION),
  mediaTypeProbe('application/json; charset=UTF-8', VALIDATION),
  mediaTypeProbe('application/json;charset="utf-8"', VALIDATION),
  mediaTypeProbe('application/json ; charset=utf-8', VALIDATION),
  mediaTypeProbe('application/problem+json', VALIDATION),
  mediaTypeProbe('application/vnd.api+json', VALIDATION),
  entry('no content type, empty body', submit(undefined, { contentType: null }), MEDIA_TYPE),
  entry('batch without a content type', post('/v1/jobs/batch', JSON.stringify({ jobs: [ECHO] }), { contentType: null }), MEDIA_TYPE),
  entry('batch as text/plain', post('/v1/jobs/batch', JSON.stringify({ jobs: [ECHO] }), { contentType: 'text/plain' }), MEDIA_TYPE),
  entry('chunked body that is not JSON', () => ({ method: 'POST', target: '/v1/jobs', headers: [['transfer-encoding', 'chunked']], body: '5\r\nhello\r\n0\r\n\r\n' }), INVALID_JSON),
  entry('Expect: 100-continue with a body that is not JSON', () => ({ method: 'POST', target: '/v1/jobs', headers: [['expect', '100-continue']], body: 'nope' }), INVALID_JSON),
  entry('Expect: 100-continue with 300 KB', () => ({ method: 'POST', target: '/v1/jobs', headers: [['expect', '100-continue']], body: bodyOfSize(300_000) }), TOO_LARGE),
  entry('HTTP/1.0 request to an unknown path', () => ({ method: 'GET', target: '/', raw: (host, key) => Buffer.from(`GET /v1/nowhere HTTP/1.0\r\nhost: ${host}\r\nx-api-key: ${key}\r\n\r\n`) }), NOT_FOUND),
  entry('chunked body {} (chunking itself is fine)', () => ({ method: 'POST', target: '/v1/jobs', headers: [['transfer-encoding', 'chunked']], body: '2\r\n{}\r\n0\r\n\r\n' }), VALIDATION),
];

// ---------------------------------------------------------------------------
// Raw framing (what Node's parser refuses must still be a problem document)

const rawHead = (host: string, apiKey: string, requestLine: string, extra: string) =>
  Buffer.from(`${requestLine}\r\nhost: ${host}\r\nx-api-key: ${apiKey}\r\n${extra}connection: close\r\n\r\n`, 'latin1');

const framing: HostileEntry[] = [
  entry('bad chunk size', () => ({ method: 'POST', target: '/v1/jobs', headers: [['transfer-encoding', 'chunked']], body: 'zz\r\n{}\r\n0\r\n\r\n' }), REFUSED),
  entry('negative chunk size', () => ({ method: 'POST', target: '/v1/jobs', headers: [['transfer-encoding', 'chunked']], body: '-2\r\n{}\r\n0\r\n\r\n' }), REFUSED),
  entry('chunk size overflowing 64 bits', () => ({ method: 'POST', target: '/v1/jobs', headers: [['transfer-encoding', 'chunked']], body: 'ffffffffffffffffff\r\n{}\r\n0\r\n\r\n' }), REFUSED),
  entry('Content-Length with Transfer-Encoding', () => ({ method: 'POST', target: '/v1/jobs', headers: [['content-length', '5'], ['transfer-encoding', 'chunked']], body: '0\r\n\r\n' }), REFUSED),
  entry('two different Content-Lengths', () => ({ method: 'POST', target: '/v1/jobs', headers: [['content-length', '2'], ['content-length', '3']], body: '{}' }), REFUSED),
  entry('Content-Length not a number', () => ({ method: 'POST', target: '/v1/jobs', headers: [['content-length', 'abc']], body: '{}' }), REFUSED),
  entry('Content-Length negative', () => ({ method: 'POST', target: '/v1/jobs', headers: [['content-length', '-1']], body: '{}' }), REFUSED),
  entry('Transfer-Encoding not chunked last', () => ({ method: 'POST', target: '/v1/jobs', headers: [['transfer-encoding', 'chunked, gzip']], body: '2\r\n{}\r\n0\r\n\r\n' }), REFUSED),
  entry('NUL in a header value', () => ({ method: 'GET', target: '/v1/job-types', headers: [['x-note', 'a\u0000b']] }), REFUSED),
  entry('bare CR in a header value', () => ({ method: 'GET', target: '/v1/job-types', headers: [['x-note', 'a\rb']] }), REFUSED),
  entry('DEL in a header value', () => ({ method: 'GET', target: '/v1/job-types', headers: [['x-note', 'a\u007fb']] }), REFUSED),
  entry('header line without a colon', () => ({ method: 'GET', target: '/v1/job-types', raw: (host, key) => rawHead(host, key, 'GET /v1/job-types HTTP/1.1', 'no-colon-here\r\n') }), REFUSED),
  entry('space before the colon', () => ({ method: 'GET', target: '/v1/job-types', raw: (host, key) => rawHead(host, key, 'GET /v1/job-types HTTP/1.1', 'x-note : 1\r\n') }), REFUSED),
  entry('header name with a space', () => ({ method: 'GET', target: '/v1/job-types', raw: (host, key) => rawHead(host, key, 'GET /v1/job-types HTTP/1.1', 'x bad: 1\r\n') }), REFUSED),
  entry('obsolete line folding', () => ({ method: 'GET', target: '/v1/job-types', raw: (host, key) => rawHead(host, key, 'GET /v1/job-types HTTP/1.1', 'x-note: 1\r\n  2\r\n') }), REFUSED),
  entry('bare LF line endings', () => ({ method: 'GET', target: '/v1/job-types', raw: (host, key) => Buffer.from(`GET /v1/job-types HTTP/1.1\nhost: ${host}\nx-api-key: ${key}\nconnection: close\n\n`) }), REFUSED),
  entry('header of 20,000 bytes', () => ({ method: 'GET', target: '/v1/job-types', headers: [['x-big', 'b'.repeat(20_000)]] }), REFUSED),
  entry('raw UTF-8 bytes in the path', () => ({ method: 'GET', target: '/v1/jobs/x', raw: (host, key) => rawHead(host, key, 'GET /v1/jobs/\u00c3\u00a9 HTTP/1.1', '') }), REFUSED),
  entry('tab in the request line', () => ({ method: 'GET', target: '/v1/job-types', raw: (host, key) => rawHead(host, key, 'GET\t/v1/job-types HTTP/1.1', '') }), REFUSED),
];

// ---------------------------------------------------------------------------
// Paths (§3: `%2F` never splits a segment; unknown paths 404)

const paths: HostileEntry[] = [
  entry('root', get('/'), NOT_FOUND),
  entry('/v1', get('/v1'), NOT_FOUND),
  entry('/v2/jobs', get('/v2/jobs'), NOT_FOUND),
  entry('upper-case /V1/JOBS', get('/V1/JOBS?status=queued'), NOT_FOUND),
  entry('/v1/Jobs', get('/v1/Jobs?status=queued'), NOT_FOUND),
  entry('unknown route under a job', (f) => get(`/v1/jobs/${f.jobs.queued}/nothing`)(), NOT_FOUND),
  entry('route one level too deep', (f) => get(`/v1/jobs/${f.jobs.queued}/attempts/1`)(), NOT_FOUND),
  entry('/v1/jobs/batch/x', post('/v1/jobs/batch/x', { jobs: [ECHO] }), NOT_FOUND),
  entry('2,000-character unknown path', get(`/${'x'.repeat(2000)}`), NOT_FOUND),
  entry('8,000-character job id', get(`/v1/jobs/${'a'.repeat(8000)}`), JOB_NOT_FOUND),
  entry('20,000-character path', get(`/v1/jobs/${'a'.repeat(20_000)}`), REFUSED),
  // %2F inside a segment is part of the segment (issue 9 class 5).
  entry('POST /v1/jobs/<queued>%2Fcancel (the route /v1/jobs/{id} has no POST)', (f) => post(`/v1/jobs/${f.jobs.queued}%2Fcancel`, undefined)(), NOT_ALLOWED),
  entry('POST /v1/jobs/<queued>%2fcancel (lower-case escape)', (f) => post(`/v1/jobs/${f.jobs.queued}%2fcancel`, undefined)(), NOT_ALLOWED),
  entry('POST /v1/jobs/<canceled>%2Fretry', (f) => post(`/v1/jobs/${f.jobs.canceled}%2Fretry`, undefined)(), NOT_ALLOWED),
  entry('POST /v1/jobs/<succeeded>%2Fwebhook%2Fredeliver', (f) => post(`/v1/jobs/${f.jobs.succeeded}%2Fwebhook%2Fredeliver`, undefined)(), NOT_ALLOWED),
  entry('POST /v1/jobs/<succeeded>/webhook%2Fredeliver', (f) => post(`/v1/jobs/${f.jobs.succeeded}/webhook%2Fredeliver`, undefined)(), NOT_FOUND),
  entry('DELETE /v1/jobs/<succeeded>%2Fattempts', (f) => ({ method: 'DELETE', target: `/v1/jobs/${f.jobs.succeeded}%2Fattempts` }), JOB_NOT_FOUND),
  entry('DELETE /v1/jobs/<queued>%2Fcancel', (f) => ({ method: 'DELETE', target: `/v1/jobs/${f.jobs.queued}%2Fcancel` }), JOB_NOT_FOUND),
  entry('GET /v1/jobs/<queued>%2Fcancel', (f) => get(`/v1/jobs/${f.jobs.queued}%2Fcancel`)(), JOB_NOT_FOUND),
  entry('GET /v1/jobs/<succeeded>%2Fattempts', (f) => get(`/v1/jobs/${f.jobs.succeeded}%2Fattempts`)(), JOB_NOT_FOUND),
  entry('POST /v1/jobs/<queued>%252Fcancel (double-encoded)', (f) => post(`/v1/jobs/${f.jobs.queued}%252Fcancel`, undefined)(), NOT_ALLOWED),
  entry('POST /v1/jobs%2Fbatch', post('/v1/jobs%2Fbatch', { jobs: [ECHO] }), NOT_FOUND),
  entry('GET /v1%2Fjobs', get('/v1%2Fjobs?status=queued'), NOT_FOUND),
  entry('GET /v1%2Fjob-types', get('/v1%2Fjob-types'), NOT_FOUND),
  // Dot segments, empty segments, other target forms: normalised or refused, never a success.
  entry('.. to an unknown route', get('/v1/jobs/../nowhere'), REFUSED),
  entry('.. above the root', get('/../../etc/passwd'), REFUSED),
  entry('%2e%2e to an unknown route', get('/v1/jobs/%2e%2e/nowhere'), REFUSED),
  entry('.. out of a job to the list (no status)', (f) => get(`/v1/jobs/${f.jobs.queued}/../../jobs`)(), REFUSED),
  entry('. segment', get('/v1/./jobs'), REFUSED),
  entry('// at the start', get('//v1/jobs'), REFUSED),
  entry('// in the middle', get('/v1//jobs'), REFUSED),
  entry('// before attempts', (f) => get(`/v1/jobs/${f.jobs.succeeded}//attempts`)(), REFUSED),
  entry('trailing slash on the list', get('/v1/jobs/'), REFUSED),
  entry('trailing slash on job-types with no key', get('/v1/job-types/', { key: 'none' }), REFUSED),
  entry('absolute-form target, this host', (f) => get(`http://${f.host}/v1/jobs`)(), REFUSED),
  entry('absolute-form target, another host', get('http://evil.example/v1/nowhere'), REFUSED),
  entry('asterisk-form target', get('*'), REFUSED),
  entry('target without a leading slash', get('v1/jobs'), REFUSED),
  // Encoded nonsense.
  entry('malformed escape %ZZ', get('/v1/jobs/%ZZ'), REFUSED),
  entry('lone %', get('/v1/jobs/%'), REFUSED),
  entry('escaped invalid UTF-8 %C0%AE', get('/v1/jobs/%C0%AE'), REFUSED),
  entry('escaped invalid UTF-8 %FF', get('/v1/jobs/%FF'), REFUSED),
  entry('escaped truncated UTF-8 %E2%82', get('/v1/jobs/%E2%82'), REFUSED),
  entry('escaped NUL as the job id', get('/v1/jobs/%00'), JOB_NOT_FOUND),
  entry('escaped NUL after a real job id', (f) => get(`/v1/jobs/${f.jobs.queued}%00`)(), JOB_NOT_FOUND),
  entry('escaped space after a real job id', (f) => get(`/v1/jobs/${f.jobs.queued}%20`)(), JOB_NOT_FOUND),
  entry('emoji job id', get('/v1/jobs/%F0%9F%98%80'), JOB_NOT_FOUND),
  entry('job id "constructor"', get('/v1/jobs/constructor'), JOB_NOT_FOUND),
  entry('job id "__proto__"', get('/v1/jobs/__proto__'), JOB_NOT_FOUND),
  entry('attempts of job "toString"', get('/v1/jobs/toString/attempts'), JOB_NOT_FOUND),
];

// ---------------------------------------------------------------------------
// Query parameters (§3.3)

/** A cursor with a correct checksum (the documented scheme is tamper-evident, not secret) around any position. */
export function forgeCursor(tenantId: string, status: string, position: unknown, type = ''): string {
  const checksum = createHash('sha256')
    .update(['cursor-v1', tenantId, status, type, String(position)].join('\u0000'))
    .digest('base64url')
    .slice(0, 22);
  return Buffer.from(JSON.stringify({ p: position, h: checksum })).toString('base64url');
}

const list = (query: string) => get(`/v1/jobs?${query}`);
const b64 = (text: string) => Buffer.from(text).toString('base64url');

const query: HostileEntry[] = [
  entry('no status', list(''), VALIDATION),
  entry('status empty', list('status='), VALIDATION),
  entry('status unknown', list('status=bogus'), VALIDATION),
  entry('status upper-case', list('status=QUEUED'), VALIDATION),
  entry('status with NUL', list('status=queued%00'), VALIDATION),
  entry('status "constructor"', list('status=constructor'), VALIDATION),
  entry('status "__proto__"', list('status=__proto__'), VALIDATION),
  entry('status "toString"', list('status=toString'), VALIDATION),
  entry('status[]=queued', list('status[]=queued'), VALIDATION),
  entry('STATUS=queued (names are case-sensitive)', list('STATUS=queued'), VALIDATION),
  entry('status of 10,000 characters', list(`status=${'q'.repeat(10_000)}`), VALIDATION),
  // Repeated parameters: API Gateway's single-value map keeps the last; refusing is fine too.
  entry('status repeated', list('status=queued&status=running'), [answer(200), VALIDATION]),
  ...['0', '101', '-1', '1.5', 'abc', '1e2', '99999999999999999999', '', '+5', '%205', '0x10', '5abc', 'NaN', 'Infinity', '-0', '1%00'].map((limit) =>
    entry(`limit ${JSON.stringify(decodeURIComponent(limit))}`, list(`status=queued&limit=${limit}`), VALIDATION),
  ),
  entry('limit repeated (1, 500)', list('status=queued&limit=1&limit=500'), [answer(200), VALIDATION]),
  entry('type of 10,000 characters', list(`status=queued&type=${'t'.repeat(10_000)}`), [answer(200), VALIDATION]),
  entry('type "constructor"', list('status=queued&type=constructor'), [answer(200), VALIDATION, UNKNOWN_TYPE]),
  // Cursors: altered, foreign, or shaped wrongly behind a valid checksum (issue 9 class 3).
  entry('cursor altered (one character)', (f) => list(`status=succeeded&limit=1&cursor=${flipOne(f.cursors.succeeded)}`)(), BAD_CURSOR),
  entry('cursor truncated', (f) => list(`status=succeeded&limit=1&cursor=${f.cursors.succeeded.slice(0, 20)}`)(), BAD_CURSOR),
  entry('cursor with a suffix', (f) => list(`status=succeeded&limit=1&cursor=${f.cursors.succeeded}AA`)(), BAD_CURSOR),
  entry('cursor empty', list('status=succeeded&cursor='), BAD_CURSOR),
  entry('cursor not base64', list('status=succeeded&cursor=!!!***'), BAD_CURSOR),
  entry('cursor of 5,000 characters', list(`status=succeeded&cursor=${'A'.repeat(5000)}`), BAD_CURSOR),
  entry('cursor base64 of null', list(`status=succeeded&cursor=${b64('null')}`), BAD_CURSOR),
  entry('cursor base64 of []', list(`status=succeeded&cursor=${b64('[]')}`), BAD_CURSOR),
  entry('cursor base64 of {}', list(`status=succeeded&cursor=${b64('{}')}`), BAD_CURSOR),
  entry('cursor base64 of a number position', list(`status=succeeded&cursor=${b64('{"p":5,"h":"x"}')}`), BAD_CURSOR),
  entry('cursor with a __proto__ key', list(`status=succeeded&cursor=${b64('{"__proto__":{"p":"x"},"h":"x"}')}`), BAD_CURSOR),
  entry('cursor from another status', (f) => list(`status=queued&limit=1&cursor=${f.cursors.succeeded}`)(), BAD_CURSOR),
  entry('cursor from another tenant', (f) => list(`status=succeeded&limit=1&cursor=${f.cursors.otherSucceeded}`)(), BAD_CURSOR),
  entry('cursor from a query with type=echo, used without it', (f) => list(`status=succeeded&limit=1&cursor=${f.cursors.succeededEcho}`)(), BAD_CURSOR),
  entry('cursor without type, used with type=echo', (f) => list(`status=succeeded&limit=1&type=echo&cursor=${f.cursors.succeeded}`)(), BAD_CURSOR),
  entry('cursor with a valid checksum and an empty position', (f) => list(`status=succeeded&cursor=${forgeCursor(f.tenants.dev, 'succeeded', '')}`)(), BAD_CURSOR),
  entry('cursor with a valid checksum and a 1,500-character position', (f) => list(`status=succeeded&cursor=${forgeCursor(f.tenants.dev, 'succeeded', 'p'.repeat(1500))}`)(), BAD_CURSOR),
  entry('cursor with a valid checksum and a 1,500-character job id', (f) => list(`status=succeeded&cursor=${forgeCursor(f.tenants.dev, 'succeeded', `2026-12-01T00:00:00.000Z#${'j'.repeat(1500)}`)}`)(), BAD_CURSOR),
  entry('cursor with a valid checksum and position "#"', (f) => list(`status=succeeded&cursor=${forgeCursor(f.tenants.dev, 'succeeded', '#')}`)(), BAD_CURSOR),
  entry('cursor with a valid checksum and a position without "#"', (f) => list(`status=succeeded&cursor=${forgeCursor(f.tenants.dev, 'succeeded', 'x')}`)(), BAD_CURSOR),
  entry('cursor with a valid checksum and a NUL in the position', (f) => list(`status=succeeded&cursor=${forgeCursor(f.tenants.dev, 'succeeded', 'a\u0000#b')}`)(), BAD_CURSOR),
  entry('cursor with a valid checksum for the other tenant', (f) => list(`status=succeeded&cursor=${forgeCursor(f.tenants.other, 'succeeded', '')}`)(), BAD_CURSOR),
];

function flipOne(cursor: string): string {
  const at = Math.floor(cursor.length / 2);
  const replacement = cursor[at] === 'A' ? 'B' : 'A';
  return cursor.slice(0, at) + replacement + cursor.slice(at + 1);
}

// ---------------------------------------------------------------------------
// Methods on every route (§3: 405 when the route exists and the method does not)

interface RouteShape {
  readonly name: string;
  readonly target: (f: Fixture) => string;
  readonly allowed: readonly string[];
  readonly isPublic?: boolean;
}

const ROUTE_SHAPES: readonly RouteShape[] = [
  { name: '/v1/jobs', target: () => '/v1/jobs', allowed: ['GET', 'POST'] },
  { name: '/v1/jobs/batch', target: () => '/v1/jobs/batch', allowed: ['POST'] },
  { name: '/v1/jobs/{id}', target: (f) => `/v1/jobs/${f.jobs.queued}`, allowed: ['GET', 'DELETE'] },
  { name: '/v1/jobs/{id}/attempts', target: (f) => `/v1/jobs/${f.jobs.succeeded}/attempts`, allowed: ['GET'] },
  { name: '/v1/jobs/{id}/cancel', target: (f) => `/v1/jobs/${f.jobs.queued}/cancel`, allowed: ['POST'] },
  { name: '/v1/jobs/{id}/retry', target: (f) => `/v1/jobs/${f.jobs.canceled}/retry`, allowed: ['POST'] },
  { name: '/v1/jobs/{id}/webhook/redeliver', target: (f) => `/v1/jobs/${f.jobs.succeeded}/webhook/redeliver`, allowed: ['POST'] },
  { name: '/v1/job-types', target: () => '/v1/job-types', allowed: ['GET'] },
  { name: '/v1/openapi.json', target: () => '/v1/openapi.json', allowed: ['GET'], isPublic: true },
];

/** Methods Node's parser knows, so they reach the API; HEAD only where there is no GET (a HEAD answer has no body to check). */
const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'HEAD'];

const methods: HostileEntry[] = ROUTE_SHAPES.flatMap((route) => [
  ...OTHER_METHODS.filter((m) => !route.allowed.includes(m) && !(m === 'HEAD' && route.allowed.includes('GET'))).map((method) =>
    entry(`${method} ${route.name}`, (f) => ({ method, target: route.target(f), ...(['POST', 'PUT', 'PATCH'].includes(method) ? { body: ECHO } : {}) }), NOT_ALLOWED),
  ),
  ...(route.isPublic ? [] : [entry(`PUT ${route.name} without a key (403 before 405)`, (f) => ({ method: 'PUT', target: route.target(f), key: 'none' as const }), FORBIDDEN)]),
  entry(`lower-case ${route.allowed[0].toLowerCase()} ${route.name}`, (f) => ({ method: route.allowed[0].toLowerCase(), target: route.target(f) }), REFUSED),
  entry(`unknown method FOO ${route.name}`, (f) => ({ method: 'FOO', target: route.target(f) }), REFUSED),
  entry(`CONNECT ${route.name}`, (f) => ({ method: 'CONNECT', target: route.target(f) }), REFUSED),
]);
methods.push(
  entry('PATCH /v1/jobs/{id} with a body that would change it', (f) => ({ method: 'PATCH', target: `/v1/jobs/${f.jobs.queued}`, body: { status: 'canceled' } }), NOT_ALLOWED),
  entry('PUT /v1/jobs/{id} replacing it', (f) => ({ method: 'PUT', target: `/v1/jobs/${f.jobs.queued}`, body: ECHO }), NOT_ALLOWED),
  entry('method too long for any route (GET… 200 letters)', () => ({ method: 'G'.repeat(200), target: '/v1/job-types' }), REFUSED),
  entry('405 before 413 (PUT with 300 KB)', () => ({ method: 'PUT', target: '/v1/jobs/batch', body: bodyOfSize(300_000) }), NOT_ALLOWED),
);

// ---------------------------------------------------------------------------
// Authentication on every keyed route, and its place in the order

const KEY_PROBLEMS: ReadonlyArray<readonly [string, Request['key']]> = [
  ['no x-api-key', 'none'],
  ['an unknown key', { literal: 'jobs_unknown_key_000000000000' }],
  ['a disabled key', 'disabledKey'],
  ['the key of a disabled tenant', 'disabledTenant'],
];

const auth: HostileEntry[] = [
  ...ROUTE_SHAPES.filter((r) => !r.isPublic).flatMap((route) =>
    KEY_PROBLEMS.map(([name, key]) =>
      entry(`${route.allowed[0]} ${route.name} with ${name}`, (f) => ({ method: route.allowed[0], target: route.target(f), key, ...(route.allowed[0] === 'POST' ? { body: route.name.endsWith('batch') ? { jobs: [ECHO] } : ECHO } : {}) }), FORBIDDEN),
    ),
  ),
  entry('unknown path without a key (404 before 403)', get('/v1/nowhere', { key: 'none' }), NOT_FOUND),
  entry('too-deep path without a key', get('/v1/jobs/a/b/c/d', { key: 'none' }), NOT_FOUND),
  entry('POST /v1/openapi.json without a key (public route: 405)', post('/v1/openapi.json', ECHO, { key: 'none' }), NOT_ALLOWED),
  entry('403 before 413 (300 KB without a key)', submit(bodyOfSize(300_000), { key: 'none' }), FORBIDDEN),
  entry('403 before 415', submit('x', { key: 'none', contentType: 'text/plain' }), FORBIDDEN),
  entry('403 before invalid_json', submit('x', { key: 'none' }), FORBIDDEN),
];

// ---------------------------------------------------------------------------
// Actions whose state does not allow them; other tenants' jobs (§3.5, §3 Authentication)

const NO_SUCH_JOB = '00000000-0000-4000-8000-000000000000';
const act = (method: string, path: (f: Fixture) => string) => (f: Fixture): Request => ({ method, target: path(f) });

const actions: HostileEntry[] = [
  entry('cancel a succeeded job', act('POST', (f) => `/v1/jobs/${f.jobs.succeeded}/cancel`), answer(409, 'job_not_cancelable')),
  entry('cancel a canceled job', act('POST', (f) => `/v1/jobs/${f.jobs.canceled}/cancel`), answer(409, 'job_not_cancelable')),
  entry('retry a queued job', act('POST', (f) => `/v1/jobs/${f.jobs.queued}/retry`), answer(409, 'job_not_retryable')),
  entry('retry a succeeded job', act('POST', (f) => `/v1/jobs/${f.jobs.succeeded}/retry`), answer(409, 'job_not_retryable')),
  entry('delete a queued job', act('DELETE', (f) => `/v1/jobs/${f.jobs.queued}`), answer(409, 'job_not_deletable')),
  entry('redeliver for a queued job', act('POST', (f) => `/v1/jobs/${f.jobs.queued}/webhook/redeliver`), answer(409, 'webhook_not_redeliverable')),
  entry('redeliver for a job without webhookUrl', act('POST', (f) => `/v1/jobs/${f.jobs.succeeded}/webhook/redeliver`), answer(409, 'webhook_not_redeliverable')),
  entry('redeliver for a canceled job', act('POST', (f) => `/v1/jobs/${f.jobs.canceled}/webhook/redeliver`), answer(409, 'webhook_not_redeliverable')),
  ...(
    [
      ['GET', (id: string) => `/v1/jobs/${id}`],
      ['GET', (id: string) => `/v1/jobs/${id}/attempts`],
      ['POST', (id: string) => `/v1/jobs/${id}/cancel`],
      ['POST', (id: string) => `/v1/jobs/${id}/retry`],
      ['DELETE', (id: string) => `/v1/jobs/${id}`],
      ['POST', (id: string) => `/v1/jobs/${id}/webhook/redeliver`],
    ] as const
  ).flatMap(([method, path]) => [
    entry(`${method} ${path('{other tenant’s queued}')}`, act(method, (f) => path(f.jobs.otherQueued)), JOB_NOT_FOUND),
    entry(`${method} ${path('{other tenant’s succeeded}')}`, act(method, (f) => path(f.jobs.otherSucceeded)), JOB_NOT_FOUND),
    entry(`${method} ${path('{no such job}')}`, act(method, () => path(NO_SUCH_JOB)), JOB_NOT_FOUND),
    entry(`${method} ${path('{not an id}')}`, act(method, () => path('not-a-job-id')), JOB_NOT_FOUND),
  ]),
];

// ---------------------------------------------------------------------------
// Batches (§3.7)

const batch = (body: unknown, more: Omit<Request, 'method' | 'target' | 'body'> = {}) => post('/v1/jobs/batch', body, more);
const OK_BATCH = 200;

/** Items that each fail alone, with the answer §3.1 would give each. */
const BAD_ITEMS: ReadonlyArray<readonly [string, unknown, Answer | readonly Answer[]]> = [
  ['a number', 1, INVALID_JSON],
  ['a string', 'job', INVALID_JSON],
  ['null', null, INVALID_JSON],
  ['an array', [ECHO], INVALID_JSON],
  ['true', true, INVALID_JSON],
  ['an empty object', {}, VALIDATION],
  ['an unknown type', { type: 'nope', payload: {} }, UNKNOWN_TYPE],
  ['type "constructor"', { type: 'constructor', payload: {} }, UNKNOWN_TYPE],
  ['type "__proto__"', { type: '__proto__', payload: {} }, UNKNOWN_TYPE],
  ['payload an array', { type: 'echo', payload: [] }, VALIDATION],
  ['an unknown field', echoWith({ extra: 1 }), VALIDATION],
  ['maxAttempts 0', echoWith({ maxAttempts: 0 }), VALIDATION],
  ['runAt and delaySeconds', echoWith({ runAt: new Date(0).toISOString(), delaySeconds: 1 }), VALIDATION],
  ['idempotencyKey empty', echoWith({ idempotencyKey: '' }), BAD_KEY],
  ['idempotencyKey of 256 characters', echoWith({ idempotencyKey: 'k'.repeat(256) }), BAD_KEY],
  ['idempotencyKey with a space', echoWith({ idempotencyKey: 'a b' }), BAD_KEY],
  ['idempotencyKey non-ASCII', echoWith({ idempotencyKey: 'clé' }), BAD_KEY],
  ['idempotencyKey with NUL', echoWith({ idempotencyKey: 'a\u0000b' }), BAD_KEY],
  ['idempotencyKey with DEL', echoWith({ idempotencyKey: 'a\u007fb' }), BAD_KEY],
  // Not a string at all: the key rule or the field-type rule.
  ['idempotencyKey a number', echoWith({ idempotencyKey: 5 }), [BAD_KEY, VALIDATION]],
  ['a private webhookUrl', echoWith({ webhookUrl: 'https://10.0.0.1/hook' }), BAD_WEBHOOK],
  ['an http target at the metadata address', { type: 'http', payload: { url: 'https://169.254.169.254/latest/meta-data/' } }, BAD_TARGET],
  ['a payload number 1e400', '__RAW__{"type":"echo","payload":{"n":1e400}}', VALIDATION],
];

function batchBody(items: readonly unknown[]): string {
  return `{"jobs":[${items.map((item) => (typeof item === 'string' && item.startsWith('__RAW__') ? item.slice(7) : JSON.stringify(item))).join(',')}]}`;
}

const batches: HostileEntry[] = [
  entry('batch {}', batch({}), VALIDATION),
  entry('batch with 0 items', batch({ jobs: [] }), VALIDATION),
  entry('batch with 101 items', batch({ jobs: Array.from({ length: 101 }, () => ECHO) }), VALIDATION),
  entry('batch with 101 bad items', batch({ jobs: Array.from({ length: 101 }, () => 1) }), VALIDATION),
  entry('batch jobs an object', batch({ jobs: { 0: ECHO } }), VALIDATION),
  entry('batch jobs null', batch({ jobs: null }), VALIDATION),
  entry('batch jobs a string', batch({ jobs: 'x' }), VALIDATION),
  entry('batch "Jobs" (names are case-sensitive)', batch({ Jobs: [ECHO] }), VALIDATION),
  entry('batch with an unknown top-level field', batch({ jobs: [ECHO], extra: 1 }), VALIDATION),
  entry('batch with a __proto__ field', batch(`{"jobs":[${ECHO_TEXT}],"__proto__":{}}`), VALIDATION),
  entry('batch body an array', batch([ECHO]), INVALID_JSON),
  entry('batch body null', batch('null'), INVALID_JSON),
  entry('batch body not JSON', batch('jobs'), INVALID_JSON),
  entry('batch body with trailing garbage', batch(`{"jobs":[${ECHO_TEXT}]}x`), INVALID_JSON),
  ...BAD_ITEMS.map(([name, item, expected]) => entry(`batch item: ${name}`, batch(batchBody([item])), answer(OK_BATCH), [expected])),
  entry('batch item: idempotencyKey reused with another body', (f) => batch({ jobs: [{ ...echoWith({ payload: { other: 1 } }), idempotencyKey: f.keyed.key }] })(), answer(OK_BATCH), [answer(422, 'idempotency_key_reused')]),
  entry('batch item: idempotencyKey replayed with the same body', (f) => batch({ jobs: [{ ...f.keyed.body, idempotencyKey: f.keyed.key }] })(), answer(OK_BATCH), [answer(200)]),
  entry('batch of every bad item at once, answers in request order', batch(batchBody(BAD_ITEMS.map(([, item]) => item))), answer(OK_BATCH), BAD_ITEMS.map(([, , expected]) => expected)),
  entry('batch of 100 bad items', batch(batchBody(Array.from({ length: 100 }, (_, i) => (i % 2 ? { type: 'nope', payload: {} } : 'x')))), answer(OK_BATCH), Array.from({ length: 100 }, (_, i) => (i % 2 ? UNKNOWN_TYPE : INVALID_JSON))),
];

// ---------------------------------------------------------------------------
// The URL guard's spellings (§6), on a twin with ALLOW_PRIVATE_TARGETS=false

const UNSAFE_URLS: ReadonlyArray<readonly [string, string]> = [
  ['plain http', 'http://example.com/hook'],
  ['ftp', 'ftp://example.com/hook'],
  ['javascript:', 'javascript:alert(1)'],
  ['file:', 'file:///etc/passwd'],
  ['no scheme', 'example.com/hook'],
  ['userinfo', 'https://user:secret@example.com/hook'],
  ['user without password', 'https://user@example.com/hook'],
  ['loopback 127.0.0.1', 'https://127.0.0.1/hook'],
  ['localhost', 'https://localhost/hook'],
  ['decimal IPv4 2130706433', 'https://2130706433/hook'],
  ['hex IPv4 0x7f000001', 'https://0x7f000001/hook'],
  ['octal IPv4 0177.0.0.1', 'https://0177.0.0.1/hook'],
  ['short IPv4 127.1', 'https://127.1/hook'],
  ['private 10.0.0.1', 'https://10.0.0.1/hook'],
  ['private 192.168.1.1', 'https://192.168.1.1/hook'],
  ['private 172.16.0.1', 'https://172.16.0.1/hook'],
  ['CGNAT 100.64.0.1', 'https://100.64.0.1/hook'],
  ['unspecified 0.0.0.0', 'https://0.0.0.0/hook'],
  ['metadata 169.254.169.254', 'https://169.254.169.254/latest/meta-data/'],
  ['metadata as decimal 2852039166', 'https://2852039166/latest/meta-data/'],
  ['metadata as hex 0xa9fea9fe', 'https://0xa9fea9fe/'],
  ['link-local 169.254.1.1', 'https://169.254.1.1/hook'],
  ['multicast 224.0.0.1', 'https://224.0.0.1/hook'],
  ['IPv6 loopback [::1]', 'https://[::1]/hook'],
  ['IPv6 unspecified [::]', 'https://[::]/hook'],
  ['IPv4-mapped [::ffff:127.0.0.1]', 'https://[::ffff:127.0.0.1]/hook'],
  ['IPv4-mapped hex [::ffff:7f00:1]', 'https://[::ffff:7f00:1]/hook'],
  ['IPv4-mapped metadata [::ffff:169.254.169.254]', 'https://[::ffff:169.254.169.254]/'],
  ['AWS IPv6 metadata [fd00:ec2::254]', 'https://[fd00:ec2::254]/latest/meta-data/'],
  ['unique local [fc00::1]', 'https://[fc00::1]/hook'],
  ['link-local [fe80::1]', 'https://[fe80::1]/hook'],
  ['metadata.google.internal', 'https://metadata.google.internal/computeMetadata/v1/'],
  ['trailing-dot loopback 127.0.0.1.', 'https://127.0.0.1./hook'],
  ['longer than 2048 characters', `https://example.com/${'a'.repeat(2100)}`],
];

const urlGuard: HostileEntry[] = [
  ...UNSAFE_URLS.map(([name, url]) => entry(`webhookUrl ${name}`, submit(echoWith({ webhookUrl: url })), BAD_WEBHOOK)),
  ...UNSAFE_URLS.map(([name, url]) => entry(`http job url ${name}`, submit({ type: 'http', payload: { url } }), BAD_TARGET)),
  entry('webhookUrl a private address in a batch item', batch({ jobs: [echoWith({ webhookUrl: 'https://[::ffff:10.0.0.1]/' })] }), answer(OK_BATCH), [BAD_WEBHOOK]),
];

/** Every class, in the order the runner reports them. */
export const HOSTILE_CORPUS: ReadonlyArray<readonly [string, readonly HostileEntry[]]> = [
  ['bodies', bodies],
  ['encodings', encodings],
  ['headers', headers],
  ['framing', framing],
  ['paths', paths],
  ['query parameters', query],
  ['methods', methods],
  ['authentication', auth],
  ['actions', actions],
  ['batches', batches],
  ['URL guard', urlGuard],
];
