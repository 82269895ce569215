/**
 * Errors a job handler throws to say how its attempt ended. Anything else thrown
 * counts as retryable (an unexpected failure may well be transient).
 */
export class JobError extends Error {
  override name = 'JobError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The attempt failed but may succeed later; `minDelaySeconds` carries e.g. an HTTP Retry-After. */
export class RetryableJobError extends JobError {
  override name = 'RetryableJobError';
  readonly minDelaySeconds?: number;
  constructor(message: string, options?: { cause?: unknown; minDelaySeconds?: number }) {
    super(message, options);
    this.minDelaySeconds = options?.minDelaySeconds;
  }
}

/** The job can never succeed as submitted (bad payload, HTTP 4xx, …): it becomes fatal at once. */
export class FatalJobError extends JobError {
  override name = 'FatalJobError';
}

/** The attempt ran past its timeout (retryable). */
export class JobTimeoutError extends RetryableJobError {
  override name = 'JobTimeoutError';
}
