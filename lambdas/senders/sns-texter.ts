/**
 * The {@link Texter} of a Lambda: Amazon SNS `Publish` to a phone number.
 * Phone numbers and messages are never logged (SPEC §11), and are blanked out
 * of SNS's error texts.
 */
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import type { SendContext, SendReceipt, TextMessage, Texter } from '../job-types/senders';
import { jobErrorFromAws } from './aws-failure';

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

/** Anything that looks like a phone number: a run of 7+ digits, perhaps with a `+` and separators. */
const PHONE_NUMBER = /\+?\d[\d\s().-]{5,}\d/g;

export class SnsTexter implements Texter {
  private client: SNSClient | undefined;

  /** @param client created on first send when not given, so a cold start that sends no SMS builds none */
  constructor(client?: SNSClient) {
    this.client = client;
  }

  async send(message: TextMessage, ctx: SendContext): Promise<SendReceipt> {
    try {
      // Imported on first send (a chunk of its own in the bundle): a cold start that sends no SMS loads no SNS code.
      const { PublishCommand, SNSClient } = await import('@aws-sdk/client-sns');
      this.client ??= new SNSClient({});
      const output = await this.client.send(new PublishCommand(publishInput(message)), { abortSignal: ctx.signal });
      ctx.logger.info('sms sent through SNS', { messageId: output.MessageId });
      return { messageId: output.MessageId };
    } catch (error) {
      throw jobErrorFromAws(error, ctx, {
        operation: 'SNS Publish',
        fatal: FATAL_SNS_ERRORS,
        throttling: THROTTLING_SNS_ERRORS,
        redact: (text) => text.replace(PHONE_NUMBER, '<phone>'),
      });
    }
  }
}

/** The SNS request for a message (exported for tests and documentation). */
export function publishInput(message: TextMessage): PublishCommandInput {
  return {
    PhoneNumber: message.to,
    Message: message.message,
    MessageAttributes: {
      // Jobs are notifications a tenant's system triggers: deliver them as transactional (higher priority).
      'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
      ...(message.senderId !== undefined && {
        'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: message.senderId },
      }),
    },
  };
}
