/**
 * The handlers' own CPU per job (issue 11: "the twin's DynamoDB and SQS work
 * not counted"). Method:
 *
 * 1. This process runs dynalite and the SQS endpoint, and the load generator;
 *    a child process (handler-cpu-child.ts) runs the twin on them through
 *    JOBS_DYNAMODB_ENDPOINT / JOBS_SQS_ENDPOINT. Only the child's CPU is read
 *    (`process.cpuUsage()` there): the api, worker and scheduler handlers, the
 *    SDK client side they run, their log lines, and the twin's glue.
 * 2. After a warm-up, the child's idle CPU over a few seconds gives its
 *    background rate (scheduler runs, TTL sweep, empty long polls).
 * 3. `jobs` echo jobs (200 B, one per POST /v1/jobs, 32 in flight) run to
 *    the end (the jobs queue empty, then every job read back as succeeded).
 * 4. The glue apart, on the same child: the twin's API gateway with a canned
 *    answer takes as many calls; the twin's SQS poller with a handler that does
 *    nothing drains as many messages in full batches. Priced per call and per
 *    worker batch the run handed the worker.
 *
 * handler CPU = run CPU − background rate × run time − gateway per call × calls
 * − poller per batch × worker batches. A poller batch is priced full (10
 * messages) even where the run's batches were smaller, so the figure errs high.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startSqsEndpoint } from '../local/sqs';
import { startDynamoDb } from '../local/dynamodb';
import { ApiClient, echoJob, runPool } from './api-client';
import { BENCH_TWIN_ENV } from './bench-twin';
import type { ChildAnswer, ChildCpu, ChildReady, ChildRequest } from './handler-cpu-child';
import { sleep } from './end-to-end';

export interface HandlerCpuResult {
  readonly jobs: number;
  readonly succeeded: number;
  /** The child's CPU over the run, all of it (ms). */
  readonly processMs: number;
  readonly runMs: number;
  /** What is taken off, in ms over the run. */
  readonly glueMs: { readonly background: number; readonly gateway: number; readonly poller: number };
  readonly workerBatches: number;
  /** SDK calls per job over the run, by command (the service's DynamoDB and SQS clients, the poller's own calls included). */
  readonly sdkCallsPerJob: Readonly<Record<string, number>>;
  /** The handlers' own CPU per job (ms): the figure issue 11 states. */
  readonly handlerCpuMsPerJob: number;
  /** Everything the twin's process spent per job (ms), glue included. */
  readonly processCpuMsPerJob: number;
  readonly method: string;
}

export const HANDLER_CPU_METHOD =
  'twin in a child process on dynalite + SQS endpoint in the bench process (JOBS_DYNAMODB_ENDPOINT / JOBS_SQS_ENDPOINT); ' +
  "child's process.cpuUsage over the run, minus its idle rate × run time, minus the twin gateway's CPU per call (canned answer) " +
  "and the twin poller's CPU per batch (no-op handler, full batches), both measured on the same child";

/** The twin's worker poller runs this many batches at once (local/background.ts, EVENT_SOURCE_CONCURRENCY.worker). */
const TWIN_WORKER_BATCHES_IN_FLIGHT = 4;
const CONCURRENCY = 32;
const IDLE_MS = 3000;

/** Omit, over each member of a union. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private constructor(
    readonly process: ChildProcess,
    readonly ready: ChildReady,
    /** The child's last output lines, for an error message. */
    readonly tail: string[],
  ) {
    process.on('message', (message: ChildAnswer) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new Error(`handler-cpu child: ${message.error}`));
    });
  }

  static async start(env: Record<string, string>): Promise<Child> {
    const child = fork(join(__dirname, 'handler-cpu-child.ts'), [], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const tail: string[] = [];
    // The handlers' log lines go down a pipe, as on Lambda; kept only for an error message.
    const keep = (chunk: Buffer) => {
      tail.push(chunk.toString('utf8'));
      if (tail.length > 20) tail.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const ready = await new Promise<ChildReady>((resolve, reject) => {
      child.once('message', (message: ChildReady) => resolve(message));
      child.once('exit', (code) => reject(new Error(`handler-cpu child exited with ${code}: ${tail.join('')}`)));
    });
    return new Child(child, ready, tail);
  }

  call<T>(request: WithoutId<ChildRequest>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ ...request, id });
    });
  }

  cpu(): Promise<ChildCpu> {
    return this.call<ChildCpu>({ op: 'cpu' });
  }
}

/** The child's CPU (ms) while `work` runs, less its background rate over that time. */
async function cpuOf(child: Child, idleRatePerMs: number, work: () => Promise<unknown>): Promise<number> {
  const before = await child.cpu();
  const started = performance.now();
  await work();
  const used = (await child.cpu()).cpuMs - before.cpuMs;
  return Math.max(0, used - idleRatePerMs * (performance.now() - started));
}

async function queueEmpty(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return Object.values(Attributes).every((n) => n === '0');
}

async function drained(sqs: SQSClient, queueUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await queueEmpty(sqs, queueUrl))) {
    if (Date.now() > deadline) throw new Error(`handler CPU run: ${queueUrl} not drained in ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

export async function measureHandlerCpu(options: {
  jobs: number;
  warmUpJobs: number;
  timeoutMs: number;
  /** Write a V8 CPU profile of the child over the measured run here (.cpuprofile; the profiler's own cost then counts too). */
  profileFile?: string;
}): Promise<HandlerCpuResult> {
  const dynamodb = await startDynamoDb({});
  const sqsEndpoint = await startSqsEndpoint({});
  const sqs = new SQSClient({ endpoint: sqsEndpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let child: Child | undefined;
  try {
    child = await Child.start({ ...BENCH_TWIN_ENV, JOBS_DYNAMODB_ENDPOINT: dynamodb.url, JOBS_SQS_ENDPOINT: sqsEndpoint.url });
    const client = new ApiClient(child.ready.url, await child.call<string>({ op: 'tenant', tenantId: 'bench-cpu' }));
    try {
      await runPool(options.warmUpJobs, CONCURRENCY, (i) => client.submitJob(echoJob(1_000_000 + i)));
      await drained(sqs, child.ready.jobsQueueUrl, options.timeoutMs);
      // Let the warm-up's last log writes and collections settle before the idle window.
      await sleep(1000);

      const idleStart = await child.cpu();
      const idleStarted = performance.now();
      await sleep(IDLE_MS);
      const idleRate = ((await child.cpu()).cpuMs - idleStart.cpuMs) / (performance.now() - idleStarted);

      if (options.profileFile) await child.call({ op: 'profileStart' });
      const before = await child.cpu();
      const started = performance.now();
      const responses = await runPool(options.jobs, CONCURRENCY, (i) => client.submitJob(echoJob(i)));
      await drained(sqs, child.ready.jobsQueueUrl, options.timeoutMs);
      const after = await child.cpu();
      if (options.profileFile) await child.call({ op: 'profileStop', file: options.profileFile });
      const runMs = performance.now() - started;
      const refused = responses.filter((r) => r.status !== 202).length;
      if (refused > 0) throw new Error(`handler CPU run: ${refused} submissions refused`);
      const succeeded = (await client.listAll('succeeded')).length - options.warmUpJobs;

      // The gateway alone: as many calls, a canned answer of the same size.
      const sample = responses[0];
      const gatewayUrl = await child.call<string>({
        op: 'startGateway',
        response: { statusCode: sample.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(sample.body) },
      });
      const gatewayClient = new ApiClient(gatewayUrl, 'bench-glue-key');
      const gatewayMsPerCall = (await cpuOf(child, idleRate, () => runPool(options.jobs, CONCURRENCY, (i) => gatewayClient.submitJob(echoJob(i))))) / options.jobs;
      gatewayClient.close();

      // The poller alone: as many messages, in full batches, handled by nothing.
      const glueQueue = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench-glue' }))).QueueUrl!;
      const body = JSON.stringify({ tenantId: 'bench-cpu', jobId: '01JBENCHGLUE0000000000000000', attempt: 0, sentAt: new Date().toISOString() });
      for (let sent = 0; sent < options.jobs; sent += 10) {
        const entries = Array.from({ length: Math.min(10, options.jobs - sent) }, (_, i) => ({ Id: String(i), MessageBody: body, MessageGroupId: 'bench-cpu' }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: glueQueue, Entries: entries }));
      }
      const pollerMs = await cpuOf(child, idleRate, async () => {
        await child!.call({ op: 'startPoller', queueUrl: glueQueue, maxConcurrency: TWIN_WORKER_BATCHES_IN_FLIGHT });
        await drained(sqs, glueQueue, options.timeoutMs);
      });
      const pollerMsPerBatch = pollerMs / Math.ceil(options.jobs / 10);
      await child.call({ op: 'stopGlue' });

      const workerBatches = after.workerBatches - before.workerBatches;
      const processMs = after.cpuMs - before.cpuMs;
      const glueMs = { background: idleRate * runMs, gateway: gatewayMsPerCall * options.jobs, poller: pollerMsPerBatch * workerBatches };
      const handlerMs = processMs - glueMs.background - glueMs.gateway - glueMs.poller;
      return {
        jobs: options.jobs,
        succeeded,
        processMs,
        runMs,
        glueMs,
        workerBatches,
        sdkCallsPerJob: Object.fromEntries(
          Object.entries(after.sdkCalls)
            .map(([name, calls]) => [name, (calls - (before.sdkCalls[name] ?? 0)) / options.jobs] as const)
            .filter(([, perJob]) => perJob > 0),
        ),
        handlerCpuMsPerJob: handlerMs / options.jobs,
        processCpuMsPerJob: processMs / options.jobs,
        method: HANDLER_CPU_METHOD,
      };
    } finally {
      client.close();
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- child's last output ---\n${child?.tail.join('') ?? ''}`, { cause: error });
  } finally {
    if (child) {
      const exited = new Promise((resolve) => child!.process.once('exit', resolve));
      await child.call({ op: 'close' }).catch(() => child!.process.kill());
      await exited;
    }
    sqs.destroy();
    await sqsEndpoint.close();
    await dynamodb.close();
  }
}
