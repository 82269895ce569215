/**
 * The {@link Mailer} of a Lambda: Amazon SES v2 `SendEmail`. Addresses and
 * bodies are never logged (SPEC §11), and are blanked out of SES's error texts.
 */
import type { SESv2Client, SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import type { EmailMessage, Mailer, SendContext, SendReceipt } from '../job-types/senders';
import { jobErrorFromAws } from './aws-failure';

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

const EMAIL_ADDRESS = /[^\s<>"',;:()[\]]+@[^\s<>"',;:()[\]]+/g;

export class SesMailer implements Mailer {
  private client: SESv2Client | undefined;

  /** @param client created on first send when not given, so a cold start that sends no email builds none */
  constructor(client?: SESv2Client) {
    this.client = client;
  }

  async send(message: EmailMessage, ctx: SendContext): Promise<SendReceipt> {
    try {
      // Imported on first send (a chunk of its own in the bundle): a cold start that sends no email loads no SES code.
      const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
      this.client ??= new SESv2Client({});
      const output = await this.client.send(new SendEmailCommand(sendEmailInput(message)), { abortSignal: ctx.signal });
      ctx.logger.info('email sent through SES', { messageId: output.MessageId, recipients: message.to.length });
      return { messageId: output.MessageId };
    } catch (error) {
      throw jobErrorFromAws(error, ctx, {
        operation: 'SES SendEmail',
        fatal: FATAL_SES_ERRORS,
        throttling: THROTTLING_SES_ERRORS,
        redact: (text) => text.replace(EMAIL_ADDRESS, '<address>'),
      });
    }
  }
}

/** The SES v2 request for a message (exported for tests and documentation). */
export function sendEmailInput(message: EmailMessage): SendEmailCommandInput {
  // SES assumes 7-bit ASCII unless told otherwise; payloads are any Unicode.
  const content = (data: string) => ({ Data: data, Charset: 'UTF-8' });
  return {
    FromEmailAddress: message.from,
    Destination: { ToAddresses: [...message.to] },
    ...(message.replyTo !== undefined && { ReplyToAddresses: [...message.replyTo] }),
    Content: {
      Simple: {
        Subject: content(message.subject),
        Body: {
          ...(message.text !== undefined && { Text: content(message.text) }),
          ...(message.html !== undefined && { Html: content(message.html) }),
        },
      },
    },
  };
}
