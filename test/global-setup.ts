/**
 * Jest globalSetup: fetches the tools some tests run, once per machine (into
 * node_modules/.cache), so no test file finds them missing: AWS's DynamoDB
 * Local (store tests, and the e2e pass on it), a Node 24 binary (the shipped
 * bundles on Lambda's runtime) and a Node 20 one (the data-dir lock across
 * Node versions). With JOBS_E2E_DYNAMODB=local it also starts the run's
 * DynamoDB Local (test/global-teardown.ts stops it).
 */
import { ensureDynamoDbLocal } from './support/dynamodb-local';
import { startE2eBackend } from './support/e2e-backend';
import { ensureNode20 } from './support/node20';
import { ensureNode24 } from './support/node24';

export default async function globalSetup(): Promise<void> {
  ensureDynamoDbLocal();
  ensureNode24();
  ensureNode20();
  (globalThis as { e2eBackend?: unknown }).e2eBackend = await startE2eBackend();
}
