/**
 * `npm start`: the local twin. Prints where everything listens, the dev tenant's
 * API key and webhook secret, and a curl line; stops cleanly on SIGINT/SIGTERM.
 */
import { ConfigError } from '../lambdas/config';
import { DirectoryInUseError } from './directory-lock';
import { startTwin } from './twin';

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // The same structured logs as on AWS; indented for people when on a terminal.
  if (process.stdout.isTTY) process.env.POWERTOOLS_DEV ??= 'true';
  const twin = await startTwin();
  const { dev, url } = twin;
  const lines = [
    '',
    'Jobs Service local twin is running',
    `  API                 ${url}`,
    `  web console         ${url}/console  (paste the API key below)`,
    `  tenant              ${dev.tenantId}`,
    `  API key             ${dev.apiKey}`,
    `  webhook secret      ${dev.webhookSecret}`,
    `  DynamoDB endpoint   ${twin.dynamodbUrl}  (table ${twin.config.tableName}; ${twin.backends.dynamodbEndpoint ? 'yours: JOBS_DYNAMODB_ENDPOINT' : 'embedded dynalite'})`,
    `  SQS endpoint        ${twin.sqsUrl}  (${twin.backends.sqsEndpoint ? 'yours: JOBS_SQS_ENDPOINT' : 'embedded'})`,
    `  jobs queue          ${twin.jobsQueueUrl}`,
    `  webhooks queue      ${twin.webhooksQueueUrl}`,
    `  data                ${twin.dataDir ?? 'in memory'}`,
    `  outbox (email, sms) ${twin.outboxDir}`,
    '',
    'Try it:',
    `  curl -s -X POST ${url}/v1/jobs -H 'x-api-key: ${dev.apiKey}' -H 'content-type: application/json' \\`,
    `    -d '{"type":"echo","payload":{"hello":"world"}}'`,
    '',
    'Ctrl-C stops it.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (finishing or releasing in-flight work)…\n`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    twin.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // Mistakes of the person starting it: the message says what to do, a stack trace would bury it.
  if (error instanceof ConfigError || error instanceof DirectoryInUseError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`failed to start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
