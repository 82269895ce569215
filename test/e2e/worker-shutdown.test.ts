/**
 * The twin's shutdown (SPEC §9): it stops taking work, lets running attempts
 * finish within a grace period, and hands back what is still running: the job
 * waits again with that attempt uncounted, and the next start runs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver, type Receiver, type ScriptedResponse } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

let receiver: Receiver;
let answer: (index: number) => ScriptedResponse;
let dataDir: string;
let t: TestTwin | undefined;

beforeAll(async () => {
  receiver = await startReceiver((_request, index) => answer(index));
});
afterAll(async () => {
  await receiver?.close();
});
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'jobs-shutdown-'));
});
afterEach(async () => {
  await t?.close();
  t = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

const start = (env: Record<string, string> = {}) => startTestTwin({ env: { JOBS_IN_MEMORY: '0', JOBS_DATA_DIR: dataDir, ...env } });

it('finishes an attempt that ends within the grace period before it stops', async () => {
  // Arrange: an attempt under way that the target answers after 1 s.
  answer = () => ({ status: 200, body: 'done', delayMs: 1000 });
  t = await start();
  const job = await t.api.submit({ type: 'http', payload: { url: `${receiver.url}/graceful` } });
  const before = receiver.requests.length;
  await waitFor(() => receiver.requests.length > before, { description: 'the attempt to start' });

  // Act
  await t.close();

  // Assert: written before the twin went down.
  t = await start({ SCHEDULER_INTERVAL_SECONDS: '3600' });
  expect(await t.api.getJob(job.jobId)).toMatchObject({ status: 'succeeded', attempts: 1, result: { status: 200, body: 'done' } });
});

it('hands back an attempt that outlives the grace period, uncounted; the next start runs it', async () => {
  // Arrange: the first request hangs (past the 3 s grace); later ones succeed. One attempt only:
  // a shutdown must not spend it.
  answer = (index) => (index === 0 ? { hang: true } : { status: 200 });
  receiver.requests.length = 0;
  t = await start({ JOB_TIMEOUT_SECONDS: '20', SCHEDULER_INTERVAL_SECONDS: '3600' });
  const job = await t.api.submit({ type: 'http', payload: { url: `${receiver.url}/stuck`, timeoutSeconds: 30 }, maxAttempts: 1 });
  await waitFor(() => receiver.requests.length === 1, { description: 'the attempt to start' });

  // Act
  const stoppingAt = Date.now();
  await t.close();
  const stopTookMs = Date.now() - stoppingAt;

  // Assert: down within a few seconds, the job waiting again with no attempt spent …
  expect(stopTookMs).toBeLessThan(7000);
  t = await start({ JOB_TIMEOUT_SECONDS: '20' });
  // … and it runs at once after the restart (its message was re-sent), not after a lease expiry.
  const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 10_000);
  expect(done).toMatchObject({ status: 'succeeded', attempts: 1, maxAttempts: 1 });
  expect((await t.api.attempts(job.jobId)).map((a) => [a.attempt, a.status, a.error])).toEqual([[1, 'succeeded', null]]);
  expect(receiver.requests).toHaveLength(2);
}, 30_000);
