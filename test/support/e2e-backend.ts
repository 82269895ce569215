/**
 * The e2e suite's second pass on AWS's own DynamoDB Local (`JOBS_E2E_DYNAMODB=local`,
 * run by .ci/run): jest's globalSetup starts one DynamoDB Local for the run and
 * sets `JOBS_DYNAMODB_ENDPOINT` (SPEC §9), which every twin then uses instead
 * of dynalite — in process, or `npm start` as a child, which inherits it. Each
 * test file gets a table of its own (setupFilesAfterEnv), so files running side
 * by side stay apart and a file's restarted twin finds its table again.
 * Unset (the default `npm test`): nothing happens here.
 */
import { randomUUID } from 'node:crypto';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';

export function e2eOnDynamoDbLocal(): boolean {
  const choice = process.env.JOBS_E2E_DYNAMODB ?? '';
  if (choice !== '' && choice !== 'local' && choice !== 'dynalite') {
    throw new Error(`JOBS_E2E_DYNAMODB=${choice}: use local (AWS's DynamoDB Local) or dynalite (the default)`);
  }
  return choice === 'local';
}

/** globalSetup: starts the run's DynamoDB Local and points every twin at it. */
export async function startE2eBackend(): Promise<DynamoDbLocal | undefined> {
  if (!e2eOnDynamoDbLocal()) return undefined;
  const dynamodbLocal = await startDynamoDbLocal();
  process.env.JOBS_DYNAMODB_ENDPOINT = dynamodbLocal.url;
  return dynamodbLocal;
}

/** Per test file: its own table on the shared DynamoDB Local. */
export function useOwnTableOnE2eBackend(): void {
  if (e2eOnDynamoDbLocal()) process.env.JOBS_TABLE_NAME = `jobs-${randomUUID()}`;
}
