/**
 * The twin's API Gateway front: per-key throttling as a usage plan applies it,
 * and the REST proxy event it builds, field for field as AWS builds it for a
 * `/{proxy+}` resource (a live capture: hotsock/voker vokerhttp/testdata).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { KeyThrottle, startApiGateway, type LocalApiGateway } from '../../local/api-gateway';
import { apiEventFactory } from '../support/api-event';
import { sendRaw } from '../support/raw-socket';
import { startTwin, type Twin } from '../../local/twin';
import { apiClient } from '../support/twin';

describe('KeyThrottle', () => {
  it('allows a burst, then refills at the steady rate, per key', () => {
    let now = 0;
    const throttle = new KeyThrottle(2, 3, () => now);
    expect([1, 2, 3, 4].map(() => throttle.take('a'))).toEqual([true, true, true, false]);
    expect(throttle.take('b')).toBe(true);
    now = 499;
    expect(throttle.take('a')).toBe(false);
    now = 500;
    expect(throttle.take('a')).toBe(true);
    now = 60_000;
    expect([1, 2, 3, 4].map(() => throttle.take('a'))).toEqual([true, true, true, false]);
  });
});

describe('throttling through the twin', () => {
  let twin: Twin;
  beforeAll(async () => {
    twin = await startTwin({ env: { JOBS_IN_MEMORY: '1', PORT: '0', API_RATE_LIMIT_PER_SECOND: '0.01', API_BURST_LIMIT: '3' } });
  });
  afterAll(async () => {
    await twin?.close();
  });

  it('answers 429 rate_limited with Retry-After once a key is over its rate', async () => {
    const api = apiClient(twin.url, twin.dev.apiKey);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('GET', '/v1/job-types')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await api('GET', '/v1/job-types');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'rate_limited', title: 'Too Many Requests' });
    // Another key has its own bucket.
    expect((await api('GET', '/v1/job-types', { apiKey: 'someone-else-entirely' })).status).toBe(403);
  });
});

describe('the REST proxy event', () => {
  let gateway: LocalApiGateway;
  const events: APIGatewayProxyEvent[] = [];
  beforeAll(async () => {
    gateway = await startApiGateway({
      port: 0,
      handler: async (event) => {
        events.push(event);
        return { statusCode: 200, body: '{}', headers: { 'content-type': 'application/json' } };
      },
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });
  const lastEvent = () => events[events.length - 1];

  it('carries the path as sent, still percent-encoded, in path, pathParameters.proxy and requestContext.path', async () => {
    await fetch(`${gateway.url}/v1/jobs/a%2Fb/caf%C3%A9%20x?q=a%2Fb&q=c+d&e=`);
    expect(lastEvent()).toMatchObject({
      resource: '/{proxy+}',
      path: '/v1/jobs/a%2Fb/caf%C3%A9%20x',
      pathParameters: { proxy: 'v1/jobs/a%2Fb/caf%C3%A9%20x' },
      requestContext: { path: '/v1/jobs/a%2Fb/caf%C3%A9%20x', resourcePath: '/{proxy+}' },
      // Query parameters arrive decoded, the last value single, every value multi.
      queryStringParameters: { q: 'c d', e: '' },
      multiValueQueryStringParameters: { q: ['a/b', 'c d'], e: [''] },
    });
  });

  it('hands every body over as base64 bytes, as binaryMediaTypes */* makes API Gateway do', async () => {
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xae, 0xed, 0xa0, 0x80, 0x22, 0x7d]);
    await fetch(`${gateway.url}/v1/jobs`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/json' } });
    expect({ isBase64Encoded: lastEvent().isBase64Encoded, body: Buffer.from(lastEvent().body ?? '', 'base64') }).toEqual({ isBase64Encoded: true, body: bytes });
    await fetch(`${gateway.url}/v1/jobs`);
    expect({ isBase64Encoded: lastEvent().isBase64Encoded, body: lastEvent().body }).toEqual({ isBase64Encoded: false, body: null });
  });

  it('reads an absolute-form target by its path and query, leaving the path raw', async () => {
    const result = await sendRaw(gateway.url, 'GET http://example.com/v1/jobs/x%2Fy?status=queued HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { notTheApi: true });
    expect(result.status).toBe(200);
    expect(lastEvent()).toMatchObject({ path: '/v1/jobs/x%2Fy', queryStringParameters: { status: 'queued' } });
  });

  it('builds the event test/support/api-event.ts builds, field for field, so unit tests of the api Lambda see what it sees', async () => {
    // Arrange
    const keysOf = (event: APIGatewayProxyEvent) => ({
      event: Object.keys(event).sort(),
      requestContext: Object.keys(event.requestContext).sort(),
      identity: Object.keys(event.requestContext.identity).sort(),
    });
    const factory = apiEventFactory('POST', '/v1/jobs', { body: { a: 1 }, query: { status: 'queued' }, apiKeyId: 'key-1' });

    // Act
    await fetch(`${gateway.url}/v1/jobs?status=queued`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    const twin = lastEvent();

    // Assert
    expect(keysOf(twin)).toEqual(keysOf(factory));
    const request = ({ resource, path, httpMethod, pathParameters, queryStringParameters, multiValueQueryStringParameters, isBase64Encoded, body, requestContext }: APIGatewayProxyEvent) => ({
      resource, path, httpMethod, pathParameters, queryStringParameters, multiValueQueryStringParameters, isBase64Encoded, body,
      resourcePath: requestContext.resourcePath,
    });
    expect(request(twin)).toEqual(request(factory));
  });

  it('passes dot segments and // through untouched, for the api Lambda to refuse', async () => {
    await sendRaw(gateway.url, 'GET //evil.example/v1/../jobs/%2e%2e HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', { notTheApi: true });
    expect(lastEvent().path).toBe('//evil.example/v1/../jobs/%2e%2e');
  });
});
