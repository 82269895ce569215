/** Jest globalTeardown: stops what test/global-setup.ts started (same process). */
import type { DynamoDbLocal } from './support/dynamodb-local';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { e2eBackend?: DynamoDbLocal }).e2eBackend?.close();
}
