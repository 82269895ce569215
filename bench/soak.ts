/**
 * `npm run soak`: the fault run of test/e2e/faults.test.ts, longer (issue 9,
 * Done-when 6). Prints the figures and exits non-zero on any violation.
 *
 *   npm run soak                          # 20,000 jobs, 10 % of every fault
 *   npm run soak -- --jobs 5000 --seed 42 # or SOAK_JOBS / SOAK_SEED / SOAK_FAULTS
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS } from '../local/faults';
import { runUnderFaults } from '../test/support/fault-run';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: process.env.SOAK_JOBS ?? '20000' },
    seed: { type: 'string', default: process.env.SOAK_SEED ?? String(Math.floor(Math.random() * 2 ** 31)) },
    faults: { type: 'string', default: process.env.SOAK_FAULTS ?? FAULT_KINDS.map((kind) => `${kind}:0.1`).join(',') },
    'receiver-failure-rate': { type: 'string', default: '0.1' },
    'drain-timeout-seconds': { type: 'string', default: '1800' },
    'stale-after-seconds': { type: 'string', default: '30' },
  },
});

async function main(): Promise<number> {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  const jobs = Number(values.jobs);
  const seed = Number(values.seed);
  const started = Date.now();
  const result = await runUnderFaults({
    jobs,
    seed,
    faults: values.faults,
    receiverFailureRate: Number(values['receiver-failure-rate']),
    drainTimeoutMs: Number(values['drain-timeout-seconds']) * 1000,
    // Thousands of jobs wait in the queue longer than the short run's 5 s: a re-dispatch after
    // 5 s would send most of them again and again. 30 s still brings a dropped message back soon.
    env: { STALE_AFTER_SECONDS: values['stale-after-seconds'], SCHEDULER_INTERVAL_SECONDS: '1' },
    log: (line) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`),
  });
  const violations = [...result.clientViolations, ...result.report.violations];
  const { figures } = result.report;
  const lines = [
    '',
    `soak: ${jobs} jobs, faults ${values.faults}, seed ${seed}`,
    `  jobs                ${figures.jobs} accepted, ${figures.itemsInTable} in the table; ${JSON.stringify(figures.byStatus)}`,
    `  submissions         ${result.submissions.requests} requests, ${result.submissions.retriedAfter5xx} retried after 5xx/network, ${result.submissions.answered503} × 503, ${result.submissions.rejected} rejected (invalid on purpose)`,
    `  faults injected     ${Object.entries(result.faultCounts).map(([kind, n]) => `${kind} ${n}`).join(', ')}`,
    `  SDK retries         DynamoDB ${result.sdkRetries.dynamodb}, SQS ${result.sdkRetries.sqs}`,
    `  attempts            ${figures.attempts} (${figures.retriedAttempts} after a job's first; ${figures.leaseTakeovers} lease takeovers)`,
    `  webhooks            ${figures.webhooks.delivered} delivered, ${figures.webhooks.failed} failed, ${figures.webhooks.requests} requests, ${figures.webhooks.duplicateDeliveries} duplicate deliveries`,
    `  http target         ${figures.duplicateTargetRequests} repeated requests for one (job, attempt)`,
    `  time                submit ${(result.timings.submitMs / 1000).toFixed(1)} s, drain ${(result.timings.drainMs / 1000).toFixed(1)} s${result.drained ? '' : ' (did NOT settle)'}, check ${(result.timings.checkMs / 1000).toFixed(1)} s`,
    `  invariant violations ${violations.length}`,
    ...(result.unsettled.length > 0 ? [`  unsettled, e.g.     ${JSON.stringify(result.unsettled, null, 1)}`] : []),
    ...violations.slice(0, 50).map((v) => `    - ${v.invariant}: ${v.detail}${v.jobId ? ` (job ${v.tenantId}/${v.jobId})` : ''}`),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return violations.length === 0 && result.drained ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  },
);
