import type { SendContext } from '../job-types/senders';
import { FatalJobError, JobTimeoutError, RetryableJobError } from '../jobs/errors';
import { boundError } from '../jobs/job';

export interface AwsFailureRules {
  /** e.g. `SES SendEmail` */
  readonly operation: string;
  /** Error names that say the request can never succeed as submitted. */
  readonly fatal: ReadonlySet<string>;
  /** Error names that say "slow down". */
  readonly throttling: ReadonlySet<string>;
  /** Blanks personal data (addresses, phone numbers) out of AWS's message. */
  readonly redact: (text: string) => string;
}

/**
 * An AWS SDK failure → job error. Throttling, 5xx and network failures may heal;
 * the listed rejections and other 4xx will not. The message keeps the AWS error
 * name and redacted text, so the attempt record says why without personal data.
 */
export function jobErrorFromAws(error: unknown, ctx: Pick<SendContext, 'signal' | 'timeoutMs'>, rules: AwsFailureRules): Error {
  if (ctx.signal.aborted) return new JobTimeoutError(`attempt timed out after ${ctx.timeoutMs} ms`, { cause: error });
  const e = (error ?? {}) as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const text = typeof e.message === 'string' ? rules.redact(e.message) : '';
  const message = boundError(`${rules.operation} failed: ${name}${text ? `: ${text.slice(0, 300)}` : ''}`);
  const status = e.$metadata?.httpStatusCode;

  if (rules.fatal.has(name)) return new FatalJobError(message, { cause: error });
  if (rules.throttling.has(name) || status === undefined || status === 429 || status >= 500) {
    return new RetryableJobError(message, { cause: error });
  }
  return status >= 400 ? new FatalJobError(message, { cause: error }) : new RetryableJobError(message, { cause: error });
}
