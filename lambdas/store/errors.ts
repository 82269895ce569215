import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

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

/**
 * A new job's item, with the room it needs to grow, would pass DynamoDB's item
 * limit (the client's mistake: `payload_too_large`). Nothing was written.
 */
export class ItemTooLargeError extends StoreError {
  override name = 'ItemTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(`the job's item would take ${bytes} bytes of DynamoDB's ${limitBytes}`);
  }
}

/**
 * DynamoDB could not take the write right now (throttled past the SDK's
 * retries, a 5xx, the network): worth trying again later (`service_unavailable`).
 * For a create, nothing is kept: a write that may have landed was deleted again.
 */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';
}

/**
 * A failure that may pass by itself, as the SDK's own retry strategy classifies
 * it: throttling, a transient or server-side fault, or no answer at all
 * (timeouts, connection resets). Errors DynamoDB blames on the request
 * (validation, a missing table, access) and bugs of ours would fail again the same way.
 */
export function isTransientFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as Parameters<typeof isTransientError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError);
}
