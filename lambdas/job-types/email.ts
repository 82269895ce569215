/**
 * `email`: sends one message through the {@link Mailer} it is built with
 * (SPEC §5): Amazon SES on AWS, the local outbox on the twin.
 */
import * as z from '../zod';
import type { JobType, JobTypeDefinition } from './job-type';
import type { EmailMessage, Mailer } from './senders';

/** SES accepts at most 50 recipients per message. */
const MAX_RECIPIENTS = 50;

const address = z.email({ error: 'must be an email address' }).check(z.maxLength(320));
const addresses = z.union([address, z.array(address).check(z.minLength(1), z.maxLength(MAX_RECIPIENTS))]);

export const EmailPayloadSchema = z
  .strictObject({
    to: z.withMeta(addresses, { description: `One address or a list of 1..${MAX_RECIPIENTS}.` }),
    subject: z.string().check(z.minLength(1), z.maxLength(998), z.regex(/^[^\r\n]*$/, 'must be one line')),
    text: z.withMeta(z.optional(z.string().check(z.minLength(1))), { description: 'Plain-text body.' }),
    html: z.withMeta(z.optional(z.string().check(z.minLength(1))), { description: 'HTML body.' }),
    from: z.withMeta(z.optional(address), { description: 'Sender address (a verified SES identity); default: the deployment’s EMAIL_FROM.' }),
    replyTo: z.optional(addresses),
  })
  .check(
    z.refine((p) => p.text !== undefined || p.html !== undefined, {
      message: 'give text, html or both',
      path: ['text'],
    }),
  );
export type EmailPayload = z.infer<typeof EmailPayloadSchema>;

export const emailJobDefinition: JobTypeDefinition<EmailPayload> = {
  type: 'email',
  description: 'Sends an email through Amazon SES (written to the local outbox on the local twin).',
  schema: EmailPayloadSchema,
};

export interface EmailDefaults {
  /** Sender of payloads that give no `from` (`EMAIL_FROM`). */
  readonly from: string;
}

export function createEmailJobType(mailer: Mailer, defaults: EmailDefaults): JobType<EmailPayload> {
  return {
    ...emailJobDefinition,
    async handle(payload, ctx) {
      return mailer.send(emailMessage(payload, defaults), ctx);
    },
  };
}

/** The message a payload asks for, in the mailer's terms. */
export function emailMessage(payload: EmailPayload, defaults: EmailDefaults): EmailMessage {
  return {
    from: payload.from ?? defaults.from,
    to: asList(payload.to),
    ...(payload.replyTo !== undefined && { replyTo: asList(payload.replyTo) }),
    subject: payload.subject,
    ...(payload.text !== undefined && { text: payload.text }),
    ...(payload.html !== undefined && { html: payload.html }),
  };
}

function asList(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value;
}
