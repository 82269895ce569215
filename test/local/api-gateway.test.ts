/** The twin's API Gateway front: per-key throttling as a usage plan applies it. */
import { KeyThrottle } from '../../local/api-gateway';
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
