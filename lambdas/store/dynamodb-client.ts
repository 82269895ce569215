import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { cacheDocumentHandlers } from '../sdk-handler-cache';
import { cacheUserAgent } from '../sdk-user-agent';

/**
 * The document client with default configuration: on the local twin the SDK's
 * standard `AWS_ENDPOINT_URL_DYNAMODB` points it at dynalite; the SDK retries
 * throttling and 5xx itself. Standard mode, not adaptive: adaptive's rate
 * limiter is one per client, so throttling on one key (one tenant's hot
 * partition) would slow every call of every tenant, which AWS advises against
 * for multi-tenant applications; under 10 % injected throttling it brought the
 * twin down to a few calls per second (test/e2e/faults.test.ts). The user agent
 * is built once per operation (../sdk-user-agent.ts), the middleware stack
 * resolved once per command class (../sdk-handler-cache.ts).
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return cacheDocumentHandlers(
    DynamoDBDocumentClient.from(cacheUserAgent(new DynamoDBClient({ retryMode: 'standard', maxAttempts: 6 })), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
  );
}
