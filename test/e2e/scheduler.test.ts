/**
 * Nothing is stranded (SPEC §4; issue 4, Done-when 4), through the running twin
 * with its scheduler on a short interval: a job whose SQS message was lost
 * finishes through the sweep index or the open-bucket scan, a job whose worker died mid-attempt through
 * its own message coming back, a dead-lettered one through the scheduler's drain.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { InitializeHandler, InitializeHandlerArguments, MetadataBearer } from '@smithy/types';
import { inPlaceClaim } from '../../lambdas/jobs/transitions';
import { startTestTwin, type TestTwin } from '../support/twin';

let t: TestTwin;

beforeAll(async () => {
  t = await startTestTwin({ env: { STALE_AFTER_SECONDS: '1', SCHEDULER_INTERVAL_SECONDS: '0.2' } });
});

afterAll(async () => {
  await t?.close();
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** The next job message the API sends is lost (put succeeded, send did not). */
function loseNextJobMessage(): jest.SpyInstance {
  return jest.spyOn(t.twin.context.jobsQueue, 'send').mockRejectedValueOnce(new Error('socket hang up'));
}

describe('a job whose SQS message was lost', () => {
  it('is accepted (202) and still runs, dispatched by the scheduler, when the send before its put fails', async () => {
    // Arrange
    const send = loseNextJobMessage();

    // Act
    const job = await t.api.submit({ type: 'echo', payload: { n: 1 } });
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 10_000);

    // Assert
    await expect(send.mock.results[0].value).rejects.toThrow('socket hang up');
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: { n: 1 } });
  });

  it('is accepted (202) and still runs when the send after its put fails (a keyed submission is put first)', async () => {
    // Arrange
    const send = loseNextJobMessage();

    // Act
    const job = await t.api.submit({ type: 'echo', payload: { n: 1 } }, { idempotencyKey: 'lost-after-put' });
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 10_000);

    // Assert
    await expect(send.mock.results[0].value).rejects.toThrow('socket hang up');
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: { n: 1 } });
    // Found no earlier than STALE_AFTER_SECONDS after it was due.
    const [attempt] = await t.api.attempts(job.jobId);
    expect(Date.parse(attempt.startedAt) - Date.parse(job.createdAt)).toBeGreaterThanOrEqual(1000);
  });

  it.each([
    ['sent first (no key)', undefined],
    ['put first and sent after (a key)', 'accepted-and-lost'],
  ])(
    'still runs when SQS accepted its message and lost it (%s): the open-bucket scan finds it, with no sweep entry written for it before',
    async (_case, idempotencyKey) => {
      // Arrange: the API's send of the job's message answers success and goes nowhere (the fault suite's sqs.send.drop).
      const lost: string[] = [];
      jest.spyOn(t.twin.context.jobsQueue, 'send').mockImplementationOnce(async (dispatch) => {
        lost.push(`JOB#${dispatch.message.tenantId}#${dispatch.message.jobId}`);
      });
      // Every write of a job item, in order, by item (a keyed job is put before its send names it): whether it puts
      // the job on the sweep index, and whether that is the scan's.
      const writesByItem = new Map<string, Array<{ operation: string; setsSweepAt: boolean; byScan: boolean }>>();
      t.twin.context.db.middlewareStack.add(
        (next: InitializeHandler<object, MetadataBearer>, context) => async (args: InitializeHandlerArguments<object>) => {
          const input = args.input as { Key?: { pk?: string }; Item?: Record<string, unknown>; UpdateExpression?: string; ConditionExpression?: string };
          const pk = input.Key?.pk ?? input.Item?.pk;
          const operation = (context.commandName ?? '').replace(/Command$/, '');
          if (typeof pk === 'string' && pk.startsWith('JOB#') && (operation === 'PutItem' || operation === 'UpdateItem')) {
            if (!writesByItem.has(pk)) writesByItem.set(pk, []);
            writesByItem.get(pk)!.push({
                operation,
                setsSweepAt: input.Item ? 'sweepAt' in input.Item : /SET .*\bsweepAt = /.test(input.UpdateExpression ?? ''),
              byScan: (input.ConditionExpression ?? '').includes('attempts = :zero AND attribute_not_exists(sweepAt)'),
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'jobWrites' },
      );

      try {
        // Act
        const job = await t.api.submit({ type: 'echo', payload: { n: 4 } }, idempotencyKey ? { idempotencyKey } : {});
        const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 15_000);

        // Assert: the lost message was this job's; it ran once, no earlier than STALE_AFTER_SECONDS after its create.
        expect(lost).toEqual([`JOB#${job.tenantId}#${job.jobId}`]);
        expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: { n: 4 } });
        const [attempt] = await t.api.attempts(job.jobId);
        expect(Date.parse(attempt.startedAt) - Date.parse(job.createdAt)).toBeGreaterThanOrEqual(1000);
        const writes = writesByItem.get(lost[0]) ?? [];
        expect(writes[0]).toEqual({ operation: 'PutItem', setsSweepAt: false, byScan: false });
        // The first write to put it on the sweep index is the scan's.
        expect(writes.find((w) => w.setsSweepAt)).toEqual({ operation: 'UpdateItem', setsSweepAt: true, byScan: true });
      } finally {
        t.twin.context.db.middlewareStack.remove('jobWrites');
      }
    },
  );

  it('a whole batch of them is re-sent once each, not in a storm', async () => {
    // The API's batch send (30 entries) fails for every entry; the scheduler's sends go through.
    const queue = t.twin.context.jobsQueue;
    const sendMany = queue.sendMany.bind(queue);
    const sweepSends: string[] = [];
    let lost = false;
    jest.spyOn(queue, 'sendMany').mockImplementation(async (dispatches) => {
      if (!lost && dispatches.length === 30) {
        lost = true;
        return [...dispatches];
      }
      sweepSends.push(...dispatches.map((d) => d.message.jobId));
      return sendMany(dispatches);
    });

    const jobs = await t.api.submitBatch(Array.from({ length: 30 }, (_, i) => ({ type: 'echo', payload: { i } })));
    await Promise.all(jobs.map((job) => t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 10_000)));

    expect(lost).toBe(true);
    for (const job of jobs) expect(await t.api.attempts(job.jobId)).toMatchObject([{ attempt: 1, status: 'succeeded' }]);
    expect(new Set(sweepSends)).toEqual(new Set(jobs.map((j) => j.jobId)));
    expect(sweepSends.length).toBeLessThan(2 * jobs.length);
  });
});

describe('a job whose worker died mid-attempt', () => {
  /**
   * The worker's write of the outcome of the job carrying `marker` in its payload fails once, as if it died:
   * its message is not deleted, and comes back. Told by its payload, not its id: a job sent first can run
   * before the submit's answer (and so its id) reaches the test.
   */
  function workerDiesAfterClaiming(marker: string): void {
    const store = t.twin.context.jobs;
    const replace = store.replace.bind(store);
    let died = false;
    jest.spyOn(store, 'replace').mockImplementation(async (job, version) => {
      if (!died && (job.payload as { marker?: unknown } | undefined)?.marker === marker && job.status !== 'running') {
        died = true;
        throw new Error('worker died');
      }
      return replace(job, version);
    });
  }

  it('is taken over by its own message, delivered again after the visibility timeout: the lost attempt failed "lease expired", the next one ran', async () => {
    // Arrange
    const marker = randomUUID();
    workerDiesAfterClaiming(marker);

    // Act
    const job = await t.api.submit({ type: 'echo', payload: { n: 2, marker } });
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 25_000);

    // Assert
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await t.api.attempts(job.jobId)).map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 'failed', 'lease expired'],
      [2, 'succeeded', null],
    ]);
  });

  it('on its last attempt becomes fatal', async () => {
    const marker = randomUUID();
    workerDiesAfterClaiming(marker);
    const job = await t.api.submit({ type: 'echo', payload: { marker }, maxAttempts: 1 });

    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 25_000);

    expect(done).toMatchObject({ status: 'fatal', attempts: 1, lastError: 'lease expired' });
  });
});

describe('a dead-lettered job message', () => {
  it('is run by the scheduler, which takes it back from the jobs DLQ', async () => {
    // Arrange: a job claimed by a worker that died, its message dead-lettered (no sweep entry: it is running).
    const job = await t.api.submit({ type: 'echo', payload: { n: 3 }, delaySeconds: 3600 });
    await t.twin.context.jobs.transition(job, (j) => (j ? { write: { ...j, nextRunAt: new Date(t.twin.context.now()).toISOString() }, result: null } : { result: null }));
    const claimed = await t.twin.context.jobs.claimInPlace(job, inPlaceClaim(0, 500, { nowMs: t.twin.context.now(), retentionDays: t.twin.config.retentionDays }));
    expect(claimed.claimed?.status).toBe('running');
    await t.twin.context.sqs.send(
      new SendMessageCommand({ QueueUrl: t.twin.jobsDlqUrl, MessageBody: JSON.stringify({ tenantId: job.tenantId, jobId: job.jobId, attempts: 0 }), MessageGroupId: job.tenantId }),
    );

    // Act
    const done = await t.api.waitForJob(job.jobId, ['succeeded', 'fatal'], 10_000);

    // Assert: the dead worker's attempt counts, the next one ran.
    expect(done).toMatchObject({ status: 'succeeded', attempts: 2, result: { n: 3 } });
    await t.waitForQueueEmpty(t.twin.jobsDlqUrl, 10_000);
  });
});
