/**
 * The handlers' process of the bench's CPU run (handler-cpu.ts forks it): the
 * twin's api, worker, webhook and scheduler handlers with its gateway and
 * pollers, on DynamoDB and SQS endpoints the parent runs (the twin's bring-your-
 * own backends, JOBS_DYNAMODB_ENDPOINT / JOBS_SQS_ENDPOINT). The parent's load
 * generator, dynalite and SQS endpoint cost this process nothing, so its
 * `process.cpuUsage()` is the handlers' own CPU (with their SDK client side)
 * plus the twin's glue, which the parent measures apart with:
 *
 * - `gateway`: the twin's API gateway with a handler that answers a canned
 *   response at once (what the gateway alone costs per call);
 * - `poller`: the twin's SQS event source on a queue of its own with a handler
 *   that does nothing (what receiving and deleting a batch costs).
 *
 * Talks to the parent over the fork IPC channel: one request, one answer.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Message } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { JOBS_QUEUE } from '../lambdas/resources';
import { startApiGateway } from '../local/api-gateway';
import { startSqsEventSource, type SqsEventSource } from '../local/event-sources';
import { startTwin } from '../local/twin';
import { createBenchTenant } from './bench-twin';

export type ChildRequest =
  | { readonly id: number; readonly op: 'tenant'; readonly tenantId: string }
  | { readonly id: number; readonly op: 'cpu' }
  | { readonly id: number; readonly op: 'startGateway'; readonly response: APIGatewayProxyResult }
  | { readonly id: number; readonly op: 'startPoller'; readonly queueUrl: string; readonly maxConcurrency: number }
  | { readonly id: number; readonly op: 'stopGlue' }
  | { readonly id: number; readonly op: 'profileStart' }
  | { readonly id: number; readonly op: 'profileStop'; readonly file: string }
  | { readonly id: number; readonly op: 'close' };

export type ChildAnswer =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

export type ChildReady = { readonly ready: true; readonly url: string; readonly jobsQueueUrl: string };

/** CPU used so far (ms, user + system), batches the worker's poller received (non-empty ReceiveMessage on the jobs queue), SDK calls by command. */
export interface ChildCpu {
  readonly cpuMs: number;
  readonly workerBatches: number;
  readonly sdkCalls: Readonly<Record<string, number>>;
}

type Instrumentable = {
  middlewareStack: {
    add(
      middleware: (next: (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>, context: { commandName?: string }) => (args: { input: Record<string, unknown> }) => Promise<{ output: Record<string, unknown> }>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
};

async function main(): Promise<void> {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_DEV = 'false';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const twin = await startTwin();
  let workerBatches = 0;
  // One counter on the service's SQS client: how many batches the worker was handed (the poller glue is priced per batch).
  (twin.context.sqs as unknown as Instrumentable).middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'ReceiveMessageCommand' && args.input.QueueUrl === twin.jobsQueueUrl) {
        if (((result.output.Messages as Message[] | undefined) ?? []).length > 0) workerBatches++;
      }
      return result;
    },
    { step: 'initialize', name: 'benchWorkerBatches' },
  );
  // Every SDK call the service's two clients make (the DynamoDB document client shares its client's stack).
  const sdkCalls: Record<string, number> = {};
  for (const client of [twin.context.sqs, twin.context.db] as unknown as Instrumentable[]) {
    client.middlewareStack.add(
      (next, context) => (args) => {
        const name = (context.commandName ?? '?').replace(/Command$/, '');
        sdkCalls[name] = (sdkCalls[name] ?? 0) + 1;
        return next(args);
      },
      { step: 'initialize', name: 'benchSdkCalls' },
    );
  }
  // A CPU profile of the measured run, on request (bench/handler-cpu.ts `profileFile`).
  const profiler = new Session();
  const glue: Array<{ close(): Promise<void> } | SqsEventSource> = [];
  const stopGlue = async () => {
    for (const part of glue.splice(0)) await ('close' in part ? part.close() : part.stop({ graceMs: 1000 }));
  };

  const handle = async (request: ChildRequest): Promise<unknown> => {
    switch (request.op) {
      case 'tenant':
        return (await createBenchTenant(twin.context, request.tenantId)).apiKey;
      case 'cpu': {
        const used = process.cpuUsage();
        return { cpuMs: (used.user + used.system) / 1000, workerBatches, sdkCalls: { ...sdkCalls } } satisfies ChildCpu;
      }
      case 'startGateway': {
        const response = request.response;
        const gateway = await startApiGateway({
          port: 0,
          handler: () => Promise.resolve(response),
          throttle: { ratePerSecond: twin.twinConfig.apiRateLimitPerSecond, burst: twin.twinConfig.apiBurstLimit },
        });
        glue.push(gateway);
        return gateway.url;
      }
      case 'startPoller':
        glue.push(
          startSqsEventSource({
            name: 'bench-glue',
            sqs: twin.context.sqs,
            queueUrl: request.queueUrl,
            handler: () => Promise.resolve({ batchItemFailures: [] }),
            batchSize: JOBS_QUEUE.batchSize,
            maxConcurrency: request.maxConcurrency,
            functionTimeoutMs: 30_000,
            logger: twin.context.logger,
          }),
        );
        return null;
      case 'stopGlue':
        await stopGlue();
        return null;
      case 'profileStart':
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.start');
        return null;
      case 'profileStop': {
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(request.file, JSON.stringify(profile));
        profiler.disconnect();
        return null;
      }
      case 'close':
        await stopGlue();
        await twin.close();
        setImmediate(() => process.exit(0));
        return null;
    }
  };

  process.on('message', (request: ChildRequest) => {
    handle(request).then(
      (value) => process.send!({ id: request.id, ok: true, value } satisfies ChildAnswer),
      (error: unknown) => process.send!({ id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies ChildAnswer),
    );
  });
  process.send!({ ready: true, url: twin.url, jobsQueueUrl: twin.jobsQueueUrl } satisfies ChildReady);
}

main().catch((error: unknown) => {
  process.stderr.write(`handler-cpu child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
