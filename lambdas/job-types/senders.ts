/**
 * The ports through which `email` and `sms` send: a job type is given a
 * {@link Mailer} or a {@link Texter} when it is built and never knows what is
 * behind it — Amazon SES / SNS in a Lambda (lambdas/senders/), the local
 * outbox on the twin (local/outbox.ts), a recording stand-in in a test.
 *
 * A sender throws RetryableJobError or FatalJobError (lambdas/jobs/errors.ts)
 * when the message was not taken; anything else it throws counts as retryable.
 * It logs only what it may: never an address, a number or a message body (SPEC §11).
 */
import type { JobContext } from './job-type';

/** The attempt a message belongs to: for idempotency, the deadline, and logs. */
export type SendContext = Pick<JobContext, 'jobId' | 'tenantId' | 'attempt' | 'signal' | 'timeoutMs' | 'logger'>;

/** What a sender says of a message it took; it becomes the job's result. */
export interface SendReceipt {
  readonly messageId: string | undefined;
  /** Set when the message went to the local twin's outbox rather than out. */
  readonly outbox?: true;
}

export interface EmailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly replyTo?: readonly string[];
  readonly subject: string;
  readonly text?: string;
  readonly html?: string;
}

export interface TextMessage {
  /** E.164 phone number. */
  readonly to: string;
  readonly message: string;
  readonly senderId?: string;
}

export interface Mailer {
  send(message: EmailMessage, context: SendContext): Promise<SendReceipt>;
}

export interface Texter {
  send(message: TextMessage, context: SendContext): Promise<SendReceipt>;
}

/** The senders the job types are built with. */
export interface Senders {
  readonly mailer: Mailer;
  readonly texter: Texter;
}
