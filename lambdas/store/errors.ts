/** Errors of the DynamoDB adapter. A lost condition is an outcome, not one of these. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A conditional write lost to a concurrent writer more often than it is worth retrying. */
export class ConcurrentUpdateError extends StoreError {
  override name = 'ConcurrentUpdateError';
}

export function isConditionalCheckFailed(error: unknown): error is Error & { Item?: Record<string, unknown> } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
