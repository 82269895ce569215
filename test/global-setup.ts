/**
 * Jest globalSetup: fetches the tools some tests run, once per machine (into
 * node_modules/.cache), so no test file finds them missing: AWS's DynamoDB
 * Local (store tests, and the e2e pass on it) and a Node 24 binary (the shipped
 * bundles on Lambda's runtime).
 */
import { ensureDynamoDbLocal } from './support/dynamodb-local';
import { ensureNode24 } from './support/node24';

export default function globalSetup(): void {
  ensureDynamoDbLocal();
  ensureNode24();
}
