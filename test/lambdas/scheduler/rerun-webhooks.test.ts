/**
 * A job re-run by the retry route while an earlier terminal event is still being
 * delivered (found in review): the event survives cancel and further re-runs,
 * later events queue behind it in order, and the pending event's sweep entry
 * does not make the scheduler send the job's own message early or late.
 */
import { pendingWebhook, webhookEventOf, type Job } from '../../../lambdas/jobs/job';
import { cancel, claim, finishAttempt, retry } from '../../../lambdas/jobs/transitions';
import { dispatchDueJobs } from '../../../lambdas/scheduler/dispatch-due-jobs';
import { leaseDelivery, recordTry } from '../../../lambdas/webhooks/webhook-transitions';
import { jobFactory } from '../../support/job-factory';
import { startContextHarness, type ContextHarness } from '../../support/service-context';

const LOOKAHEAD_MS = 300_000;
let h: ContextHarness;
beforeEach(async () => {
  h = await startContextHarness({ SCHEDULER_LOOKAHEAD_SECONDS: '300', STALE_AFTER_SECONDS: '120' });
});
afterEach(() => h?.close());
const timing = () => ({ nowMs: h.clock.now(), retentionDays: 7 });
const read = async (job: Job) => (await h.ctx.jobs.get(job, { consistent: true }))!;

async function runTo(job: Job, kind: 'fatal' | 'succeeded'): Promise<void> {
  const claimed = await h.ctx.jobs.transition(job, (j) => claim(j, 60_000, timing()));
  const attempt = (claimed as { job: Job }).job.attempts;
  const outcome = kind === 'fatal' ? { kind, error: 'HTTP 400 from target' } : { kind, result: 1 };
  await h.ctx.jobs.transition(job, (j) => finishAttempt(j, attempt, outcome as never, LOOKAHEAD_MS, timing()));
}

async function fatalWithPendingWebhook(): Promise<Job> {
  const job = jobFactory(h.clock.now(), { webhookUrl: 'https://hooks.example.com/x', maxAttempts: 1 });
  await h.ctx.jobs.create(job);
  await runTo(job, 'fatal');
  return read(job);
}

it('keeps trying an earlier event after the re-run job is canceled', async () => {
  // Arrange: fatal, its event pending (receiver down), re-run, then canceled while it waits.
  const fatal = await fatalWithPendingWebhook();
  const e1 = webhookEventOf(fatal.webhook)!.id;
  await h.ctx.jobs.transition(fatal, (j) => retry(j, timing()));
  await h.ctx.jobs.transition(fatal, (j) => cancel(j, timing()));
  expect(await read(fatal)).toMatchObject({ status: 'canceled', webhook: { status: 'pending', event: { id: e1 } } });
  h.webhooksQueue.drain();

  // Act: the scheduler runs for a while.
  for (let i = 0; i < 6; i++) {
    h.clock.advance(5 * 60_000);
    await dispatchDueJobs(h.ctx);
  }

  // Assert: the earlier event is sent again (and the canceled job's own message never is).
  expect(h.webhooksQueue.sent.map((d) => d.message.eventId)).toContain(e1);
  expect(h.jobsQueue.sent.filter((d) => d.message.jobId === fatal.jobId)).toEqual([]);
});

it('delivers the events of fatal → re-run fatal → cancel → re-run succeeded in order', async () => {
  // Arrange
  const fatal = await fatalWithPendingWebhook();
  const e1 = webhookEventOf(fatal.webhook)!.id;
  await h.ctx.jobs.transition(fatal, (j) => retry(j, timing()));
  await runTo(fatal, 'fatal');
  await h.ctx.jobs.transition(fatal, (j) => retry(j, timing()));
  await h.ctx.jobs.transition(fatal, (j) => cancel(j, timing()));
  await h.ctx.jobs.transition(fatal, (j) => retry(j, timing()));
  await runTo(fatal, 'succeeded');
  const done = await read(fatal);
  expect(webhookEventOf(done.webhook)!.id).toBe(e1);
  const [e2, e3] = (pendingWebhook(done.webhook)?.backlog ?? []).map((e) => e.id);

  // Act: the receiver comes back; each pending event is delivered in turn.
  const delivered: string[] = [];
  for (let i = 0; i < 3; i++) {
    const eventId = webhookEventOf((await read(fatal)).webhook)!.id;
    const token = `try-${i}`;
    const message = { tenantId: fatal.tenantId, jobId: fatal.jobId, eventId };
    await h.ctx.jobs.transition(fatal, (j) => leaseDelivery(j, message, { token, leaseMs: 15_000, retrySchedule: [5] }, timing()));
    await h.ctx.jobs.transition(fatal, (j) =>
      recordTry(j, { eventId, fence: { token }, outcome: { kind: 'delivered', statusCode: 200 }, retrySchedule: [5], dispatchWithinMs: 900_000 }, timing()),
    );
    delivered.push(eventId);
  }

  // Assert
  expect(delivered).toEqual([e1, e2, e3]);
  expect(await read(fatal)).toMatchObject({ status: 'succeeded', webhook: { status: 'delivered' } });
});

it('sends a waiting re-run job at its look-ahead, not early or late, when an earlier event brought its entry due', async () => {
  // Arrange: waiting for a retry an hour away, with an earlier event's try due in 10 minutes.
  const t0 = h.clock.now();
  const runAt = t0 + 3_600_000;
  const job = jobFactory(t0, {
    status: 'retry', attempts: 1, maxAttempts: 1, attemptLimit: 2, nextRunAt: new Date(runAt).toISOString(), dispatched: false,
    webhookUrl: 'https://hooks.example.com/x',
    webhook: {
      status: 'pending',
      event: { id: 'msg_e1', type: 'job.fatal', body: '{}', nextAttemptAt: t0 + 600_000 },
      attempts: 4,
      lastStatusCode: 500,
      lastError: 'HTTP 500 from receiver',
      backlog: [],
    },
  });
  await h.ctx.jobs.create(job);

  // Act: the scheduler runs every 10 s until the job is sent.
  const sent: Array<{ atMs: number; delaySeconds?: number }> = [];
  while (sent.length === 0 && h.clock.now() < runAt + 600_000) {
    h.clock.advance(10_000);
    await dispatchDueJobs(h.ctx);
    for (const d of h.jobsQueue.drain()) sent.push({ atMs: h.clock.now(), delaySeconds: d.delaySeconds });
  }

  // Assert: the earlier event was sent; the job's message went out within the look-ahead, delayed to runAt.
  expect(h.webhooksQueue.sent.map((d) => d.message.eventId)).toContain('msg_e1');
  expect(sent).toHaveLength(1);
  expect(sent[0].atMs).toBeGreaterThanOrEqual(runAt - LOOKAHEAD_MS);
  expect(sent[0].atMs + (sent[0].delaySeconds ?? 0) * 1000).toBeLessThanOrEqual(runAt + 1000);
});
