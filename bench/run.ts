/**
 * `npm run bench` (SPEC §14): starts the local twin in memory, measures enqueue,
 * end to end (200 B, 8 KiB, with a webhook; one per call and by batch), AWS usage,
 * the write-unit ledger, the hottest partition key and cost per job, fairness
 * between tenants; then the handlers' own CPU (a twin in a child process) and
 * the Lambda bundles; prints a table with issue 11's targets and writes
 * bench/results.json.
 *
 * BENCH_SCALE (default 1) scales the job counts: 0.1 is a quick smoke run.
 * Not part of `npm test`: numbers depend on the machine.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LogTap, OPEN_SCAN, OPEN_SCAN_MARKS, OPEN_SCAN_READ_THROUGH, OPEN_SCAN_SETUP, SWEEP_QUERY, TTL_SCAN, schedulerRuns } from './aws-usage';
import { BENCH_TWIN_ENV, startBenchTwin } from './bench-twin';
import { measureBundles } from './bundles';
import { idleSchedulerDollarsPerMonth, openScanDollarsPerMonth, PRICES, PRICES_AS_OF } from './cost-model';
import { measureEndToEnd, measureIdleLatency } from './end-to-end';
import { BATCH_SIZE, measureApiDuration, measureBatchEnqueue, measureSingleApiDuration, measureSingleEnqueue } from './enqueue';
import { measureFairness } from './fairness';
import { measureHandlerCpu, type HandlerCpuResult } from './handler-cpu';
import { renderReport, type BenchResults } from './report';
import { checkTargets } from './targets';
import { startWebhookReceiver } from './webhook-receiver';
import { TENANT_JOBS_PER_SECOND } from './write-ledger';
import { STATUS_INDEX_SHARDS } from '../lambdas/resources';

/** How the partition figure is scaled (printed under the table and kept in results.json). */
const PARTITION_METHOD =
  'a key many jobs wrote (an index partition, a shard) takes the same share of the jobs at any rate: WRU in run ÷ jobs in run × 5,000; ' +
  "a key one job wrote (the job's own item partition) is capped at that job's WRU, all within one second. " +
  'Index keys from each write\'s item before and after (an entry that moves: delete on the old key, put on the new); failed conditions on the table key.';

const CONCURRENCY = 32;
/**
 * Batch calls in flight (400 jobs at a time). 32, as for single calls, would
 * put all ~30 calls of the enqueue run in flight at once: one sample, not a latency.
 */
const BATCH_SUBMIT_CONCURRENCY = 4;
/** Noisy jobs whose attempts the fairness run reads back (all 50 quiet ones are read). */
const FAIRNESS_NOISY_SAMPLE = 500;
const IMPORT_RUNS = 5;
/** Runs of the handlers' CPU measurement; the figure is their median. */
const HANDLER_CPU_RUNS = 3;
const RESULTS_FILE = join(__dirname, 'results.json');

function scaleFromEnv(): number {
  const raw = process.env.BENCH_SCALE ?? '1';
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 10) throw new Error(`BENCH_SCALE must be a number in (0, 10], got "${raw}"`);
  return scale;
}

async function main(): Promise<void> {
  const scale = scaleFromEnv();
  const jobs = (n: number, minimum: number) => Math.max(minimum, Math.round(n * scale));
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const clock = performance.now();
  const logs = new LogTap();
  logs.start();
  const step = (text: string) => logs.print(`[bench ${((performance.now() - clock) / 1000).toFixed(1).padStart(5)} s] ${text}`);

  try {
    step(`starting the twin (scale ${scale})`);
    const bench = await startBenchTwin(logs);
    let results: Omit<BenchResults, 'bundles' | 'durationSeconds' | 'targets' | 'endToEnd' | 'partitions'>;
    let endToEnd: Omit<BenchResults['endToEnd'], 'single'> & { single: Omit<BenchResults['endToEnd']['single'], 'handlerCpu' | 'handlerCpuMsPerJob'> };
    try {
      await bench.warmUp();

      const enqueueClient = await bench.tenant('bench-enqueue');
      step(`enqueue: ${jobs(3000, 100)} × POST /v1/jobs, ${CONCURRENCY} in flight`);
      const single = await measureSingleEnqueue(enqueueClient, { jobs: jobs(3000, 100), concurrency: CONCURRENCY });
      step(`enqueue: ${jobs(3000, 100)} jobs through POST /v1/jobs/batch, ${BATCH_SUBMIT_CONCURRENCY} calls in flight`);
      const batch = await measureBatchEnqueue(enqueueClient, { jobs: jobs(3000, 100), concurrency: BATCH_SUBMIT_CONCURRENCY });
      step('enqueue: one call at a time (the api Lambda duration the cost model uses), 200 B, 8 KiB, with a webhook');
      const apiDuration = await measureApiDuration(enqueueClient, { singles: jobs(200, 50), batches: jobs(10, 5) });

      // The 8 KiB and webhook runs price their own api calls: a larger body and item take longer than the 200 B one.
      const largeApiMs = await measureSingleApiDuration(enqueueClient, { calls: jobs(200, 50), shape: { payload: 'large' } });
      const webhookApiMs = await measureSingleApiDuration(enqueueClient, { calls: jobs(200, 50), shape: { payload: 'small', webhookUrl: 'http://127.0.0.1:9/hooks/parked' } });

      const e2eJobs = jobs(2000, 200);
      const variantJobs = jobs(1000, 200);
      const timeoutMs = 120_000;
      const queueIdle = bench.queueIdle.bind(bench);
      const singleRun = { submission: 'single', concurrency: CONCURRENCY, apiDurationMs: apiDuration.singleMs.mean, timeoutMs, queueIdle } as const;
      step('end to end: 20 echo jobs, one at a time');
      const e2eIdle = await measureIdleLatency(await bench.tenant('bench-e2e-idle'), { jobs: 20, timeoutMs: 10_000 });
      step(`end to end: ${e2eJobs} echo jobs, one per call`);
      const e2eSingle = await measureEndToEnd(await bench.tenant('bench-e2e-single'), bench.meter, { ...singleRun, jobs: e2eJobs });
      step(`end to end: ${variantJobs} echo jobs with an 8 KiB payload, one per call`);
      const e2eLarge = await measureEndToEnd(await bench.tenant('bench-e2e-8kib'), bench.meter, {
        ...singleRun,
        jobs: variantJobs,
        shape: { payload: 'large' },
        apiDurationMs: largeApiMs.mean,
      });
      step(`end to end: ${variantJobs} echo jobs with a webhook each, one per call`);
      const webhookClient = await bench.tenant('bench-e2e-webhook');
      const receiver = await startWebhookReceiver([bench.webhookSecretOf('bench-e2e-webhook')]);
      let e2eWebhook;
      try {
        e2eWebhook = await measureEndToEnd(webhookClient, bench.meter, {
          ...singleRun,
          jobs: variantJobs,
          shape: { payload: 'small', webhookUrl: receiver.url },
          apiDurationMs: webhookApiMs.mean,
          receiver,
        });
      } finally {
        await receiver.close();
      }
      step(`end to end: ${e2eJobs} echo jobs, ${BATCH_SIZE} per call`);
      const e2eBatch = await measureEndToEnd(await bench.tenant('bench-e2e-batch'), bench.meter, {
        jobs: e2eJobs,
        submission: 'batch',
        concurrency: BATCH_SUBMIT_CONCURRENCY,
        apiDurationMs: apiDuration.batchMs.mean,
        timeoutMs,
        queueIdle,
      });

      const noisyJobs = jobs(5000, 500);
      step(`fairness: noisy tenant ${noisyJobs} jobs, then quiet tenant 50`);
      const fairness = await measureFairness(await bench.tenant('noisy'), await bench.tenant('quiet'), bench.meter, {
        noisyJobs,
        quietJobs: 50,
        timeoutMs: 180_000,
        readConcurrency: CONCURRENCY,
        noisySample: FAIRNESS_NOISY_SAMPLE,
      });

      const totals = bench.meter.snapshot();
      const runs = Math.max(1, schedulerRuns(totals));
      const idleRun = { readUnits: (totals.dynamodb[SWEEP_QUERY]?.readUnits ?? 0) / runs, ms: (totals.dynamodb[SWEEP_QUERY]?.ms ?? 0) / runs };
      // The open-bucket scan, per run and tenant: a tenant's scan is 16 shard Queries (more when a shard has pages
      // of jobs to look at), so tenant-scans = shard Queries ÷ 16; the marks' writes per tenant-scan; the two setup
      // Queries of each run (tenants, marks) spread over the tenants the twin has at the end.
      const scanTenants = Math.max(1, (await bench.twin.context.tenants.listTenants()).length);
      const scanRuns = Math.max(1, Math.round((totals.dynamodb[OPEN_SCAN_SETUP]?.calls ?? 0) / 2));
      const scan = totals.dynamodb[OPEN_SCAN];
      const tenantScans = Math.max(1, (scan?.calls ?? 0) / STATUS_INDEX_SHARDS);
      const scanPerTenant = {
        readUnits: (scan?.readUnits ?? 0) / tenantScans + (totals.dynamodb[OPEN_SCAN_SETUP]?.readUnits ?? 0) / scanRuns / scanTenants,
        writeUnits: (totals.dynamodb[OPEN_SCAN_MARKS]?.writeUnits ?? 0) / tenantScans,
      };
      const openScan = {
        tenants: scanTenants,
        runs: scanRuns,
        tenantScans,
        readUnitsPerRunPerTenant: scanPerTenant.readUnits,
        writeUnitsPerRunPerTenant: scanPerTenant.writeUnits,
        dollarsPerMonthFor100Tenants: openScanDollarsPerMonth(scanPerTenant, 100),
        readThroughReadUnits: totals.dynamodb[OPEN_SCAN_READ_THROUGH]?.readUnits ?? 0,
      };
      endToEnd = { idle: e2eIdle, single: e2eSingle, single8KiB: e2eLarge, singleWebhook: e2eWebhook, batch: e2eBatch };
      results = {
        startedAt,
        scale,
        environment: {
          node: process.version,
          cpus: availableParallelism(),
          platform: `${process.platform}-${process.arch}`,
          loadAverage: { start: loadAtStart, end: 0 },
          twin: BENCH_TWIN_ENV,
        },
        enqueue: { single, batch, apiDuration },
        scheduler: { runs, readUnitsPerRun: idleRun.readUnits, msPerRun: idleRun.ms, dollarsPerMonth: idleSchedulerDollarsPerMonth(idleRun), openScan },
        twinTtlSweep: { scans: totals.dynamodb[TTL_SCAN]?.calls ?? 0, ms: totals.dynamodb[TTL_SCAN]?.ms ?? 0 },
        fairness,
        prices: PRICES,
        pricesAsOf: PRICES_AS_OF,
      };
      step('stopping the twin');
    } finally {
      await bench.close();
    }
    const cpuJobs = jobs(1000, 500);
    // The median of a few runs: one short run on a shared machine read 8.0 ms where the runs around it read 5 to 6.
    const cpuRuns: HandlerCpuResult[] = [];
    for (let run = 1; run <= HANDLER_CPU_RUNS; run++) {
      step(`handlers' CPU, run ${run} of ${HANDLER_CPU_RUNS}: ${cpuJobs} echo jobs on a twin in a child process (DynamoDB and SQS endpoints here)`);
      cpuRuns.push(await measureHandlerCpu({ jobs: cpuJobs, warmUpJobs: 300, timeoutMs: 120_000 }));
    }
    const byCpu = [...cpuRuns].sort((a, b) => a.handlerCpuMsPerJob - b.handlerCpuMsPerJob);
    const handlerCpu = { ...byCpu[Math.floor(byCpu.length / 2)], runsMsPerJob: cpuRuns.map((run) => run.handlerCpuMsPerJob) };
    step(`bundles: esbuild each Lambda entry twice, ${IMPORT_RUNS} cold imports each`);
    const bundles = await measureBundles({ runs: IMPORT_RUNS });
    const single = { ...endToEnd.single, handlerCpuMsPerJob: handlerCpu.handlerCpuMsPerJob, handlerCpu };
    const hottestKey = endToEnd.batch.partitions.hottest[0] ?? null;
    const partitions = {
      hottestWritesPerSecondAt5kJobs: hottestKey?.writesPerSecondAt5kJobs ?? 0,
      hottestKey,
      run: 'batch',
      jobsPerSecond: TENANT_JOBS_PER_SECOND,
      method: PARTITION_METHOD,
    } as const;
    const targets = checkTargets({
      single,
      batch: endToEnd.batch,
      single8KiB: endToEnd.single8KiB,
      singleWebhook: endToEnd.singleWebhook,
      hottestWritesPerSecondAt5kJobs: partitions.hottestWritesPerSecondAt5kJobs,
      bundles,
    });
    const complete: BenchResults = {
      ...results,
      environment: { ...results.environment, loadAverage: { start: loadAtStart, end: loadavg()[0] } },
      endToEnd: { ...endToEnd, single },
      partitions,
      targets,
      bundles,
      durationSeconds: (performance.now() - clock) / 1000,
    };
    writeFileSync(RESULTS_FILE, `${JSON.stringify(complete, null, 2)}\n`);
    logs.stop();
    process.stdout.write(`\n${renderReport(complete)}\nwrote ${RESULTS_FILE}\n`);
  } catch (error) {
    logs.stop();
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n--- last log lines ---\n${logs.lastLines()}\n`);
    process.exitCode = 1;
  }
}

void main();
