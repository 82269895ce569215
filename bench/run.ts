/**
 * `npm run bench` (SPEC §14): starts the local twin in memory, measures enqueue,
 * end to end, AWS usage and cost per job, fairness between tenants, then the
 * Lambda bundles; prints a table and writes bench/results.json.
 *
 * BENCH_SCALE (default 1) scales the job counts: 0.1 is a quick smoke run.
 * Not part of `npm test`: numbers depend on the machine.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LogTap, SWEEP_QUERY, TTL_SCAN, schedulerRuns } from './aws-usage';
import { BENCH_TWIN_ENV, startBenchTwin } from './bench-twin';
import { measureBundles } from './bundles';
import { idleSchedulerDollarsPerMonth, PRICES, PRICES_AS_OF } from './cost-model';
import { measureEndToEnd, measureIdleLatency } from './end-to-end';
import { BATCH_SIZE, measureApiDuration, measureBatchEnqueue, measureSingleEnqueue } from './enqueue';
import { measureFairness } from './fairness';
import { renderReport, type BenchResults } from './report';

const CONCURRENCY = 32;
/**
 * Batch calls in flight (400 jobs at a time). 32, as for single calls, would
 * put all ~30 calls of the enqueue run in flight at once: one sample, not a latency.
 */
const BATCH_SUBMIT_CONCURRENCY = 4;
/** Noisy jobs whose attempts the fairness run reads back (all 50 quiet ones are read). */
const FAIRNESS_NOISY_SAMPLE = 500;
const IMPORT_RUNS = 5;
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
    let results: Omit<BenchResults, 'bundles' | 'durationSeconds'>;
    try {
      await bench.warmUp();

      const enqueueClient = await bench.tenant('bench-enqueue');
      step(`enqueue: ${jobs(3000, 100)} × POST /v1/jobs, ${CONCURRENCY} in flight`);
      const single = await measureSingleEnqueue(enqueueClient, { jobs: jobs(3000, 100), concurrency: CONCURRENCY });
      step(`enqueue: ${jobs(3000, 100)} jobs through POST /v1/jobs/batch, ${BATCH_SUBMIT_CONCURRENCY} calls in flight`);
      const batch = await measureBatchEnqueue(enqueueClient, { jobs: jobs(3000, 100), concurrency: BATCH_SUBMIT_CONCURRENCY });
      step('enqueue: one call at a time (the api Lambda duration the cost model uses)');
      const apiDuration = await measureApiDuration(enqueueClient, { singles: jobs(200, 50), batches: jobs(10, 5) });

      const e2eJobs = jobs(2000, 200);
      const timeoutMs = 120_000;
      step('end to end: 20 echo jobs, one at a time');
      const e2eIdle = await measureIdleLatency(await bench.tenant('bench-e2e-idle'), { jobs: 20, timeoutMs: 10_000 });
      step(`end to end: ${e2eJobs} echo jobs, one per call`);
      const e2eSingle = await measureEndToEnd(await bench.tenant('bench-e2e-single'), bench.meter, {
        jobs: e2eJobs,
        submission: 'single',
        concurrency: CONCURRENCY,
        apiDurationMs: apiDuration.singleMs.mean,
        timeoutMs,
      });
      step(`end to end: ${e2eJobs} echo jobs, ${BATCH_SIZE} per call`);
      const e2eBatch = await measureEndToEnd(await bench.tenant('bench-e2e-batch'), bench.meter, {
        jobs: e2eJobs,
        submission: 'batch',
        concurrency: BATCH_SUBMIT_CONCURRENCY,
        apiDurationMs: apiDuration.batchMs.mean,
        timeoutMs,
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
        endToEnd: { idle: e2eIdle, single: e2eSingle, batch: e2eBatch },
        scheduler: { runs, readUnitsPerRun: idleRun.readUnits, msPerRun: idleRun.ms, dollarsPerMonth: idleSchedulerDollarsPerMonth(idleRun) },
        twinTtlSweep: { scans: totals.dynamodb[TTL_SCAN]?.calls ?? 0, ms: totals.dynamodb[TTL_SCAN]?.ms ?? 0 },
        fairness,
        prices: PRICES,
        pricesAsOf: PRICES_AS_OF,
      };
      step('stopping the twin');
    } finally {
      await bench.close();
    }
    step(`bundles: esbuild each Lambda entry twice, ${IMPORT_RUNS} cold imports each`);
    const bundles = await measureBundles({ runs: IMPORT_RUNS });
    const complete: BenchResults = {
      ...results,
      environment: { ...results.environment, loadAverage: { start: loadAtStart, end: loadavg()[0] } },
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
