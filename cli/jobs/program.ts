/**
 * The `jobs` CLI (SPEC §15, README "CLI"): commander parses, the typed client
 * (client/) does every request, ./output.ts draws. Exit codes: 0 ok; 1 the watched
 * job ended fatal or canceled; 2 usage (with the command's help); 3 API error (the
 * problem's code, detail and request id on stderr); 4 network error (naming the URL).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  JobsApiError,
  JobsClient,
  JobsNetworkError,
  TERMINAL_STATUSES,
  type Attempt,
  type Job,
  type JobStatus,
  type JobSubmission,
  type JobSummary,
} from '../../client';
import { resolveApiTarget, TargetError } from './connection';
import { colourOn, fields, Painter, StatusLine, table, type OutputStream } from './output';

export const EXIT = { ok: 0, jobFailed: 1, usage: 2, api: 3, network: 4, interrupted: 130 } as const;

const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'retry', 'succeeded', 'fatal', 'canceled'];

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: NodeJS.ProcessEnv;
}

interface GlobalFlags {
  apiUrl?: string;
  apiKey?: string;
  json?: boolean;
  requestTimeout?: number;
}

/** Runs one command line (`argv` without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const out = new Painter(colourOn(io.stdout, io.env));
  const err = new Painter(colourOn(io.stderr, io.env));
  let exitCode: number = EXIT.ok;

  const clientFor = async (command: Command): Promise<{ client: JobsClient; flags: GlobalFlags }> => {
    const flags = command.optsWithGlobals<GlobalFlags>();
    const target = await resolveApiTarget(flags, io.env);
    const client = new JobsClient({
      baseUrl: target.baseUrl,
      apiKey: target.apiKey,
      timeoutMs: (flags.requestTimeout ?? 10) * 1000,
      onRetry: (event) => {
        const why = event.error instanceof JobsApiError ? `${event.error.status} ${event.error.code}` : event.error.reason;
        io.stderr.write(err.paint('dim', `retrying ${event.method} ${event.url} in ${Math.round(event.delayMs)} ms (${why})\n`));
      },
    });
    return { client, flags };
  };
  const print = (text: string): void => void io.stdout.write(text);
  const printJson = (value: unknown): void => print(`${JSON.stringify(value, null, 2)}\n`);

  /** Polls until terminal; the status line on stderr; sets the exit code by the outcome. */
  const watch = async (client: JobsClient, flags: GlobalFlags, jobId: string): Promise<void> => {
    const line = new StatusLine(io.stderr, err);
    const interrupt = new AbortController();
    const onSigint = () => interrupt.abort(new Error('interrupted'));
    process.once('SIGINT', onSigint);
    let job: Job;
    try {
      job = await client.jobs.waitFor(jobId, {
        timeoutMs: Number.POSITIVE_INFINITY,
        signal: interrupt.signal,
        maxIntervalMs: 2000,
        onPoll: (polled) => line.update(progressOf(polled, err)),
      });
    } catch (error) {
      if (interrupt.signal.aborted) {
        exitCode = EXIT.interrupted;
        return;
      }
      throw error;
    } finally {
      line.stop();
      process.removeListener('SIGINT', onSigint);
    }
    if (flags.json) printJson(job);
    else print(finalLineOf(job, out));
    exitCode = job.status === 'succeeded' ? EXIT.ok : EXIT.jobFailed;
  };

  const program = new Command('jobs')
    .description('Submit, follow and act on jobs of the Jobs Service (SPEC §3).')
    .addHelpText(
      'after',
      '\nThe API: --api-url/--api-key, else JOBS_API_URL/JOBS_API_KEY, else the running local twin\n' +
        '(<JOBS_DATA_DIR or .data>/twin.json and dev-tenant.json, written by `npm start`).\n' +
        'Exit codes: 0 ok, 1 the watched job ended fatal or canceled, 2 usage, 3 API error, 4 network error.',
    )
    .option('--api-url <url>', 'the API base URL (stage prefix included on AWS)')
    .option('--api-key <key>', "the tenant's API key")
    .option('--json', "print the API's JSON as it is")
    .option('--request-timeout <seconds>', 'per request', positiveNumber, 10)
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });

  program
    .command('submit')
    .description('submit a job (POST /v1/jobs)')
    .requiredOption('--type <type>', 'a job type (see `jobs types`)')
    .requiredOption('--payload <json|@file>', 'the payload: JSON, or @ and a file holding it')
    .option('--idempotency-key <key>', 'makes the submit safe to repeat (and retried on network errors)')
    .option('--webhook-url <url>', 'where to POST the signed completion webhook')
    .option('--run-at <iso>', 'earliest start (ISO-8601), at most 7 days ahead')
    .option('--delay <seconds>', 'start after this many seconds (instead of --run-at)', nonNegativeInteger)
    .option('--max-attempts <n>', 'attempts before the job is fatal (1..25, default 5)', positiveInteger)
    .option('--watch', 'then follow it until it finishes (exit 1 if it ends fatal or canceled)')
    .action(async (options: SubmitFlags, command: Command) => {
      if (options.runAt !== undefined && options.delay !== undefined) command.error('error: give --run-at or --delay, not both', { exitCode: EXIT.usage });
      const payload = parsePayload(options.payload, command);
      const { client, flags } = await clientFor(command);
      const submission = {
        type: options.type,
        payload,
        ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
        ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
        ...(options.runAt === undefined ? {} : { runAt: options.runAt }),
        ...(options.delay === undefined ? {} : { delaySeconds: options.delay }),
      } as JobSubmission;
      const { job, replayed } = await client.jobs.submit(submission, { idempotencyKey: options.idempotencyKey });
      if (options.watch) {
        if (!flags.json) io.stderr.write(`${replayed ? 'replayed' : 'submitted'} job ${job.jobId} (${job.type})\n`);
        return watch(client, flags, job.jobId);
      }
      if (flags.json) return printJson(job);
      print(`${replayed ? 'replayed' : 'submitted'} job ${job.jobId}  ${job.type}  ${out.status(job.status)}${replayed ? `  (idempotency key ${job.idempotencyKey})` : ''}\n`);
    });

  program
    .command('get')
    .description('one job, with its payload (GET /v1/jobs/{jobId})')
    .argument('<jobId>')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, flags } = await clientFor(command);
      const job = await client.jobs.get(jobId);
      if (flags.json) return printJson(job);
      print(jobFields(job, out));
    });

  program
    .command('list')
    .description('jobs of a status, newest first (GET /v1/jobs)')
    .addOption(new Option('--status <status>', 'the status').choices(JOB_STATUSES).makeOptionMandatory())
    .option('--type <type>', 'only jobs of this type')
    .option('--limit <n>', 'jobs per page (1..100, default 25)', positiveInteger)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--all', 'every page, not only the first')
    .action(async (options: { status: JobStatus; type?: string; limit?: number; cursor?: string; all?: boolean }, command: Command) => {
      const { client, flags } = await clientFor(command);
      const query = { status: options.status, type: options.type, limit: options.limit, cursor: options.cursor };
      const items: JobSummary[] = [];
      let nextCursor: string | null = null;
      for await (const page of client.jobs.list(query).pages()) {
        items.push(...page.items);
        nextCursor = page.nextCursor;
        if (!options.all) break;
      }
      if (flags.json) return printJson({ items, nextCursor });
      if (items.length === 0) print(`no ${options.status} jobs${options.type ? ` of type ${options.type}` : ''}\n`);
      else print(jobTable(items, out));
      if (nextCursor) io.stderr.write(err.paint('dim', `more: --all for every page, or --cursor ${nextCursor}\n`));
    });

  program
    .command('attempts')
    .description("a job's attempts, oldest first (GET /v1/jobs/{jobId}/attempts)")
    .argument('<jobId>')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, flags } = await clientFor(command);
      const attempts = await client.jobs.attempts(jobId);
      if (flags.json) return printJson(attempts);
      if (attempts.items.length === 0) return print(`job ${jobId} has made no attempt yet\n`);
      print(attemptTable(attempts.items, out));
    });

  for (const [name, description, act] of [
    ['cancel', 'cancel a queued or retry job (POST /v1/jobs/{jobId}/cancel)', (client: JobsClient, id: string) => client.jobs.cancel(id)],
    ['retry', 'run a fatal or canceled job again (POST /v1/jobs/{jobId}/retry)', (client: JobsClient, id: string) => client.jobs.retry(id)],
    ['redeliver', "send a finished job's webhook again (POST /v1/jobs/{jobId}/webhook/redeliver)", (client: JobsClient, id: string) => client.jobs.redeliver(id)],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<jobId>')
      .action(async (jobId: string, _options: unknown, command: Command) => {
        const { client, flags } = await clientFor(command);
        const job = await act(client, jobId);
        if (flags.json) return printJson(job);
        const done = { cancel: 'canceled', retry: 'requeued', redeliver: 'redelivering the webhook of' }[name];
        print(`${done} job ${job.jobId}  ${out.status(job.status)}${name === 'redeliver' ? `  webhook ${job.webhook.status}` : ''}\n`);
      });
  }

  program
    .command('delete')
    .description('erase a finished or canceled job now (DELETE /v1/jobs/{jobId})')
    .argument('<jobId>')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, flags } = await clientFor(command);
      await client.jobs.delete(jobId);
      // 204: the API answers no JSON, so --json prints nothing.
      if (!flags.json) print(`deleted job ${jobId}\n`);
    });

  program
    .command('watch')
    .description('follow a job until it finishes: exit 0 succeeded, 1 fatal or canceled')
    .argument('<jobId>')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const { client, flags } = await clientFor(command);
      await watch(client, flags, jobId);
    });

  program
    .command('types')
    .description('the job types and their payload schemas (GET /v1/job-types)')
    .action(async (_options: unknown, command: Command) => {
      const { client, flags } = await clientFor(command);
      const types = await client.jobTypes.list();
      if (flags.json) return printJson(types);
      print(
        table(
          types.items,
          [
            { header: 'TYPE', value: (item) => item.type },
            { header: 'DESCRIPTION', value: (item) => item.description },
          ],
          out,
        ),
      );
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io, err);
  }
}

interface SubmitFlags {
  type: string;
  payload: string;
  idempotencyKey?: string;
  webhookUrl?: string;
  runAt?: string;
  delay?: number;
  maxAttempts?: number;
  watch?: boolean;
}

function reportError(error: unknown, io: CliIo, painter: Painter): number {
  if (error instanceof CommanderError) {
    // Help asked for (`--help`, `help <command>`) exits 0 in commander; everything else it refuses is a usage error.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof JobsApiError) {
    const lines = [`${painter.paint('red', 'error:')} ${error.status} ${error.code}: ${error.detail}`];
    for (const problem of error.errors) lines.push(`  ${problem.path}: ${problem.message}`);
    if (error.retryAfterSeconds !== null) lines.push(`retry after: ${error.retryAfterSeconds} s`);
    lines.push(`request id: ${error.requestId ?? 'none'}`);
    io.stderr.write(`${lines.join('\n')}\n`);
    return EXIT.api;
  }
  if (error instanceof JobsNetworkError) {
    io.stderr.write(`${painter.paint('red', 'error:')} network: ${error.message}\n`);
    return EXIT.network;
  }
  if (error instanceof TargetError) {
    io.stderr.write(`${painter.paint('red', 'error:')} ${error.message}\n`);
    return EXIT.usage;
  }
  throw error;
}

function parsePayload(value: string, command: Command): unknown {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      command.error(`error: --payload ${value}: ${(error as Error).message}`, { exitCode: EXIT.usage });
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    command.error(`error: --payload is not JSON: ${(error as Error).message}`, { exitCode: EXIT.usage });
  }
}

function positiveInteger(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('not a positive integer');
  return Number(value);
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('not a whole number of seconds');
  return Number(value);
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!(number > 0)) throw new InvalidArgumentError('not a positive number');
  return number;
}

function attemptsOf(job: Pick<Job, 'attempts' | 'maxAttempts'>): string {
  return `${job.attempts} of ${job.maxAttempts}`;
}

function progressOf(job: Job, painter: Painter): string {
  const parts = [`job ${job.jobId}`, painter.status(job.status)];
  if (job.status === 'queued' && job.nextRunAt && Date.parse(job.nextRunAt) > Date.now()) parts.push(`runs at ${job.nextRunAt}`);
  else parts.push(`attempt ${Math.max(job.attempts, 1)} of ${job.maxAttempts}`);
  if (job.lastError) parts.push(`last error: ${job.lastError}`);
  return parts.join(' · ');
}

function finalLineOf(job: Job, painter: Painter): string {
  const attempts = `${job.attempts} attempt${job.attempts === 1 ? '' : 's'}`;
  const lines = [`${painter.status(job.status)}: job ${job.jobId} after ${attempts}`];
  if (job.status === 'succeeded') lines.push(`result: ${JSON.stringify(job.result)}`);
  else if (job.lastError) lines.push(`last error: ${job.lastError}`);
  return `${lines.join('\n')}\n`;
}

function jobFields(job: Job, painter: Painter): string {
  const webhook = job.webhook;
  const webhookText =
    webhook.status === 'none'
      ? 'none'
      : `${webhook.status}, ${webhook.attempts} attempt${webhook.attempts === 1 ? '' : 's'}${webhook.lastStatusCode ? `, last ${webhook.lastStatusCode}` : ''}${webhook.lastError ? `, ${webhook.lastError}` : ''}`;
  return fields(
    [
      ['job', job.jobId],
      ['type', job.type],
      ['status', painter.status(job.status)],
      ['attempts', attemptsOf(job)],
      ['next run', job.nextRunAt ?? '-'],
      ['created', job.createdAt],
      ['updated', job.updatedAt],
      ['finished', job.finishedAt ?? '-'],
      ['expires', job.expiresAt],
      ['idempotency key', job.idempotencyKey ?? '-'],
      ['webhook url', job.webhookUrl ?? '-'],
      ['webhook', webhookText],
      ['last error', job.lastError ?? '-'],
      ['result', JSON.stringify(job.result)],
      ['payload', JSON.stringify(job.payload)],
    ],
    painter,
  );
}

function jobTable(jobs: readonly JobSummary[], painter: Painter): string {
  return table(
    jobs,
    [
      { header: 'JOB', value: (job) => job.jobId },
      { header: 'TYPE', value: (job) => job.type },
      { header: 'STATUS', value: (job) => job.status, style: (job, padded) => painter.status(job.status, padded) },
      { header: 'ATTEMPTS', value: attemptsOf },
      { header: 'CREATED', value: (job) => job.createdAt },
      { header: 'LAST ERROR', value: (job) => job.lastError ?? '' },
    ],
    painter,
  );
}

function attemptTable(attempts: readonly Attempt[], painter: Painter): string {
  return table(
    attempts,
    [
      { header: 'ATTEMPT', value: (attempt) => String(attempt.attempt) },
      { header: 'STATUS', value: (attempt) => attempt.status },
      { header: 'STARTED', value: (attempt) => attempt.startedAt },
      { header: 'DURATION', value: (attempt) => (attempt.durationMs === null ? '-' : `${attempt.durationMs} ms`) },
      { header: 'ERROR', value: (attempt) => attempt.error ?? '' },
    ],
    painter,
  );
}

export { TERMINAL_STATUSES };
