/**
 * Cancel, retry and delete (SPEC §3.5) racing the worker, through the running
 * twin (issue 4, Done-when 7): every action is one conditional write, and so
 * is the worker's claim, so exactly one of them wins and the other sees it.
 */
import { scriptedByPath, startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

let t: TestTwin;
let receiver: Receiver;
const scripted = scriptedByPath();

beforeAll(async () => {
  t = await startTestTwin({ env: { JOB_TIMEOUT_SECONDS: '5' } });
  receiver = await startReceiver(scripted.responder);
});

afterAll(async () => {
  await receiver?.close();
  await t?.close();
});

const requestsFor = (jobId: string) => receiver.requestsWith('x-job-id', jobId);
const httpJob = (path: string, extra: Record<string, unknown> = {}) => ({ type: 'http', payload: { url: `${receiver.url}${path}` }, ...extra });

describe('cancel racing the worker', () => {
  it('either cancels a job that then never runs, or refuses (409) a job that runs exactly once', async () => {
    // Arrange: jobs due now, so a worker claims each within milliseconds of the submit.
    scripted.script('/race-cancel', { status: 200 });

    // Act: cancel each job the moment its submit answers.
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const job = await t.api.submit(httpJob('/race-cancel'));
        const canceled = await t.api.cancel(job.jobId);
        return { jobId: job.jobId, canceled };
      }),
    );
    await t.waitForQueueEmpty();

    // Assert
    for (const { jobId, canceled } of results) {
      const job = await t.api.waitForJob(jobId, ['succeeded', 'fatal', 'canceled']);
      if (canceled.status === 200) {
        expect(job).toMatchObject({ status: 'canceled', attempts: 0 });
        expect(requestsFor(jobId)).toHaveLength(0);
      } else {
        expect(canceled.status).toBe(409);
        expect(canceled.body).toMatchObject({ code: 'job_not_cancelable' });
        expect(canceled.body.detail).toMatch(/^A (running|succeeded) job cannot be canceled\.$/);
        expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
        expect(requestsFor(jobId)).toHaveLength(1);
      }
    }
  });

  it('refuses to cancel, retry or delete a running job, and lets it finish', async () => {
    // Arrange: hold the attempt's request open while the actions are tried.
    let release!: () => void;
    scripted.script('/held', { status: 200, after: new Promise<void>((resolve) => (release = resolve)) });
    const job = await t.api.submit(httpJob('/held'));
    await waitFor(() => requestsFor(job.jobId).length === 1, { description: 'the attempt to start' });

    // Act
    const [canceled, retried, deleted] = [await t.api.cancel(job.jobId), await t.api.retry(job.jobId), await t.api.delete(job.jobId)];
    release();

    // Assert
    expect([canceled.status, canceled.body.code]).toEqual([409, 'job_not_cancelable']);
    expect([retried.status, retried.body.code]).toEqual([409, 'job_not_retryable']);
    expect([deleted.status, deleted.body.code]).toEqual([409, 'job_not_deletable']);
    expect(await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'])).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});

describe('retry racing stale messages', () => {
  it('re-runs a fatal job exactly once, whatever old messages arrive with it', async () => {
    // Arrange: a job made fatal by a 400; the target then recovers.
    scripted.script('/recovers', { status: 400 }, { status: 200 });
    const job = await t.api.submit(httpJob('/recovers', { maxAttempts: 2 }));
    await t.api.waitForJob(job.jobId, ['fatal']);
    await t.waitForQueueEmpty();

    // Act: the retry route and three late copies of the job's message, at the same moment.
    const message = { tenantId: job.tenantId, jobId: job.jobId };
    const [retried] = await Promise.all([
      t.api.retry(job.jobId),
      t.twin.context.jobsQueue.sendMany([{ message }, { message }, { message }]),
    ]);
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal']);
    await t.waitForQueueEmpty();

    // Assert
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued', attempts: 1, maxAttempts: 2 });
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await t.api.attempts(job.jobId)).map((a) => [a.attempt, a.status])).toEqual([
      [1, 'failed'],
      [2, 'succeeded'],
    ]);
    expect(requestsFor(job.jobId)).toHaveLength(2);
  });

  it('gives a retried job a fresh budget of maxAttempts more attempts', async () => {
    scripted.script('/always-down', { status: 503 });
    const job = await t.api.submit(httpJob('/always-down', { maxAttempts: 1 }));
    await t.api.waitForJob(job.jobId, ['fatal']);

    expect((await t.api.retry(job.jobId)).status).toBe(202);
    const again = await t.api.waitForJob(job.jobId, (j) => j.status === 'fatal' && j.attempts === 2);

    expect(again.lastError).toBe('HTTP 503 from target');
    expect(requestsFor(job.jobId)).toHaveLength(2);
  });
});

describe('delete', () => {
  it('erases a finished job; its messages arriving later do nothing', async () => {
    const job = await t.api.submit({ type: 'echo', payload: { n: 1 } });
    await t.api.waitForJob(job.jobId, ['succeeded']);

    expect((await t.api.delete(job.jobId)).status).toBe(204);
    await t.twin.context.jobsQueue.send({ message: { tenantId: job.tenantId, jobId: job.jobId } });
    await t.waitForQueueEmpty();

    expect((await t.api.request('GET', `/v1/jobs/${job.jobId}`)).status).toBe(404);
  });
});
