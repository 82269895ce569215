import {
  AuthorizationErrorException,
  InternalErrorException,
  InvalidParameterException,
  InvalidParameterValueException,
  OptedOutException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createSmsJobType } from '../../../lambdas/job-types/sms';
import { FatalJobError, RetryableJobError } from '../../../lambdas/jobs/errors';
import { SnsTexter } from '../../../lambdas/senders/sns-texter';
import { jobContextFactory, recordingLogger } from '../job-types/job-context';

const sns = mockClient(SNSClient);
// The whole path a Lambda takes: the job type, built with the SNS texter.
const smsJobType = createSmsJobType(new SnsTexter());
const $metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const PHONE = '+14155550100';

beforeEach(() => {
  sns.reset();
});

describe('sms on AWS (SNS)', () => {
  it('publishes a transactional SMS and returns the SNS message id', async () => {
    // Arrange
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });

    // Act
    const result = await smsJobType.handle({ to: PHONE, message: 'Your code is 123456' }, jobContextFactory());

    // Assert
    expect(result).toEqual({ messageId: 'sns-1' });
    const expected = {
      PhoneNumber: PHONE,
      Message: 'Your code is 123456',
      MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
    };
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, expected);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input).toEqual(expected);
  });

  it('sets the sender id when given', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'sns-2' });

    await smsJobType.handle({ to: PHONE, message: 'Hi', senderId: 'Acme' }, jobContextFactory());

    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      PhoneNumber: PHONE,
      Message: 'Hi',
      MessageAttributes: {
        'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
        'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: 'Acme' },
      },
    });
  });

  it.each<[string, Error]>([
    ['ThrottledException', new ThrottledException({ message: 'Rate exceeded', ...$metadata(400) })],
    ['InternalErrorException', new InternalErrorException({ message: 'internal', ...$metadata(500) })],
    ['a network error', Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })],
  ])('%s is retryable', async (_name, error) => {
    sns.on(PublishCommand).rejects(error);

    const failure = await smsJobType.handle({ to: PHONE, message: 'Hi' }, jobContextFactory()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(RetryableJobError);
  });

  it.each<[string, Error]>([
    ['InvalidParameterException', new InvalidParameterException({ message: 'Invalid parameter', ...$metadata(400) })],
    ['InvalidParameterValueException', new InvalidParameterValueException({ message: 'x', ...$metadata(400) })],
    ['OptedOutException', new OptedOutException({ message: 'x', ...$metadata(400) })],
    ['AuthorizationErrorException', new AuthorizationErrorException({ message: 'x', ...$metadata(403) })],
  ])('%s is fatal', async (name, error) => {
    sns.on(PublishCommand).rejects(error);

    const failure = await smsJobType.handle({ to: PHONE, message: 'Hi' }, jobContextFactory()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(FatalJobError);
    expect((failure as Error).message).toContain(name);
  });

  it('keeps the phone number out of the error message', async () => {
    sns.on(PublishCommand).rejects(
      new InvalidParameterException({ message: `Invalid parameter: PhoneNumber Reason: ${PHONE} is not valid to publish to`, ...$metadata(400) }),
    );

    const failure = (await smsJobType.handle({ to: PHONE, message: 'Hi' }, jobContextFactory()).catch((e: unknown) => e)) as Error;

    expect(failure.message).toMatch(/^SNS Publish failed: InvalidParameterException: Invalid parameter: PhoneNumber/);
    expect(failure.message).not.toContain('4155550100');
  });

  it('never logs the phone number or the message', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'sns-3' });
    const { logger, lines } = recordingLogger();

    await smsJobType.handle({ to: PHONE, message: 'Your code is 123456' }, jobContextFactory({ logger }));

    expect(lines()).not.toMatch(/4155550100|123456/);
  });
});
