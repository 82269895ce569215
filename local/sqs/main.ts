import { parseArgs } from 'node:util';
import { startSqsEndpoint } from './index';

/**
 * Runs the SQS endpoint on its own:
 * `npx tsx local/sqs/main.ts --port 9324 --data-dir .data/sqs`.
 * Prints `SQS endpoint listening on http://127.0.0.1:PORT` once it accepts requests.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`Invalid --port ${values.port}`);
  const endpoint = await startSqsEndpoint({ port, host: values.host, dataDir: values['data-dir'] });
  console.log(`SQS endpoint listening on ${endpoint.url}`);
  const stop = () => {
    endpoint.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
