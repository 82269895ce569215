/**
 * `email`: sends one message through Amazon SES v2, or writes it to the local
 * outbox on the twin (SPEC §5). Addresses and bodies are never logged (SPEC §11).
 */
import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import * as z from 'zod';
import { jobErrorFromAws } from './aws-failure';
import type { JobContext, JobType } from './job-type';
import { writeToOutbox } from './outbox';

/** SES accepts at most 50 recipients per message. */
const MAX_RECIPIENTS = 50;

const address = z.email({ error: 'must be an email address' }).max(320);
const addresses = z.union([address, z.array(address).min(1).max(MAX_RECIPIENTS)]);

export const EmailPayloadSchema = z
  .strictObject({
    to: addresses.describe(`One address or a list of 1..${MAX_RECIPIENTS}.`),
    subject: z
      .string()
      .min(1)
      .max(998)
      .regex(/^[^\r\n]*$/, 'must be one line'),
    text: z.string().min(1).optional().describe('Plain-text body.'),
    html: z.string().min(1).optional().describe('HTML body.'),
    from: address.optional().describe('Sender address (a verified SES identity); default: the deployment’s EMAIL_FROM.'),
    replyTo: addresses.optional(),
  })
  .refine((p) => p.text !== undefined || p.html !== undefined, {
    message: 'give text, html or both',
    path: ['text'],
  });
export type EmailPayload = z.infer<typeof EmailPayloadSchema>;

export const emailJobType: JobType<EmailPayload> = {
  type: 'email',
  description: 'Sends an email through Amazon SES (written to the local outbox on the local twin).',
  schema: EmailPayloadSchema,

  async handle(payload, ctx) {
    const to = asList(payload.to);
    if (ctx.outboxDir !== undefined) {
      const { messageId, file } = await writeToOutbox(ctx.outboxDir, {
        channel: 'email',
        jobId: ctx.jobId,
        tenantId: ctx.tenantId,
        attempt: ctx.attempt,
        message: {
          from: payload.from ?? ctx.emailFrom,
          to,
          ...(payload.replyTo !== undefined && { replyTo: asList(payload.replyTo) }),
          subject: payload.subject,
          ...(payload.text !== undefined && { text: payload.text }),
          ...(payload.html !== undefined && { html: payload.html }),
        },
      });
      ctx.logger.info('email written to the local outbox', { file, recipients: to.length });
      return { messageId, outbox: true };
    }

    try {
      const output = await sesClient().send(new SendEmailCommand(sendEmailInput(payload, ctx)), {
        abortSignal: ctx.signal,
      });
      ctx.logger.info('email sent through SES', { messageId: output.MessageId, recipients: to.length });
      return { messageId: output.MessageId };
    } catch (error) {
      throw sesJobError(error, ctx);
    }
  },
};

/** The SES v2 request for a payload (exported for tests and documentation). */
export function sendEmailInput(payload: EmailPayload, ctx: Pick<JobContext, 'emailFrom'>): SendEmailCommandInput {
  // SES assumes 7-bit ASCII unless told otherwise; payloads are any Unicode.
  const content = (data: string) => ({ Data: data, Charset: 'UTF-8' });
  return {
    FromEmailAddress: payload.from ?? ctx.emailFrom,
    Destination: { ToAddresses: asList(payload.to) },
    ...(payload.replyTo !== undefined && { ReplyToAddresses: asList(payload.replyTo) }),
    Content: {
      Simple: {
        Subject: content(payload.subject),
        Body: {
          ...(payload.text !== undefined && { Text: content(payload.text) }),
          ...(payload.html !== undefined && { Html: content(payload.html) }),
        },
      },
    },
  };
}

/** Created on first use, so the local twin (outbox) never builds an SES client. */
let ses: SESv2Client | undefined;
function sesClient(): SESv2Client {
  ses ??= new SESv2Client({});
  return ses;
}

/** SES errors that say the message can never be sent as submitted (or not without an operator). */
const FATAL_SES_ERRORS = new Set([
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
]);
const THROTTLING_SES_ERRORS = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException', 'Throttling']);

function sesJobError(error: unknown, ctx: JobContext): Error {
  return jobErrorFromAws(error, ctx, { operation: 'SES SendEmail', fatal: FATAL_SES_ERRORS, throttling: THROTTLING_SES_ERRORS, redact: (text: string) => text.replace(EMAIL_ADDRESS, '<address>') });
}

const EMAIL_ADDRESS = /[^\s<>"',;:()[\]]+@[^\s<>"',;:()[\]]+/g;

function asList(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value;
}
