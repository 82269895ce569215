/**
 * `sms`: sends one text message through Amazon SNS, or writes it to the local
 * outbox on the twin (SPEC §5). Phone numbers and messages are never logged (SPEC §11).
 */
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { jobErrorFromAws } from './aws-failure';
import type { JobContext, JobType } from './job-type';
import { writeToOutbox } from './outbox';

export const SmsPayloadSchema = z.strictObject({
  to: z
    .string()
    .regex(/^\+[1-9]\d{1,14}$/, 'must be a phone number in E.164 form, e.g. +14155550100')
    .describe('Phone number in E.164 form.'),
  message: z.string().min(1).max(1600),
  senderId: z
    .string()
    .regex(/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/, 'must be 1..11 letters and digits, at least one letter')
    .optional()
    .describe('Alphanumeric sender ID, where the destination country supports one.'),
});
export type SmsPayload = z.infer<typeof SmsPayloadSchema>;

export const smsJobType: JobType<SmsPayload> = {
  type: 'sms',
  description: 'Sends a text message through Amazon SNS (written to the local outbox on the local twin).',
  schema: SmsPayloadSchema,

  async handle(payload, ctx) {
    if (ctx.outboxDir !== undefined) {
      const { messageId, file } = await writeToOutbox(ctx.outboxDir, {
        channel: 'sms',
        jobId: ctx.jobId,
        tenantId: ctx.tenantId,
        attempt: ctx.attempt,
        message: {
          to: payload.to,
          message: payload.message,
          ...(payload.senderId !== undefined && { senderId: payload.senderId }),
        },
      });
      ctx.logger.info('sms written to the local outbox', { file });
      return { messageId, outbox: true };
    }

    try {
      const output = await snsClient().send(new PublishCommand(publishInput(payload)), { abortSignal: ctx.signal });
      ctx.logger.info('sms sent through SNS', { messageId: output.MessageId });
      return { messageId: output.MessageId };
    } catch (error) {
      throw snsJobError(error, ctx);
    }
  },
};

/** The SNS request for a payload (exported for tests and documentation). */
export function publishInput(payload: SmsPayload): PublishCommandInput {
  return {
    PhoneNumber: payload.to,
    Message: payload.message,
    MessageAttributes: {
      // Jobs are notifications a tenant's system triggers: deliver them as transactional (higher priority).
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      ...(payload.senderId !== undefined && {
        'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: payload.senderId },
      }),
    },
  };
}

/** Created on first use, so the local twin (outbox) never builds an SNS client. */
let sns: SNSClient | undefined;
function snsClient(): SNSClient {
  sns ??= new SNSClient({});
  return sns;
}

/** SNS errors that say the message can never be sent as submitted (or not without an operator). */
const FATAL_SNS_ERRORS = new Set([
  'InvalidParameterException',
  'InvalidParameterValueException',
  'ValidationException',
  'OptedOutException',
  'AuthorizationErrorException',
  'NotFoundException',
  'EndpointDisabledException',
  'PlatformApplicationDisabledException',
]);
const THROTTLING_SNS_ERRORS = new Set(['ThrottledException', 'KMSThrottlingException', 'ThrottlingException', 'Throttling']);

function snsJobError(error: unknown, ctx: JobContext): Error {
  return jobErrorFromAws(error, ctx, { operation: 'SNS Publish', fatal: FATAL_SNS_ERRORS, throttling: THROTTLING_SNS_ERRORS, redact: (text: string) => text.replace(PHONE_NUMBER, '<phone>') });
}

/** Anything that looks like a phone number: a run of 7+ digits, perhaps with a `+` and separators. */
const PHONE_NUMBER = /\+?\d[\d\s().-]{5,}\d/g;
