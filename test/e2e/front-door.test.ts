/**
 * The API's front door under hostile input (issue 9, classes 3–6), through the
 * running twin: requests Node's HTTP parser refuses, odd request targets, `%2F`
 * inside a segment, forged list cursors and list parameters, invalid UTF-8 and
 * foreign charsets, and header bytes outside ASCII. Every answer is a problem
 * document with its request id, and nothing is written.
 */
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { jobKeyOfPk } from '../../lambdas/store/job-item';
import { addTenantWithKey, tenantFactory } from '../support/tenant-factory';
import { sendRaw, type RawResponse } from '../support/raw-socket';
import { startTestTwin, type ApiResponse, type TestTwin } from '../support/twin';

let t: TestTwin;
let url: string;
let key: string;

/** Jobs in the table, by tenant and status (a Scan, fine in a test). */
async function jobCounts(): Promise<Record<string, number>> {
  const scan = await t.twin.context.db.send(
    new ScanCommand({ TableName: t.twin.config.tableName, FilterExpression: 'entity = :job', ExpressionAttributeValues: { ':job': 'job' } }),
  );
  const counts: Record<string, number> = {};
  for (const item of scan.Items ?? []) {
    const bucket = `${jobKeyOfPk(String(item.pk)).tenantId}#${String(item.status)}`;
    counts[bucket] = (counts[bucket] ?? 0) + 1;
  }
  return counts;
}

function expectProblem(result: ApiResponse, status: number, code: string): void {
  expect({ status: result.status, code: result.body?.code }).toEqual({ status, code });
  expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(result.body.requestId).toBe(result.headers.get('x-request-id'));
}

function expectRawProblem(result: RawResponse, status: number, code: string): void {
  expect({ status: result.status, code: result.json?.code }).toEqual({ status, code });
  expect(result.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(result.json).toMatchObject({ type: 'about:blank', status, title: expect.any(String), detail: expect.any(String) });
  expect(result.json.requestId).toBe(result.headers['x-request-id']);
  expect(result.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
}

const later = { type: 'echo', payload: { n: 1 }, delaySeconds: 86_400 };

beforeAll(async () => {
  // Far-future jobs only and a slow scheduler: nothing moves while we count.
  t = await startTestTwin({ env: { SCHEDULER_INTERVAL_SECONDS: '3600' } });
  url = t.twin.url;
  key = t.twin.dev.apiKey;
});
afterAll(async () => {
  await t?.close();
});

describe('requests the HTTP parser refuses get a problem document (class 4)', () => {
  const head = () => `Host: 127.0.0.1\r\nx-api-key: ${key}\r\n`;
  const post = (headers: string, body = JSON.stringify(later)) =>
    `POST /v1/jobs HTTP/1.1\r\n${head()}${headers}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const cases: Array<[string, () => string, number, string]> = [
    ['a NUL in the Idempotency-Key', () => post('Idempotency-Key: a\x00b\r\n'), 400, 'invalid_idempotency_key'],
    ['a DEL in the Idempotency-Key', () => post('Idempotency-Key: a\x7fb\r\n'), 400, 'invalid_idempotency_key'],
    ['a bare CR in the Idempotency-Key', () => post('Idempotency-Key: a\rb\r\n'), 400, 'invalid_idempotency_key'],
    ['a NUL in the x-api-key', () => `GET /v1/job-types HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\x00\r\n\r\n`, 403, 'forbidden'],
    ['a DEL in another header', () => post('x-trace: a\x7fb\r\n'), 400, 'malformed_request'],
    ['a space in a header name', () => post('Bad Name: y\r\n'), 400, 'malformed_request'],
    ['a bad chunk size', () => `POST /v1/jobs HTTP/1.1\r\n${head()}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400, 'malformed_request'],
    ['Content-Length with Transfer-Encoding', () => `POST /v1/jobs HTTP/1.1\r\n${head()}Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'malformed_request'],
    ['a Content-Length that is not a number', () => `POST /v1/jobs HTTP/1.1\r\n${head()}Content-Length: 1e3\r\n\r\n`, 400, 'malformed_request'],
    ['a lower-case method', () => `get /v1/job-types HTTP/1.1\r\n${head()}\r\n`, 400, 'malformed_request'],
    ['an unknown method', () => `FROB /v1/job-types HTTP/1.1\r\n${head()}\r\n`, 400, 'malformed_request'],
    ['an unknown HTTP version', () => `GET /v1/job-types HTTP/7.0\r\n${head()}\r\n`, 400, 'malformed_request'],
    ['a 20,000-character path', () => `GET /v1/${'a'.repeat(20_000)} HTTP/1.1\r\n${head()}\r\n`, 414, 'uri_too_long'],
    ["a 12,000-character path (Node's parser takes it; API Gateway's regional limit is 10,240)", () => `GET /v1/${'a'.repeat(12_000)} HTTP/1.1\r\n${head()}\r\n`, 414, 'uri_too_long'],
    ['20 KB of headers', () => `GET /v1/job-types HTTP/1.1\r\n${head()}x-pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
    ['TLS spoken to the plain port', () => '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400, 'malformed_request'],
  ];

  it.each(cases)('%s', async (_name, request, status, code) => {
    const before = await jobCounts();
    const result = await sendRaw(url, request());
    expectRawProblem(result, status, code);
    expect(result.headers.connection).toBe('close');
    expect(await jobCounts()).toEqual(before);
  });

  it('survives sockets that send garbage or hang up early, and keeps serving', async () => {
    const hangUps = [
      'GET /v1/job-ty',
      `POST /v1/jobs HTTP/1.1\r\n${head()}Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"type":`,
      `POST /v1/jobs HTTP/1.1\r\n${head()}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"typ`,
      '\x00\x01\x02\x03',
    ];
    const before = await jobCounts();
    // Each one twice: a polite half-close (the server may still answer) and an abrupt reset.
    await Promise.all(
      hangUps.flatMap((bytes) =>
        (['end', 'reset'] as const).map(
          (how) =>
            new Promise<void>((resolve) => {
              const socket = connect(Number(new URL(url).port), '127.0.0.1');
              socket.on('error', () => undefined);
              socket.on('close', () => resolve());
              socket.resume();
              if (how === 'end') socket.end(Buffer.from(bytes, 'latin1'));
              else socket.write(Buffer.from(bytes, 'latin1'), () => socket.resetAndDestroy());
            }),
        ),
      ),
    );
    expect((await t.api.request('GET', '/v1/job-types')).status).toBe(200);
    expect(await jobCounts()).toEqual(before);
  });

  it('answers a malformed request that follows a good one on the same connection', async () => {
    const good = `GET /v1/job-types HTTP/1.1\r\n${head()}\r\n`;
    const bad = `GET /v1/job-types HTTP/1.1\r\n${head()}Idempotency-Key: a\x00\r\n\r\n`;
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.write(Buffer.from(good + bad, 'latin1'));
    });
    expect(raw.match(/^HTTP\/1\.1 \d{3}/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
    expect(raw).toContain('"code":"invalid_idempotency_key"');
  });
});

describe('non-ASCII bytes in header values Node accepts (class 6)', () => {
  it.each([
    ['an Idempotency-Key in latin1', (k: string) => `Idempotency-Key: caf\xe9\r\nx-api-key: ${k}\r\n`, 400, 'invalid_idempotency_key'],
    ['an Idempotency-Key of raw UTF-8 bytes', (k: string) => `Idempotency-Key: caf\xc3\xa9\r\nx-api-key: ${k}\r\n`, 400, 'invalid_idempotency_key'],
    ['an x-api-key in latin1', (k: string) => `x-api-key: ${k}\xe9\r\n`, 403, 'forbidden'],
    ['an x-api-key of 0xff bytes only', () => 'x-api-key: \xff\xff\xff\r\n', 403, 'forbidden'],
    ['another header in latin1 (accepted: nothing reads it)', (k: string) => `x-api-key: ${k}\r\n`.replace('\r\n', '\r\nx-note: \xe9\r\n'), 202, ''],
  ])('%s', async (_name, headers, status, code) => {
    const before = await jobCounts();
    const body = JSON.stringify(later);
    const result = await sendRaw(url, `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers(key)}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    if (status === 202) {
      expect(result.status).toBe(202);
      return;
    }
    expectRawProblem(result, status, code);
    expect(await jobCounts()).toEqual(before);
  });
});

describe('methods and encodings Node hands over differently', () => {
  it.each([
    ['CONNECT to a route', `CONNECT /v1/jobs HTTP/1.1\r\nHost: x\r\nx-api-key: KEY\r\n\r\n`, 400, 'malformed_request'],
    ['CONNECT in authority form', `CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n`, 400, 'malformed_request'],
  ])('answers %s with a problem document', async (_name, request, status, code) => {
    expectRawProblem(await sendRaw(url, request.replace('KEY', key)), status, code);
  });

  it('ignores an Upgrade to a WebSocket and answers the request itself (RFC 9110 §7.8)', async () => {
    const request = `GET /v1/job-types HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    const answer = await sendRaw(url, request);
    expect({ status: answer.status, upgrade: answer.headers.upgrade }).toEqual({ status: 200, upgrade: undefined });
  });

  it.each(['gzip', 'br', 'deflate', 'identity, gzip'])('answers a body with Content-Encoding %s 415, writing nothing', async (encoding) => {
    const before = await jobCounts();
    const sent = await t.api.request('POST', '/v1/jobs', { rawBody: JSON.stringify(later), headers: { 'content-type': 'application/json', 'content-encoding': encoding } });
    expectProblem(sent, 415, 'unsupported_media_type');
    expect(await jobCounts()).toEqual(before);
  });

  it('accepts Content-Encoding identity', async () => {
    const sent = await t.api.request('POST', '/v1/jobs', { rawBody: JSON.stringify(later), headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } });
    expect(sent.status).toBe(202);
  });
});

describe('a header given twice', () => {
  const post = (headers: string) => {
    const body = JSON.stringify(later);
    return sendRaw(url, `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nConnection: close\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`);
  };
  it('reads two Idempotency-Keys as one combined value (RFC 9110 §5.3), which is no key: 400', async () => {
    const before = await jobCounts();
    expectRawProblem(await post('Content-Type: application/json\r\nIdempotency-Key: one\r\nidempotency-key: two\r\n'), 400, 'invalid_idempotency_key');
    expect(await jobCounts()).toEqual(before);
  });
  it('reads two content types as one combined value, which is no JSON media type: 415', async () => {
    expectRawProblem(await post('Content-Type: text/plain\r\nContent-Type: application/json\r\n'), 415, 'unsupported_media_type');
  });
});

describe('raw bytes outside ASCII elsewhere in a request', () => {
  const send = (requestLine: string, headers = '') =>
    sendRaw(url, `${requestLine} HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nConnection: close\r\n${headers}Content-Length: 2\r\n\r\n{}`);
  it.each([
    ['a content type with a latin1 byte', () => send('POST /v1/jobs', 'Content-Type: application/json; charset=utf-\xe9\r\n'), 415, 'unsupported_media_type'],
    ['a content type of 0xff bytes', () => send('POST /v1/jobs', 'Content-Type: \xff\xff\r\n'), 415, 'unsupported_media_type'],
    // Node's parser refuses raw bytes over 0x7F in a request target: the parser's answer.
    ['a raw 0xff byte in a job id', () => send('GET /v1/jobs/\xff'), 400, 'malformed_request'],
    ['a raw latin1 byte in a query value', () => send('GET /v1/jobs?status=qu\xe9ued'), 400, 'malformed_request'],
    ['a raw latin1 byte in a cursor', () => send('GET /v1/jobs?status=queued&cursor=ab\xe9'), 400, 'malformed_request'],
  ])('%s: a problem, not a 500', async (_name, request, status, code) => {
    const before = await jobCounts();
    expectRawProblem(await request(), status, code);
    expect(await jobCounts()).toEqual(before);
  });
});

describe('request targets: %2F, dot segments, //, absolute form (class 5)', () => {
  let jobId: string;
  beforeAll(async () => {
    jobId = (await t.api.submit(later)).jobId;
  });
  const raw = (target: string, method = 'GET') => sendRaw(url, `${method} ${target} HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);

  it('never lets %2F split a segment: POST /v1/jobs/<id>%2Fcancel cancels nothing', async () => {
    expectProblem(await t.api.request('POST', `/v1/jobs/${jobId}%2Fcancel`), 405, 'method_not_allowed');
    expectProblem(await t.api.request('POST', `/v1/jobs/${jobId}%2fretry`), 405, 'method_not_allowed');
    expectProblem(await t.api.request('GET', `/v1/jobs/${jobId}%2Fattempts`), 404, 'job_not_found');
    expectProblem(await t.api.request('DELETE', `/v1/jobs/${jobId}%2Fcancel`), 404, 'job_not_found');
    expectProblem(await t.api.request('POST', `/v1/jobs%2Fbatch`, { body: { jobs: [later] } }), 404, 'not_found');
    expect((await t.api.getJob(jobId)).status).toBe('queued');
  });

  it('decodes each segment after routing: an id spelled with escapes is the same job', async () => {
    const spelled = `%${jobId.charCodeAt(0).toString(16)}${jobId.slice(1)}`;
    const read = await t.api.request('GET', `/v1/jobs/${spelled}`);
    expect({ status: read.status, jobId: read.body.jobId }).toEqual({ status: 200, jobId });
  });

  it('answers a malformed escape in a segment as a path it does not know', async () => {
    expectProblem(await t.api.request('GET', '/v1/jobs/%zz'), 404, 'job_not_found');
    expectProblem(await t.api.request('GET', '/v1/jobs/%E2%82'), 404, 'job_not_found');
  });

  it.each([
    ['a .. segment', (id: string) => `/v1/jobs/x/../${id}`],
    ['an encoded .. segment', (id: string) => `/v1/jobs/x/%2e%2e/${id}`],
    ['a . segment', (id: string) => `/v1/jobs/./${id}`],
    ['an empty segment', (id: string) => `/v1//jobs/${id}`],
    ['a leading //', (id: string) => `//evil.example/v1/jobs/${id}`],
    ['a trailing /', (id: string) => `/v1/jobs/${id}/`],
  ])('refuses %s with 404 not_found rather than reading another resource', async (_name, target) => {
    expectRawProblem(await raw(target(jobId)), 404, 'not_found');
  });

  it('refuses a dot segment on an action too, so nothing changes', async () => {
    expectRawProblem(await raw(`/v1/jobs/${jobId}/x/../cancel`, 'POST'), 404, 'not_found');
    expect((await t.api.getJob(jobId)).status).toBe('queued');
  });

  it('reads an absolute-form target by its path, as RFC 9112 asks of servers', async () => {
    const result = await raw(`http://127.0.0.1:9/v1/jobs/${jobId}`);
    expect({ status: result.status, jobId: result.json?.jobId }).toEqual({ status: 200, jobId });
  });

  it.each([
    ['an asterisk-form target', '*', 'OPTIONS'],
    ['an absolute form of another scheme', 'ftp://127.0.0.1/v1/job-types', 'GET'],
    ['a relative target', 'v1/job-types', 'GET'],
  ])('refuses %s with 400 malformed_request', async (_name, target, method) => {
    expectRawProblem(await raw(target, method), 400, 'malformed_request');
  });
});

describe('list cursors and list parameters (class 3)', () => {
  /** A cursor with a valid checksum: the checksum is documented as tamper-evident, not secret. */
  const forged = (body: Record<string, unknown>, scope: { tenantId?: string; status?: string; type?: string } = {}) => {
    const position = typeof body.p === 'string' ? body.p : '';
    const h = createHash('sha256')
      .update(['cursor-v1', scope.tenantId ?? 'dev', scope.status ?? 'queued', scope.type ?? '', position].join('\u0000'))
      .digest('base64url')
      .slice(0, 22);
    return Buffer.from(JSON.stringify({ h, ...body })).toString('base64url');
  };
  const list = (query: string) => t.api.request('GET', `/v1/jobs?${query}`);
  const someId = '0b7d3b8e-2f0c-4d5e-9a41-6f1f0c1d2e3f';

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) await t.api.submit(later);
  });

  it('accepts its own cursors page after page (the control case)', async () => {
    const first = await list('status=queued&limit=1');
    expect(first.status).toBe(200);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(`status=queued&limit=1&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items[0].jobId).not.toBe(first.body.items[0].jobId);
  });

  it.each([
    ['an empty position', () => forged({ p: '' })],
    ['a 1,500-character position', () => forged({ p: 'x'.repeat(1500) })],
    ['a 1,500-character position of the right shape', () => forged({ p: `2026-12-01T10:00:00.000Z#${someId}${'0'.repeat(1440)}` })],
    ['a position without a job id', () => forged({ p: '2026-12-01T10:00:00.000Z#' })],
    ['a position with a job id that is not an id', () => forged({ p: '2026-12-01T10:00:00.000Z#../../etc' })],
    ['a position whose time is not ISO with milliseconds', () => forged({ p: `2026-12-01 10:00#${someId}` })],
    ['a position whose time is no date', () => forged({ p: `2026-13-45T25:61:61.000Z#${someId}` })],
    ['a position with two separators', () => forged({ p: `2026-12-01T10:00:00.000Z#${someId}#x` })],
    ['an extra field', () => forged({ p: `2026-12-01T10:00:00.000Z#${someId}`, x: 1 })],
    ['a position that is a number', () => forged({ p: 5 })],
    ['a checksum of the wrong length', () => Buffer.from(JSON.stringify({ p: `2026-12-01T10:00:00.000Z#${someId}`, h: 'abc' })).toString('base64url')],
    ['a cursor with a JSON array', () => Buffer.from('[1,2]').toString('base64url')],
    ['a cursor of JSON null', () => Buffer.from('null').toString('base64url')],
    ['a cursor with characters outside base64url', () => `${forged({ p: `2026-12-01T10:00:00.000Z#${someId}` })}%C3%A9`],
    ['a cursor with padding', () => `${forged({ p: `2026-12-01T10:00:00.000Z#${someId}` })}%3D%3D`],
    ['a 10,000-character cursor', () => 'A'.repeat(10_000)],
    ['an empty cursor', () => ''],
  ])('answers 400 invalid_cursor for %s, never a 500', async (_name, cursor) => {
    expectProblem(await list(`status=queued&limit=2&cursor=${cursor()}`), 400, 'invalid_cursor');
  });

  it('answers 400 invalid_cursor for a well-formed cursor of another tenant, status or type', async () => {
    const position = `2026-12-01T10:00:00.000Z#${someId}`;
    expectProblem(await list(`status=queued&cursor=${forged({ p: position }, { tenantId: 'acme' })}`), 400, 'invalid_cursor');
    expectProblem(await list(`status=queued&cursor=${forged({ p: position }, { status: 'fatal' })}`), 400, 'invalid_cursor');
    expectProblem(await list(`status=queued&cursor=${forged({ p: position }, { type: 'echo' })}`), 400, 'invalid_cursor');
    // The same forged cursor for this very query is well formed: an ordinary page (maybe empty).
    expect((await list(`status=queued&cursor=${forged({ p: position })}`)).status).toBe(200);
  });

  it.each([
    ['status given twice', 'status=queued&status=fatal'],
    ['limit given twice', 'status=queued&limit=1&limit=100'],
    ['type given twice', 'status=queued&type=echo&type=http'],
    ['cursor given twice', 'status=queued&cursor=a&cursor=b'],
    ['an empty status', 'status='],
    ['an empty limit', 'status=queued&limit='],
    ['an empty type', 'status=queued&type='],
    ['a huge status', `status=${'q'.repeat(5000)}`],
    ['a huge limit', `status=queued&limit=${'9'.repeat(5000)}`],
    ['a limit with a sign', 'status=queued&limit=%2B5'],
    ['a limit in other digits', 'status=queued&limit=%D9%A5'],
    ['a huge type', `status=queued&type=${'e'.repeat(5000)}`],
    ['a non-ASCII type', 'status=queued&type=%C3%A9cho'],
    ['a type with invalid UTF-8', 'status=queued&type=%FF'],
    ['a type with a control character', 'status=queued&type=ec%00ho'],
    ['a non-ASCII status', 'status=qu%C3%A9ued'],
  ])('answers 400 validation_failed for %s', async (_name, query) => {
    expectProblem(await list(query), 400, 'validation_failed');
  });
});

describe('bodies: strict UTF-8 and charsets (class 6)', () => {
  const withBytes = (hex: string) =>
    Buffer.concat([Buffer.from('{"type":"echo","delaySeconds":86400,"payload":{"s":"a'), Buffer.from(hex, 'hex'), Buffer.from('b"}}')]);
  it.each([
    ['a UTF-16 byte-order mark ff fe', 'fffe'],
    ['an overlong encoding c0 ae', 'c0ae'],
    ['a truncated sequence e2 82', 'e282'],
    ['a CESU-8 surrogate ed a0 80', 'eda080'],
    ['a lone continuation byte 80', '80'],
    ['a code point past U+10FFFF f4 90 80 80', 'f4908080'],
  ])('answers 400 invalid_json for %s inside a string, writing nothing', async (_name, hex) => {
    const before = await jobCounts();
    expectProblem(await t.api.request('POST', '/v1/jobs', { rawBody: withBytes(hex), headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    expectProblem(await t.api.request('POST', '/v1/jobs/batch', { rawBody: Buffer.concat([Buffer.from('{"jobs":['), withBytes(hex), Buffer.from(']}')]), headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    expect(await jobCounts()).toEqual(before);
  });

  it('keeps every valid UTF-8 byte: the payload reads back as sent', async () => {
    const text = 'λ 世界 😀 \u0000 \u2028 \uFEFF';
    const created = await t.api.request('POST', '/v1/jobs', { rawBody: Buffer.from(JSON.stringify({ ...later, payload: { text } }), 'utf8'), headers: { 'content-type': 'application/json' } });
    expect(created.status).toBe(202);
    expect((await t.api.getJob(created.body.jobId)).payload).toEqual({ text });
  });

  it.each(['application/json; charset=utf-8', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"', 'application/json', 'application/merge-patch+json'])(
    'accepts %s',
    async (contentType) => {
      expect((await t.api.request('POST', '/v1/jobs', { rawBody: JSON.stringify(later), headers: { 'content-type': contentType } })).status).toBe(202);
    },
  );

  it.each([
    'application/json; charset=iso-8859-1',
    'application/json; charset=utf-16',
    'application/json; charset=utf8x',
    'application/json; charset=',
    'application/json; charset=utf-8; charset=latin1',
    'application/json; charset',
    'application/json garbage',
  ])('answers 415 unsupported_media_type for %s, writing nothing', async (contentType) => {
    const before = await jobCounts();
    expectProblem(await t.api.request('POST', '/v1/jobs', { rawBody: JSON.stringify(later), headers: { 'content-type': contentType } }), 415, 'unsupported_media_type');
    expect(await jobCounts()).toEqual(before);
  });
});

describe('two tenants: nothing hostile changes either one', () => {
  it('leaves both tenants\' counts as they were after a burst of the above', async () => {
    const otherKey = 'acme-front-door-0123456789';
    await addTenantWithKey(t.twin.context.tenants, tenantFactory({ tenantId: 'acme', webhookSecrets: [t.twin.dev.webhookSecret] }), otherKey);
    const mine = (await t.api.submit(later)).jobId;
    const before = await jobCounts();
    await Promise.all([
      sendRaw(url, `POST /v1/jobs/${mine}%2Fcancel HTTP/1.1\r\nHost: x\r\nx-api-key: ${otherKey}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`),
      sendRaw(url, `POST /v1/jobs/x/../${mine}/cancel HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`),
      sendRaw(url, `DELETE /v1/jobs/${mine} HTTP/1.1\r\nHost: x\r\nx-api-key: ${otherKey}\x00\r\n\r\n`),
    ]);
    expect((await t.api.request('GET', '/v1/job-types')).status).toBe(200);
    expect(await jobCounts()).toEqual(before);
  });
});
