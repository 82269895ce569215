import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The document client with default configuration: on the local twin the SDK's
 * standard `AWS_ENDPOINT_URL_DYNAMODB` points it at dynalite; the SDK retries
 * throttling and 5xx itself (adaptive mode backs off under throttling).
 */
export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ retryMode: 'adaptive', maxAttempts: 6 }), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
