import type * as z from '../zod';
import type { Log } from '../observability';

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
  readonly logger: Log;
}

/**
 * What is known of a job type without running it: its name, description and
 * payload schema. Submission rules, `GET /v1/job-types` and the OpenAPI
 * document read these; nothing here sends anything.
 */
export interface JobTypeDefinition<P = unknown> {
  readonly type: string;
  readonly description: string;
  /**
   * Validates a payload; it must not transform it (no transform or default):
   * the handler gets the payload exactly as the client sent it, every key an
   * ordinary key (zod's own copy of an object drops a `__proto__` key).
   */
  readonly schema: z.ZodMiniType<P>;
  /** The URL a payload targets, checked by the URL rules at submit (`http` only). */
  readonly targetUrl?: (payload: P) => string | undefined;
}

/**
 * A job type is one module: its definition and `handle`, given its effects
 * (a mailer, a texter) when it is built (see registry.ts).
 * `handle` returns the result (kept when ≤ 4 KiB of JSON) or throws:
 * RetryableJobError / FatalJobError (lambdas/jobs/errors.ts); anything else is retryable.
 */
export interface JobType<P = unknown> extends JobTypeDefinition<P> {
  handle(payload: P, context: JobContext): Promise<unknown>;
}
