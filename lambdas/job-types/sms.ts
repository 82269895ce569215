/**
 * `sms`: sends one text message through the {@link Texter} it is built with
 * (SPEC §5): Amazon SNS on AWS, the local outbox on the twin.
 */
import * as z from '../zod';
import type { JobType, JobTypeDefinition } from './job-type';
import { SENDER_ID, SENDER_ID_MESSAGE } from './sender-id';
import type { TextMessage, Texter } from './senders';

/** An alphanumeric sender id, as SNS takes it: the payload's `senderId` and `SMS_SENDER_ID`. */
export const SenderIdSchema = z.string().check(z.regex(SENDER_ID, SENDER_ID_MESSAGE));

export const SmsPayloadSchema = z.strictObject({
  to: z.withMeta(z.string().check(z.regex(/^\+[1-9]\d{1,14}$/, 'must be a phone number in E.164 form, e.g. +14155550100')), {
    description: 'Phone number in E.164 form.',
  }),
  message: z.string().check(z.minLength(1), z.maxLength(1600)),
  senderId: z.withMeta(z.optional(SenderIdSchema), {
    description: 'Alphanumeric sender ID, where the destination country supports one; default: the deployment’s SMS_SENDER_ID.',
  }),
});
export type SmsPayload = z.infer<typeof SmsPayloadSchema>;

export const smsJobDefinition: JobTypeDefinition<SmsPayload> = {
  type: 'sms',
  description: 'Sends a text message through Amazon SNS (written to the local outbox on the local twin).',
  schema: SmsPayloadSchema,
};

export interface SmsDefaults {
  /** Sender id of payloads that give none (`SMS_SENDER_ID`); none at all when unset. */
  readonly senderId?: string;
}

export function createSmsJobType(texter: Texter, defaults: SmsDefaults = {}): JobType<SmsPayload> {
  return {
    ...smsJobDefinition,
    async handle(payload, ctx) {
      return texter.send(textMessage(payload, defaults), ctx);
    },
  };
}

/** The message a payload asks for, in the texter's terms. */
export function textMessage(payload: SmsPayload, defaults: SmsDefaults): TextMessage {
  const senderId = payload.senderId ?? defaults.senderId;
  return { to: payload.to, message: payload.message, ...(senderId !== undefined && { senderId }) };
}
