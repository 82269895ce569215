/**
 * No secret or tenant data in the logs (SPEC §11, issue 9): the twin runs every
 * path a tenant can drive — single and batch submits, email and sms (outbox),
 * http jobs with custom headers to a local receiver (succeeding, failing,
 * fatal), webhooks delivered, retried and failed, cancel, retry, delete,
 * redeliver, bad requests and a 500 — while every log line is captured: the
 * service's Logger and all its children at DEBUG, plus stdout, stderr and the
 * console (EMF metric lines included). Then none of the marked strings may
 * appear in them.
 */
import { randomBytes } from 'node:crypto';
import { CapturingLogger, tapProcessOutput, type OutputTap } from '../support/log-capture';
import { scriptedByPath, startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type JobView, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

/** A fresh mark per run, so a match can only come from this run's data. */
const mark = randomBytes(5).toString('hex');
const SECRET = {
  echoPayload: `echo-payload-${mark}`,
  batchPayload: `batch-payload-${mark}`,
  emailTo: `recipient-${mark}@example.com`,
  emailSubject: `subject-${mark}`,
  emailText: `email-body-${mark}`,
  emailHtml: `<p>email-html-${mark}</p>`,
  phone: `+1555${String(parseInt(mark.slice(0, 6), 16)).padStart(8, '0').slice(-7)}`,
  smsMessage: `sms-text-${mark}`,
  headerValue: `header-value-${mark}`,
  bearer: `Bearer bearer-${mark}`,
  httpBody: `http-body-${mark}`,
  targetToken: `target-token-${mark}`,
  webhookToken: `webhook-token-${mark}`,
  responseBody: `response-body-${mark}`,
  badRequest: `bad-request-${mark}`,
  internalError: `internal-error-${mark}`,
};

let t: TestTwin;
let receiver: Receiver;
let tap: OutputTap;
const logged: string[] = [];

beforeAll(async () => {
  tap = tapProcessOutput();
  const scripts = scriptedByPath();
  // Targets and webhook receivers; bodies quote the secrets back, so a logged response would show.
  scripts.script('/target/ok', { status: 200, body: { echoed: SECRET.responseBody } });
  scripts.script('/target/flaky', { status: 503, body: SECRET.responseBody }, { status: 200, body: SECRET.responseBody });
  scripts.script('/target/fatal', { status: 400, body: SECRET.responseBody });
  scripts.script('/hooks/ok', { status: 200 });
  scripts.script('/hooks/flaky', { status: 500, body: SECRET.responseBody }, { status: 200 });
  scripts.script('/hooks/gone', { status: 410, body: SECRET.responseBody });
  receiver = await startReceiver(scripts.responder);
  t = await startTestTwin({ logger: new CapturingLogger(logged), env: { POWERTOOLS_METRICS_DISABLED: 'false' } });
});

afterAll(async () => {
  tap?.restore();
  await t?.close();
  await receiver?.close();
});

const hook = (path: string) => `${receiver.url}${path}?token=${SECRET.webhookToken}`;
const target = (path: string) => `${receiver.url}${path}?token=${SECRET.targetToken}`;
const httpPayload = (path: string) => ({
  url: target(path),
  method: 'POST',
  headers: { 'x-custom': SECRET.headerValue, authorization: SECRET.bearer },
  body: { secret: SECRET.httpBody },
});

test('every e2e path runs while its logs are captured', async () => {
  const { api } = t;
  const terminal = ['succeeded', 'fatal'] as const;
  const jobs: JobView[] = [];

  jobs.push(await api.submit({ type: 'echo', payload: { secret: SECRET.echoPayload }, webhookUrl: hook('/hooks/ok') }));
  jobs.push(
    await api.submit(
      { type: 'email', payload: { to: SECRET.emailTo, subject: SECRET.emailSubject, text: SECRET.emailText, html: SECRET.emailHtml }, webhookUrl: hook('/hooks/flaky') },
      { idempotencyKey: `email-${mark}` },
    ),
  );
  jobs.push(await api.submit({ type: 'sms', payload: { to: SECRET.phone, message: SECRET.smsMessage }, webhookUrl: hook('/hooks/gone') }));
  jobs.push(await api.submit({ type: 'http', payload: httpPayload('/target/ok'), webhookUrl: hook('/hooks/ok') }));
  jobs.push(await api.submit({ type: 'http', payload: httpPayload('/target/flaky'), maxAttempts: 3 }));
  const fatal = await api.submit({ type: 'http', payload: httpPayload('/target/fatal'), webhookUrl: hook('/hooks/ok') });
  jobs.push(fatal);
  jobs.push(
    ...(await api.submitBatch([
      { type: 'echo', payload: { secret: SECRET.batchPayload } },
      { type: 'sms', payload: { to: SECRET.phone, message: SECRET.smsMessage } },
      { type: 'http', payload: httpPayload('/target/ok') },
    ])),
  );
  for (const job of jobs) await api.waitForJob(job.jobId, [...terminal]);

  // Webhooks: delivered, delivered after a failed try, failed for good (410).
  const webhookOf = (job: JobView, status: string) => api.waitForJob(job.jobId, (j) => j.webhook.status === status);
  await webhookOf(jobs[0], 'delivered');
  await webhookOf(jobs[1], 'delivered');
  await webhookOf(jobs[2], 'failed');
  await webhookOf(fatal, 'delivered');
  expect((await api.getJob(fatal.jobId)).status).toBe('fatal');

  // Actions: redeliver, retry the fatal job, cancel a waiting one, delete finished ones.
  expect((await api.request('POST', `/v1/jobs/${jobs[0].jobId}/webhook/redeliver`)).status).toBe(202);
  expect((await api.retry(fatal.jobId)).status).toBe(202);
  await api.waitForJob(fatal.jobId, ['fatal'], 15_000);
  const later = await api.submit({ type: 'email', payload: { to: SECRET.emailTo, subject: SECRET.emailSubject, text: SECRET.emailText }, delaySeconds: 3600 });
  expect((await api.cancel(later.jobId)).status).toBe(200);
  expect((await api.delete(later.jobId)).status).toBe(204);
  expect((await api.delete(jobs[2].jobId)).status).toBe(204);
  await api.listAll('succeeded');
  await api.attempts(jobs[4].jobId);

  // Bad requests carrying secrets: not JSON, invalid fields, a bad key, an unknown path, a reused key.
  const bad = [
    await api.request('POST', '/v1/jobs', { rawBody: `{"type":"echo","payload":{"s":"${SECRET.badRequest}"`, headers: { 'content-type': 'application/json' } }),
    await api.request('POST', '/v1/jobs', { body: { type: 'email', payload: { to: SECRET.badRequest, subject: SECRET.emailSubject, text: SECRET.emailText } } }),
    await api.request('POST', '/v1/jobs', { body: { type: 'sms', payload: { to: SECRET.phone, message: '' } } }),
    await api.request('POST', '/v1/jobs', { body: { type: 'http', payload: { ...httpPayload('/x'), url: `http://169.254.169.254/?token=${SECRET.targetToken}` } } }),
    await api.request('POST', '/v1/jobs', { body: { type: 'echo', payload: {}, webhookUrl: `ftp://example.com/?token=${SECRET.webhookToken}` } }),
    await api.request('POST', '/v1/jobs', { body: { type: 'echo', payload: { other: SECRET.badRequest } }, headers: { 'idempotency-key': `email-${mark}` } }),
    await api.request('GET', `/v1/jobs?status=queued&cursor=${SECRET.badRequest}`),
    await api.request('GET', '/v1/job-types', { apiKey: `${t.twin.dev.apiKey}-${SECRET.badRequest}` }),
    await api.request('POST', '/v1/jobs/batch', { body: { jobs: [{ type: 'email', payload: { to: SECRET.badRequest, subject: 's', text: 't' } }, 5] } }),
  ];
  expect(bad.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 422, 400, 403, 200]);

  // A 500: the store fails with a message that quotes request data (as SDK validation errors do).
  const get = t.twin.context.jobs.get.bind(t.twin.context.jobs);
  const failing = jest.spyOn(t.twin.context.jobs, 'get').mockImplementationOnce(async () => {
    throw new Error(`store refused ${SECRET.internalError} for key ${t.twin.dev.apiKey}`);
  });
  const crashed = await api.request('GET', `/v1/jobs/${jobs[0].jobId}`);
  failing.mockRestore();
  expect(crashed.status).toBe(500);
  expect(crashed.text).not.toContain(SECRET.internalError);
  expect(await get({ tenantId: t.twin.dev.tenantId, jobId: jobs[0].jobId })).toBeDefined();

  // The worker's store fails once while finishing this job, with the same kind of message; the job's own
  // message comes back after the jobs queue's visibility timeout (15 s in the test twin) and it runs again.
  const store = t.twin.context.jobs;
  const storeFailure = () => new Error(`store refused ${SECRET.internalError} for payload ${SECRET.echoPayload}`);
  const original = store.replace.bind(store);
  let failed = false;
  const replace = jest.spyOn(store, 'replace').mockImplementation(async (job, version) => {
    if (!failed && (job.payload as { failOnce?: unknown } | undefined)?.failOnce === true && job.status !== 'running') {
      failed = true;
      throw storeFailure();
    }
    return original(job, version);
  });
  const workerJob = await api.submit({ type: 'echo', payload: { secret: SECRET.echoPayload, failOnce: true } });
  await api.waitForJob(workerJob.jobId, ['succeeded'], 45_000);
  expect(failed).toBe(true);
  replace.mockRestore();

  // The receiver saw the secrets, so they were really in play.
  expect(receiver.requests.some((r) => r.headers['x-custom'] === SECRET.headerValue && r.body.includes(SECRET.httpBody))).toBe(true);
  expect(receiver.requests.some((r) => r.path.includes(SECRET.webhookToken))).toBe(true);
  await waitFor(() => logged.some((line) => line.includes('"webhook failed for good"')), { description: 'the webhook failure logged' });
}, 90_000);

test('the capture saw every level and every component: the test is not blind', () => {
  const messages = logged.map((line) => JSON.parse(line) as { level: string; message: string });
  const levels = new Set(messages.map((m) => m.level));
  expect([...levels]).toEqual(expect.arrayContaining(['DEBUG', 'INFO', 'WARN', 'ERROR']));
  for (const message of ['attempt finished', 'attempt failed; will retry', 'email written to the local outbox', 'sms written to the local outbox', 'webhook delivered', 'webhook try failed; will retry', 'webhook failed for good', 'unhandled error']) {
    expect(messages.map((m) => m.message)).toContain(message);
  }
  // EMF metric lines go to stdout, not through the Logger: the tap must have them.
  expect(tap.lines.some((line) => line.includes('"JobsCreated"'))).toBe(true);
});

test('no API key, webhook secret, payload, email, phone number, header value or URL token in any log line', () => {
  const everything = [...logged, ...tap.lines].join('\n');
  const secretBase64 = t.twin.dev.webhookSecret.replace(/^whsec_/, '');
  const forbidden: Record<string, string> = {
    'API key': t.twin.dev.apiKey,
    'webhook secret': t.twin.dev.webhookSecret,
    'webhook secret (base64 body)': secretBase64,
    ...SECRET,
  };
  const found = Object.entries(forbidden)
    .filter(([, value]) => everything.includes(value))
    .map(([name, value]) => `${name}: ${everything.split('\n').find((line) => line.includes(value))!.slice(0, 300)}`);
  expect(found).toEqual([]);
});
