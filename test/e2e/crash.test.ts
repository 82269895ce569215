/**
 * Restart after `kill -9` loses nothing (SPEC §9; issue 4, Done-when 6): the
 * twin is killed while 500 jobs are in flight, started again on the same data
 * directory, and every job still reaches a terminal state — none succeeding
 * twice. Then a polite SIGTERM stops it within a few seconds.
 *
 * The jobs are `http` requests to a receiver in this process that answers after
 * 200 ms; from the 41st request until the kill it holds its answers, so at the
 * moment of the kill attempts are certainly mid-request (a kill that landed
 * between two rounds of batches would find none running).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Attempt } from '../../lambdas/jobs/job';
import { startMainProcess, type MainProcess } from '../support/main-process';
import { startReceiver, type Receiver } from '../support/receiver';
import { ApiClient, type JobView } from '../support/twin';
import { waitFor } from '../support/wait-for';
import { mapConcurrently } from '../support/map-concurrently';

const JOBS = 500;
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-crash-'));
const env = {
  JOBS_DATA_DIR: dataDir,
  JOB_TIMEOUT_SECONDS: '2',
  // Messages survive the crash (the SQS journal), so re-dispatch is not what brings these jobs back.
  STALE_AFTER_SECONDS: '10',
  SCHEDULER_INTERVAL_SECONDS: '0.25',
  BACKOFF_BASE_SECONDS: '0.05',
  BACKOFF_MAX_SECONDS: '1',
  // This test reads 500 attempt lists in a burst; the usage-plan throttle is not what it is about.
  API_RATE_LIMIT_PER_SECOND: '100000',
  API_BURST_LIMIT: '100000',
};
let receiver: Receiver;
let twin: MainProcess | undefined;
let killed!: () => void;
const kill = new Promise<void>((resolve) => (killed = resolve));
let killedYet = false;

beforeAll(async () => {
  receiver = await startReceiver((_request, index) =>
    index >= 40 && !killedYet ? { status: 200, body: 'ok', after: kill } : { status: 200, body: 'ok', delayMs: 200 },
  );
});

afterAll(async () => {
  if (twin && twin.child.exitCode === null) twin.child.kill('SIGKILL');
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('finishes every job after kill -9 and a restart, none succeeding twice', async () => {
  // Arrange: 500 jobs submitted (5 batches of 100), some already done.
  twin = await startMainProcess(env);
  let api = new ApiClient(twin.url, twin.apiKey);
  const items = Array.from({ length: JOBS }, (_, i) => ({ type: 'http', payload: { url: `${receiver.url}/job/${i}`, body: { i } } }));
  const batches = Array.from({ length: JOBS / 100 }, (_, b) => items.slice(b * 100, (b + 1) * 100));
  const jobs = (await Promise.all(batches.map((batch) => api.submitBatch(batch)))).flat();
  expect(jobs).toHaveLength(JOBS);
  await waitFor(() => receiver.requests.length >= 50, { timeoutMs: 20_000, description: '50 attempts under way' });

  // Act: kill -9 mid-flight, then start again on the same data directory.
  twin.child.kill('SIGKILL');
  expect(await twin.exited).toBe('SIGKILL');
  killedYet = true;
  killed();
  const requestsAtKill = receiver.requests.length;
  const firstKey = twin.apiKey;
  twin = await startMainProcess(env);
  expect(twin.apiKey).toBe(firstKey);
  api = new ApiClient(twin.url, twin.apiKey);

  // Assert: every job terminal …
  const done = await waitFor(
    async () => {
      const finished = [...(await api.listAll('succeeded')), ...(await api.listAll('fatal'))];
      return finished.length === JOBS ? finished : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 500, description: `all ${JOBS} jobs terminal` },
  );
  expect(new Set(done.map((j: JobView) => j.jobId))).toEqual(new Set(jobs.map((j) => j.jobId)));
  expect(done.every((j) => j.status === 'succeeded')).toBe(true);

  // … each with at most one succeeded attempt, and no attempt left running.
  const histories = await mapConcurrently(jobs, 16, (job) => api.attempts(job.jobId));
  const succeededAttempts = (history: Attempt[]) => history.filter((a) => a.status === 'succeeded').length;
  expect(histories.filter((history) => succeededAttempts(history) !== 1)).toEqual([]);
  expect(histories.filter((history) => history.some((a) => a.status === 'running'))).toEqual([]);

  // The kill hit attempts mid-flight: those were taken over after their lease, recorded as "lease expired".
  const takenOver = histories.filter((history) => history.some((a) => a.error === 'lease expired'));
  expect(requestsAtKill).toBeLessThan(JOBS);
  expect(takenOver.length).toBeGreaterThan(0);
  // A target saw a job more than once only when an attempt was lost with the process.
  const requestsPerJob = new Map<string, number>();
  for (const request of receiver.requests) {
    const jobId = String(request.headers['x-job-id']);
    requestsPerJob.set(jobId, (requestsPerJob.get(jobId) ?? 0) + 1);
  }
  jobs.forEach((job, i) => {
    const attempts = histories[i].length;
    expect(requestsPerJob.get(job.jobId) ?? 0).toBeLessThanOrEqual(attempts);
  });

  // A polite stop: SIGTERM, and the process exits cleanly within a few seconds.
  const stoppedAt = Date.now();
  twin.child.kill('SIGTERM');
  expect(await twin.exited).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(10_000);
}, 90_000);
