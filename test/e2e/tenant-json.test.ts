/**
 * Tenant JSON through the running twin (issue 9, classes 1 and 9; SPEC §3 "Any
 * JSON object key is an ordinary key"): keys named like Object.prototype members,
 * at the top, nested, in arrays and in an `http` job's headers, are accepted on
 * the single and batch routes, read back, echoed and sent exactly as submitted,
 * key order included.
 */
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

let t: TestTwin;
let receiver: Receiver;

beforeAll(async () => {
  t = await startTestTwin();
  receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

/** The JSON text of a payload, as the client sends it; parsed with JSON.parse where compared. */
const PAYLOADS: Array<[string, string]> = [
  ['constructor at the top', '{"constructor":"c","z":1,"a":2}'],
  ['constructor nested', '{"outer":{"constructor":{"prototype":1},"toString":"t"},"n":1}'],
  ['constructor in arrays', '{"list":[{"constructor":1},[{"constructor":{"constructor":[]}}]],"b":true}'],
  ['__proto__, hasOwnProperty and an empty key', '{"__proto__":{"polluted":true},"hasOwnProperty":null,"":"empty","valueOf":0}'],
  ['keys out of alphabetical order', '{"hello":"world","n":1,"m":{"y":1,"b":2}}'],
];

/** POST with the body written out as text, so the keys go on the wire exactly so. */
async function post(path: string, body: string) {
  return t.api.request('POST', path, { rawBody: body, headers: { 'content-type': 'application/json' } });
}

describe.each(PAYLOADS)('an echo payload with %s', (_name, payloadJson) => {
  const sent = JSON.parse(payloadJson);

  it('is accepted alone, read back and echoed as sent', async () => {
    const created = await post('/v1/jobs', `{"type":"echo","payload":${payloadJson}}`);
    expect(created.status).toBe(202);
    expect(JSON.stringify(created.body.payload)).toBe(JSON.stringify(sent));
    const done = await t.api.waitForJob(created.body.jobId, ['succeeded', 'fatal']);
    expect(done.status).toBe('succeeded');
    expect(JSON.stringify(done.payload)).toBe(JSON.stringify(sent));
    expect(JSON.stringify(done.result)).toBe(JSON.stringify(sent));
  });

  it('is accepted in a batch, read back as sent', async () => {
    const response = await post('/v1/jobs/batch', `{"jobs":[{"type":"echo","payload":${payloadJson}}]}`);
    expect(response.status).toBe(200);
    expect(response.body.items[0]).toMatchObject({ status: 202 });
    const read = await t.api.getJob(response.body.items[0].job.jobId);
    expect(JSON.stringify(read.payload)).toBe(JSON.stringify(sent));
  });

  it('hashes as sent: the same request again is a replay, not a reused key', async () => {
    const key = `tenant-json-${Math.random()}`;
    const headers = { 'content-type': 'application/json', 'idempotency-key': key };
    const body = `{"type":"echo","payload":${payloadJson}}`;
    const first = await t.api.request('POST', '/v1/jobs', { rawBody: body, headers });
    const again = await t.api.request('POST', '/v1/jobs', { rawBody: body, headers });
    expect([first.status, again.status]).toEqual([202, 200]);
  });
});

describe('a webhook', () => {
  it("carries the job's result in its data as the handler gave it, key order and names included", async () => {
    const payloadJson = '{"zeta":{"constructor":1,"__proto__":[{"toString":"t"}]},"alpha":2}';
    const created = await post('/v1/jobs', `{"type":"echo","payload":${payloadJson},"webhookUrl":"${receiver.url}/hook"}`);
    expect(created.status).toBe(202);
    const [delivery] = await waitFor(() => {
      const found = receiver.requests.filter((r) => r.path === '/hook' && JSON.parse(r.body).data.jobId === created.body.jobId);
      return found.length > 0 ? found : undefined;
    }, { description: 'the webhook delivery' });
    const body = delivery.body;
    // The result's text inside the body, exactly as the handler returned it.
    expect(body).toContain(`"result":${JSON.stringify(JSON.parse(payloadJson))}`);
  });
});

describe('an http job', () => {
  it('sends headers named constructor and __proto__ and a body with such keys, as sent', async () => {
    const body = '{"constructor":{"z":1,"a":[{"__proto__":"p"}]},"toString":"s"}';
    const payload = `{"url":"${receiver.url}/tenant-json","headers":{"constructor":"c1","__proto__":"p1","X-Later":"l"},"body":${body}}`;
    for (const route of ['/v1/jobs', '/v1/jobs/batch']) {
      const text = route === '/v1/jobs' ? `{"type":"http","payload":${payload}}` : `{"jobs":[{"type":"http","payload":${payload}}]}`;
      const response = await post(route, text);
      const jobId = route === '/v1/jobs' ? response.body.jobId : response.body.items[0].job?.jobId;
      expect([response.status, route === '/v1/jobs' ? 202 : response.body.items[0].status]).toEqual([route === '/v1/jobs' ? 202 : 200, 202]);
      expect((await t.api.waitForJob(jobId, ['succeeded', 'fatal'])).status).toBe('succeeded');
      const [request] = receiver.requestsWith('x-job-id', jobId);
      expect(request.body).toBe(JSON.stringify(JSON.parse(body)));
      const pairs = [];
      for (let i = 0; i < request.rawHeaders.length; i += 2) pairs.push([request.rawHeaders[i].toLowerCase(), request.rawHeaders[i + 1]]);
      const sentHeaders = pairs.filter(([name]) => ['constructor', '__proto__', 'x-later'].includes(name));
      expect(sentHeaders).toEqual([
        ['constructor', 'c1'],
        ['__proto__', 'p1'],
        ['x-later', 'l'],
      ]);
    }
  });

  it('validates a header named __proto__ like any other header', async () => {
    const response = await post('/v1/jobs', `{"type":"http","payload":{"url":"${receiver.url}/x","headers":{"__proto__":"a\\r\\nInjected: 1"}}}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'validation_failed', errors: [{ path: 'payload.headers.__proto__' }] });
  });
});
