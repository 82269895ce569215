/**
 * A job re-run by the retry route while its first terminal event is still being
 * delivered (SPEC §4: every entry into succeeded/fatal creates an event that is
 * delivered at least once): neither event is lost, and they arrive in order.
 */
import { Webhook } from 'standardwebhooks';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type JobView, type TestTwin } from '../support/twin';

let t: TestTwin;
let target: Receiver;
let hooks: Receiver;
let hooksUp = false;
const verified: Array<{ id: string; type: string; status: number }> = [];

beforeAll(async () => {
  t = await startTestTwin({ env: { STALE_AFTER_SECONDS: '1', WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1' } });
  // The job's target refuses the first request (fatal), then accepts.
  target = await startReceiver((_request, index) => ({ status: index === 0 ? 400 : 200 }));
  // The webhook receiver verifies with standardwebhooks, and is down until the test says so.
  const verifier = new Webhook(t.twin.dev.webhookSecret);
  hooks = await startReceiver((request) => {
    const event = verifier.verify(request.body, request.headers as Record<string, string>) as { type: string };
    const status = hooksUp ? 200 : 503;
    verified.push({ id: String(request.headers['webhook-id']), type: event.type, status });
    return { status };
  });
});

afterAll(async () => {
  await target?.close();
  await hooks?.close();
  await t?.close();
});

it('delivers the job.fatal event, then the job.succeeded event of the re-run', async () => {
  // Arrange: fatal at once; its webhook fails while the receiver is down.
  const submitted = await t.api.submit({ type: 'http', payload: { url: `${target.url}/work` }, maxAttempts: 1, webhookUrl: `${hooks.url}/hooks` });
  await t.api.waitForJob(submitted.jobId, (job) => job.status === 'fatal' && job.webhook.attempts >= 1);

  // Act: re-run it while the fatal event is still pending; it succeeds; then the receiver comes back.
  const retried = await t.api.retry(submitted.jobId);
  expect(retried.status).toBe(202);
  expect(retried.body.webhook.status).toBe('pending');
  await t.api.waitForJob(submitted.jobId, ['succeeded']);
  hooksUp = true;

  // Assert: both events delivered, fatal first, each with its own webhook-id. Delivery is
  // at least once: a receiver may see an event again (same id), so events are counted by id.
  const job: JobView = await t.api.waitForJob(submitted.jobId, (j) => j.status === 'succeeded' && j.webhook.status === 'delivered', 15_000);
  expect(job.webhook).toMatchObject({ status: 'delivered', attempts: 1 });
  const firstDeliveries = [...new Map(verified.filter((v) => v.status === 200).map((v) => [v.id, v.type])).values()];
  expect(firstDeliveries).toEqual(['job.fatal', 'job.succeeded']);
  // Every try of each event carried that event's one id.
  for (const type of ['job.fatal', 'job.succeeded']) {
    expect(new Set(verified.filter((v) => v.type === type).map((v) => v.id)).size).toBe(1);
  }
}, 30_000);
