/**
 * A process that holds a data directory the way the twin does, for lock tests:
 * `node --import tsx test/support/data-dir-holder.ts <sqs|dynamodb|lock-abstract|lock-file> <dir>`
 * opens the SQS endpoint or dynalite on `<dir>` and makes one request so the
 * store is really open (dynalite: creates table `held`), or takes the directory
 * lock of that kind; then prints `holding <pid>` and stays until killed.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { lockDirectory } from '../../local/directory-lock';
import { startDynamoDb } from '../../local/dynamodb';
import { startSqsEndpoint } from '../../local/sqs';

const clientOptions = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

async function hold(kind: string, directory: string): Promise<void> {
  if (kind === 'sqs') {
    const endpoint = await startSqsEndpoint({ dataDir: directory });
    await new SQSClient({ ...clientOptions, endpoint: endpoint.url }).send(new ListQueuesCommand({}));
  } else if (kind === 'dynamodb') {
    const dynamodb = await startDynamoDb({ dataDir: directory });
    await new DynamoDBClient({ ...clientOptions, endpoint: dynamodb.url }).send(
      new CreateTableCommand({
        TableName: 'held',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  } else if (kind === 'lock-abstract' || kind === 'lock-file') {
    await lockDirectory(directory, { kind: kind === 'lock-file' ? 'file' : 'abstract' });
    // The lock does not keep a process alive by itself.
    setInterval(() => undefined, 60_000);
  } else {
    throw new Error(`unknown kind ${kind}`);
  }
  process.stdout.write(`holding ${process.pid}\n`);
}

hold(process.argv[2] ?? '', process.argv[3] ?? '').catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
