/**
 * Persisted mode (SPEC §9): jobs in dynalite and messages in the SQS endpoint
 * survive a restart of the twin on the same data dir (on other ports).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { startTwin, type Twin } from '../../local/twin';
import { apiClient } from '../support/twin';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-persist-'));
const env = { JOBS_DATA_DIR: dataDir, JOBS_IN_MEMORY: '0', PORT: '0', SCHEDULER_INTERVAL_SECONDS: '3600' };
let twin: Twin | undefined;

afterAll(async () => {
  await twin?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function delayedMessages(t: Twin): Promise<number> {
  const { Attributes } = await t.context.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: t.jobsQueueUrl, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessagesDelayed);
}

it('keeps jobs, queued messages and the dev credentials across a restart with changed settings', async () => {
  // Arrange: three jobs handed to SQS with a delay, two far in the future (on the sweep index only).
  twin = await startTwin({ env });
  const first = { url: twin.url, dev: twin.dev };
  let api = apiClient(twin.url, twin.dev.apiKey);
  const soon = await Promise.all([1, 2, 3].map((n) => api('POST', '/v1/jobs', { body: { type: 'echo', payload: { n }, delaySeconds: 300 } })));
  const far = await Promise.all([4, 5].map((n) => api('POST', '/v1/jobs', { body: { type: 'echo', payload: { n }, delaySeconds: 86_400 } })));
  expect([...soon, ...far].map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
  expect(await delayedMessages(twin)).toBe(3);

  // Act: restart with another job timeout (so other queue settings) as well.
  await twin.close();
  twin = await startTwin({ env: { ...env, JOB_TIMEOUT_SECONDS: '5' } });

  // Assert
  expect(twin.dev).toEqual(first.dev);
  api = apiClient(twin.url, twin.dev.apiKey);
  for (const created of [...soon, ...far]) {
    const read = await api('GET', `/v1/jobs/${created.body.jobId}`);
    expect(read.status).toBe(200);
    expect(read.body.payload).toEqual(created.body.payload);
  }
  expect(await delayedMessages(twin)).toBe(3);
});
