/**
 * The client's retry rules (issue 13, done-when 2): what is repeated, what never
 * is, the full-jitter bounds and Retry-After. The policy is pure; the transport is
 * driven with a scripted fetch and an injected sleep and random, so nothing here
 * waits on a clock.
 */
import fc from 'fast-check';
import { JobsApiError, JobsClient, JobsNetworkError, type Job } from '../../client';
import { decideRetry, DEFAULT_RETRY, fullJitterDelay, parseRetryAfter, type TryOutcome } from '../../client/retry-policy';

const safe = { idempotent: true };
const unsafe = { idempotent: false };
const status = (code: number, problemCode?: string, retryAfterMs?: number | null): TryOutcome => ({ kind: 'response', status: code, problemCode, retryAfterMs });
const networkSent: TryOutcome = { kind: 'network', sent: true };
const networkNotConnected: TryOutcome = { kind: 'network', sent: false };

describe('decideRetry', () => {
  describe.each([
    ['a network error once sent', networkSent, true, false],
    ['a connection never made', networkNotConnected, true, true],
    ['500 internal_error', status(500, 'internal_error'), true, false],
    ['502 from a proxy', status(502), true, false],
    ['503 without the service problem', status(503), true, false],
    ['503 service_unavailable (nothing kept)', status(503, 'service_unavailable'), true, true],
    ['504', status(504), true, false],
    ['429 rate_limited', status(429, 'rate_limited'), true, true],
    ['400 validation_failed', status(400, 'validation_failed'), false, false],
    ['403 forbidden', status(403, 'forbidden'), false, false],
    ['404 job_not_found', status(404, 'job_not_found'), false, false],
    ['409 job_not_cancelable', status(409, 'job_not_cancelable'), false, false],
    ['422 idempotency_key_reused', status(422, 'idempotency_key_reused'), false, false],
  ])('after %s', (_name, outcome, safeRetried, unsafeRetried) => {
    it(`a safe request (read, keyed submit) is ${safeRetried ? '' : 'not '}retried`, () => {
      expect(decideRetry(outcome, safe, 1).retry).toBe(safeRetried);
    });
    it(`an unsafe request (keyless submit, cancel, retry, delete) is ${unsafeRetried ? '' : 'not '}retried`, () => {
      expect(decideRetry(outcome, unsafe, 1).retry).toBe(unsafeRetried);
    });
  });

  it('stops after maxAttempts tries', () => {
    expect(decideRetry(networkSent, safe, 3, { maxAttempts: 4 }).retry).toBe(true);
    expect(decideRetry(networkSent, safe, 4, { maxAttempts: 4 })).toEqual({ retry: false, reason: 'gave up after 4 tries' });
    expect(decideRetry(networkSent, safe, 1, { maxAttempts: 1 }).retry).toBe(false);
  });

  it('waits exactly Retry-After when the answer has one, whatever the jitter', () => {
    expect(decideRetry(status(429, 'rate_limited', 2000), unsafe, 1, {}, () => 0.99)).toEqual({ retry: true, delayMs: 2000 });
    expect(decideRetry(status(503, 'service_unavailable', 0), unsafe, 1, {}, () => 0.99)).toEqual({ retry: true, delayMs: 0 });
  });

  it('hands a Retry-After longer than maxRetryAfterMs to the caller instead of blocking', () => {
    const decision = decideRetry(status(429, 'rate_limited', 31_000), safe, 1, { maxRetryAfterMs: 30_000 });
    expect(decision.retry).toBe(false);
  });

  it('without Retry-After, waits a full-jitter delay', () => {
    expect(decideRetry(status(500), safe, 3, { baseDelayMs: 100, maxDelayMs: 10_000 }, () => 0.5)).toEqual({ retry: true, delayMs: 200 });
  });
});

describe('fullJitterDelay', () => {
  it('is uniform in [0, min(max, base·2^(retry-1))): the bounds', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(fullJitterDelay(1, options, () => 0)).toBe(0);
    expect(fullJitterDelay(1, options, () => 0.999999)).toBe(99);
    expect(fullJitterDelay(2, options, () => 0.999999)).toBe(199);
    expect(fullJitterDelay(4, options, () => 0.999999)).toBe(799);
    expect(fullJitterDelay(5, options, () => 0.999999)).toBe(999);
    expect(fullJitterDelay(30, options, () => 0.999999)).toBe(999);
  });

  it('never leaves [0, cap) for any retry and any random in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry, random) => {
        const delay = fullJitterDelay(retry, DEFAULT_RETRY, () => random);
        const cap = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (retry - 1));
        return Number.isInteger(delay) && delay >= 0 && delay < cap;
      }),
    );
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-01T10:00:00.000Z');
  it.each([
    ['5', 5000],
    ['0', 0],
    [' 12 ', 12_000],
    ['Tue, 01 Dec 2026 10:00:30 GMT', 30_000],
    ['Tue, 01 Dec 2026 09:00:00 GMT', 0],
    ['soon', null],
    ['-1', null],
    ['', null],
  ])('%j → %j ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
  it('absent → null', () => {
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

// --- The transport, with a scripted fetch ---------------------------------------------

type Script = (request: { method: string; url: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<Response> | Response;

const JOB = { jobId: '7d0f5a2e-0000-4000-8000-000000000001', status: 'queued' } as Job;
const problem = (code: number, codeName: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'x', status: code, code: codeName, detail: `${codeName} detail`, requestId: 'req-1' }), {
    status: code,
    headers: { 'content-type': 'application/problem+json', 'x-request-id': 'req-1', ...headers },
  });
const ok = (body: unknown, code = 200) => new Response(JSON.stringify(body), { status: code, headers: { 'content-type': 'application/json' } });
const refused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
const reset = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });

function scripted(...steps: Array<Response | Error | Script>) {
  const requests: Array<{ method: string; url: string; headers: Record<string, string>; body?: string }> = [];
  const sleeps: number[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    const request = { method: String(init.method), url, headers: init.headers as Record<string, string>, body: init.body as string | undefined, signal: init.signal! };
    requests.push(request);
    const step = steps[Math.min(requests.length - 1, steps.length - 1)];
    if (step instanceof Error) throw step;
    if (typeof step === 'function') return step(request);
    return step.clone();
  }) as unknown as typeof globalThis.fetch;
  const client = new JobsClient({
    baseUrl: 'http://api.test/prod/',
    apiKey: 'key-1',
    fetch,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { client, requests, sleeps };
}

describe('the transport: what is repeated', () => {
  it('repeats a read after a network error and a 5xx, then returns the answer', async () => {
    const { client, requests, sleeps } = scripted(reset(), problem(500, 'internal_error'), ok(JOB));
    await expect(client.jobs.get(JOB.jobId)).resolves.toEqual(JOB);
    expect(requests).toHaveLength(3);
    expect(requests[0].url).toBe(`http://api.test/prod/v1/jobs/${JOB.jobId}`);
    // Full jitter with random 0.5: half of 200, then half of 400.
    expect(sleeps).toEqual([100, 200]);
  });

  it('repeats a keyed submit after a 500, with the same key every time', async () => {
    const { client, requests } = scripted(problem(500, 'internal_error'), reset(), ok(JOB, 202));
    const result = await client.jobs.submit({ type: 'echo', payload: {} }, { idempotencyKey: 'order-42' });
    expect(result).toEqual({ job: JOB, replayed: false, idempotencyKey: 'order-42' });
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual(['order-42', 'order-42', 'order-42']);
  });

  it('generates one key for a submit when asked, and repeats with it', async () => {
    const { client, requests } = scripted(reset(), ok(JOB, 200));
    const result = await client.jobs.submit({ type: 'echo', payload: {} }, { generateIdempotencyKey: true });
    expect(result.replayed).toBe(true);
    expect(result.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual([result.idempotencyKey, result.idempotencyKey]);
  });

  it('never repeats a keyless submit after an unknown outcome, and says so', async () => {
    const { client, requests } = scripted(reset(), ok(JOB, 202));
    const error = await client.jobs.submit({ type: 'echo', payload: {} }).catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect(error).toBeInstanceOf(JobsNetworkError);
    expect(error).toMatchObject({ outcomeUnknown: true, tries: 1, url: 'http://api.test/prod/v1/jobs' });
    expect((error as Error).message).toMatch(/may have acted on it.*not repeated.*idempotency key/);
  });

  it.each([
    ['cancel', (client: JobsClient) => client.jobs.cancel(JOB.jobId)],
    ['retry', (client: JobsClient) => client.jobs.retry(JOB.jobId)],
    ['delete', (client: JobsClient) => client.jobs.delete(JOB.jobId)],
    ['redeliver', (client: JobsClient) => client.jobs.redeliver(JOB.jobId)],
    ['a keyless submit', (client: JobsClient) => client.jobs.submit({ type: 'echo', payload: {} })],
  ])('never repeats %s after a 500', async (_name, act) => {
    const { client, requests } = scripted(problem(500, 'internal_error'), ok(JOB));
    const error = await act(client).catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect(error).toBeInstanceOf(JobsApiError);
    expect(error).toMatchObject({ status: 500, code: 'internal_error', requestId: 'req-1' });
  });

  it('repeats even a cancel when the connection was never made (the service saw nothing)', async () => {
    const { client, requests } = scripted(refused(), ok(JOB));
    await expect(client.jobs.cancel(JOB.jobId)).resolves.toEqual(JOB);
    expect(requests).toHaveLength(2);
  });

  it('repeats a keyless submit after 429 and 503 service_unavailable, waiting Retry-After', async () => {
    const { client, requests, sleeps } = scripted(problem(429, 'rate_limited', { 'retry-after': '2' }), problem(503, 'service_unavailable', { 'retry-after': '1' }), ok(JOB, 202));
    await expect(client.jobs.submit({ type: 'echo', payload: {} })).resolves.toMatchObject({ job: JOB, idempotencyKey: null });
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.headers['idempotency-key'] === undefined)).toBe(true);
    expect(sleeps).toEqual([2000, 1000]);
  });

  it('gives the caller a 429 whose Retry-After is past the cap, with its seconds', async () => {
    const { client, requests } = scripted(problem(429, 'rate_limited', { 'retry-after': '3600' }));
    const error = await client.jobs.get(JOB.jobId).catch((e: unknown) => e);
    expect(requests).toHaveLength(1);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 3600 });
  });

  it('gives up after maxAttempts (4) tries of a read', async () => {
    const { client, requests, sleeps } = scripted(problem(503, 'service_unavailable'));
    await expect(client.jobs.get(JOB.jobId)).rejects.toMatchObject({ status: 503 });
    expect(requests).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
  });

  it('never repeats a 4xx', async () => {
    const { client, requests } = scripted(problem(404, 'job_not_found'));
    await expect(client.jobs.get(JOB.jobId)).rejects.toMatchObject({ status: 404, code: 'job_not_found', detail: 'job_not_found detail' });
    expect(requests).toHaveLength(1);
  });

  it('repeats a batch only when every item carries an idempotency key', async () => {
    const answer = ok({ items: [] });
    const keyless = scripted(problem(500, 'internal_error'), answer);
    await expect(keyless.client.jobs.submitBatch([{ type: 'echo', payload: {}, idempotencyKey: 'a' }, { type: 'echo', payload: {} }])).rejects.toMatchObject({ status: 500 });
    expect(keyless.requests).toHaveLength(1);

    const generated = scripted(problem(500, 'internal_error'), answer);
    await generated.client.jobs.submitBatch([{ type: 'echo', payload: {}, idempotencyKey: 'a' }, { type: 'echo', payload: {} }], { generateIdempotencyKeys: true });
    expect(generated.requests).toHaveLength(2);
    const sent = JSON.parse(generated.requests[1].body!).jobs;
    expect(sent[0].idempotencyKey).toBe('a');
    expect(sent[1].idempotencyKey).toEqual(JSON.parse(generated.requests[0].body!).jobs[1].idempotencyKey);
  });

  it('turns an answer without a problem document into unexpected_response', async () => {
    const { client } = scripted(new Response('<html>bad gateway</html>', { status: 400, headers: { 'x-request-id': 'gw-1' } }));
    await expect(client.jobs.get(JOB.jobId)).rejects.toMatchObject({ status: 400, code: 'unexpected_response', requestId: 'gw-1', problem: null });
  });
});

describe('the transport: timeouts and abort', () => {
  // As fetch does: rejects with the signal's reason once it aborts (at once when it already has).
  const hang: Script = ({ signal }) =>
    new Promise((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason as Error);
      signal.addEventListener('abort', () => reject(signal.reason as Error));
    });

  it('ends a try at the per-request timeout; a read is then repeated, a keyless submit is not', async () => {
    const read = scripted(hang, ok(JOB));
    await expect(read.client.jobs.get(JOB.jobId, { timeoutMs: 10 })).resolves.toEqual(JOB);
    expect(read.requests).toHaveLength(2);

    const submit = scripted(hang);
    await expect(submit.client.jobs.submit({ type: 'echo', payload: {} }, { timeoutMs: 10 })).rejects.toMatchObject({ timedOut: true, outcomeUnknown: true, tries: 1 });
  });

  it("stops at the caller's AbortSignal with its reason, never repeating", async () => {
    const controller = new AbortController();
    const { client, requests } = scripted((request) => {
      controller.abort(new Error('user went away'));
      return hang(request);
    });
    await expect(client.jobs.get(JOB.jobId, { signal: controller.signal })).rejects.toThrow('user went away');
    expect(requests).toHaveLength(1);
  });

  it('waitFor polls until the job is terminal, and stops at its signal', async () => {
    const statuses = ['queued', 'running', 'succeeded'];
    const { client, requests, sleeps } = scripted(() => ok({ ...JOB, status: statuses.shift() ?? 'succeeded' }));
    const seen: string[] = [];
    const job = await client.jobs.waitFor(JOB.jobId, { intervalMs: 100, onPoll: (polled) => seen.push(polled.status) });
    expect(job.status).toBe('succeeded');
    expect(seen).toEqual(['queued', 'running', 'succeeded']);
    expect(requests).toHaveLength(3);
    // Backoff: 100 then 150 (×1.5), each within ±20 %.
    expect(sleeps[0]).toBeGreaterThanOrEqual(80);
    expect(sleeps[0]).toBeLessThanOrEqual(120);
    expect(sleeps[1]).toBeGreaterThanOrEqual(120);
    expect(sleeps[1]).toBeLessThanOrEqual(180);

    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(client.jobs.waitFor(JOB.jobId, { signal: controller.signal })).rejects.toThrow('stop');
  });
});
