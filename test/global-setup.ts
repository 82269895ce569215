/**
 * Jest globalSetup: fetches AWS's DynamoDB Local once per machine (into
 * node_modules/.cache), so the store tests that run on it never find it missing.
 */
import { ensureDynamoDbLocal } from './support/dynamodb-local';

export default function globalSetup(): void {
  ensureDynamoDbLocal();
}
