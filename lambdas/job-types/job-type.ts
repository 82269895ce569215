import type * as z from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly jobId: string;
  readonly tenantId: string;
  /** 1-based number of this attempt (the fencing token of the lease). */
  readonly attempt: number;
  /** Aborted when the attempt's timeout passes; handlers pass it to I/O. */
  readonly signal: AbortSignal;
  /** Milliseconds this attempt may take. */
  readonly timeoutMs: number;
  /** The tenant's webhook signing secrets (current first; two during a rotation). */
  readonly signingSecrets: readonly string[];
  /** Developer mode: plain http and private targets allowed (SPEC §6). */
  readonly allowPrivateTargets: boolean;
  /** Local twin only: directory where `email` and `sms` write instead of calling SES/SNS. */
  readonly outboxDir?: string;
  readonly emailFrom: string;
  readonly logger: Logger;
}

/**
 * A job type is one module: a name, a payload schema (zod) and `handle`.
 * `handle` returns the result (kept when ≤ 4 KiB of JSON) or throws:
 * RetryableJobError / FatalJobError (lambdas/jobs/errors.ts); anything else is retryable.
 */
export interface JobType<P = unknown> {
  readonly type: string;
  readonly description: string;
  /**
   * Validates a payload; it must not transform it (no transform or default):
   * the handler gets the payload exactly as the client sent it, every key an
   * ordinary key (zod's own copy of an object drops a `__proto__` key).
   */
  readonly schema: z.ZodType<P>;
  /** The URL a payload targets, checked by the URL rules at submit (`http` only). */
  readonly targetUrl?: (payload: P) => string | undefined;
  handle(payload: P, context: JobContext): Promise<unknown>;
}
