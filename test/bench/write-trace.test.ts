/**
 * The bench's write trace on the real twin (dynalite, the SQS endpoint, the
 * handlers, a real webhook receiver): an end-to-end run of a few jobs sees each
 * job's create, claim and finish — and with a webhook its delivery — whatever
 * the items look like, and its ledger accounts for every write unit the meter
 * counts.
 */
import { LogTap } from '../../bench/aws-usage';
import { startBenchTwin, type BenchTwin } from '../../bench/bench-twin';
import type { ApiClient } from '../../bench/api-client';
import { measureEndToEnd, type EndToEndOptions } from '../../bench/end-to-end';
import { startWebhookReceiver } from '../../bench/webhook-receiver';
import { ledgerTotal } from '../../bench/write-ledger';

const JOBS = 4;

describe('the write trace of an end-to-end run', () => {
  // The handlers' log lines are the bench's to count, not the test output's.
  const logs = new LogTap();
  let bench: BenchTwin;

  beforeAll(async () => {
    logs.start();
    bench = await startBenchTwin(logs);
  });

  afterAll(async () => {
    await bench.close();
    logs.stop();
  });

  const run = async (client: ApiClient, extra: Partial<EndToEndOptions> = {}) =>
    measureEndToEnd(client, bench.meter, {
      jobs: JOBS,
      submission: 'single',
      concurrency: JOBS,
      apiDurationMs: 10,
      timeoutMs: 30_000,
      queueIdle: (queue) => bench.queueIdle(queue),
      ...extra,
    });

  it("records every job's create, claim and finish, and no write it cannot account for", async () => {
    const result = await run(await bench.tenant('trace-plain'));

    expect(result.succeeded).toBe(JOBS);
    const { create, claim, finish, webhookDelivered } = result.ledger.transitions;
    expect(create.writes).toBeGreaterThanOrEqual(1);
    expect(claim.writes).toBe(1);
    expect(finish.writes).toBe(1);
    expect(webhookDelivered.writes).toBe(0);
    expect(result.ledger.untracked.writes).toBe(0);
    expect(ledgerTotal(result.ledger)).toBeCloseTo(result.perJob.writeUnits, 6);
    // The trace names the partitions the writes landed on, the indexes' as well as the table's.
    expect(result.partitions.hottest.some((p) => p.where === 'table')).toBe(true);
    expect(result.partitions.hottest.some((p) => p.where !== 'table')).toBe(true);
    expect(Math.max(...result.partitions.hottest.map((p) => p.jobsInRun))).toBeGreaterThanOrEqual(1);
  });

  it('with a webhook each, ends when every event is delivered and records each delivery', async () => {
    const client = await bench.tenant('trace-webhook');
    const receiver = await startWebhookReceiver([bench.webhookSecretOf('trace-webhook')]);
    try {
      const result = await run(client, { shape: { payload: 'small', webhookUrl: receiver.url }, receiver });

      expect(result.webhooks).toEqual({ delivered: JOBS, refused: 0, requests: JOBS });
      expect(result.ledger.transitions.webhookDelivered.writes).toBe(1);
      expect(result.ledger.transitions.finish.writes).toBe(1);
      expect(ledgerTotal(result.ledger)).toBeCloseTo(result.perJob.writeUnits, 6);
    } finally {
      await receiver.close();
    }
  });
});
