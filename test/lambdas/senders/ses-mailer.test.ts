import {
  AccountSuspendedException,
  BadRequestException,
  InternalServiceErrorException,
  MailFromDomainNotVerifiedException,
  MessageRejected,
  NotFoundException,
  SendEmailCommand,
  SESv2Client,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createEmailJobType, type EmailPayload } from '../../../lambdas/job-types/email';
import { FatalJobError, JobTimeoutError, RetryableJobError } from '../../../lambdas/jobs/errors';
import { SesMailer } from '../../../lambdas/senders/ses-mailer';
import { jobContextFactory, recordingLogger } from '../job-types/job-context';

const ses = mockClient(SESv2Client);
// The whole path a Lambda takes: the job type, built with the SES mailer.
const emailJobType = createEmailJobType(new SesMailer(), { from: 'jobs@example.com' });
const $metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

const payload: EmailPayload = {
  to: 'alice@example.com',
  subject: 'Your report',
  text: 'Hello Alice',
  html: '<p>Hello Alice</p>',
};

beforeEach(() => {
  ses.reset();
});

describe('email on AWS (SES v2)', () => {
  it('sends exactly the message asked for and returns the SES message id', async () => {
    // Arrange
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });

    // Act
    const result = await emailJobType.handle(payload, jobContextFactory());

    // Assert
    expect(result).toEqual({ messageId: 'ses-1' });
    const expected = {
      FromEmailAddress: 'jobs@example.com',
      Destination: { ToAddresses: ['alice@example.com'] },
      Content: {
        Simple: {
          Subject: { Data: 'Your report', Charset: 'UTF-8' },
          Body: {
            Text: { Data: 'Hello Alice', Charset: 'UTF-8' },
            Html: { Data: '<p>Hello Alice</p>', Charset: 'UTF-8' },
          },
        },
      },
    };
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, expected);
    expect(ses.commandCalls(SendEmailCommand)[0].args[0].input).toEqual(expected);
  });

  it('uses the payload from, several recipients and replyTo', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-2' });

    await emailJobType.handle(
      { to: ['a@example.com', 'b@example.com'], subject: 'S', text: 't', from: 'me@example.org', replyTo: 'r@example.org' },
      jobContextFactory(),
    );

    expect(ses.commandCalls(SendEmailCommand)[0].args[0].input).toEqual({
      FromEmailAddress: 'me@example.org',
      Destination: { ToAddresses: ['a@example.com', 'b@example.com'] },
      ReplyToAddresses: ['r@example.org'],
      Content: { Simple: { Subject: { Data: 'S', Charset: 'UTF-8' }, Body: { Text: { Data: 't', Charset: 'UTF-8' } } } },
    });
  });

  it.each<[string, Error]>([
    ['TooManyRequestsException', new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', ...$metadata(429) })],
    ['InternalServiceErrorException', new InternalServiceErrorException({ message: 'internal', ...$metadata(500) })],
    ['a network error', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
  ])('%s is retryable', async (_name, error) => {
    ses.on(SendEmailCommand).rejects(error);

    const failure = await emailJobType.handle(payload, jobContextFactory()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(RetryableJobError);
  });

  it.each<[string, Error]>([
    ['MessageRejected', new MessageRejected({ message: 'Email address is not verified.', ...$metadata(400) })],
    ['MailFromDomainNotVerifiedException', new MailFromDomainNotVerifiedException({ message: 'x', ...$metadata(400) })],
    ['AccountSuspendedException', new AccountSuspendedException({ message: 'x', ...$metadata(400) })],
    ['BadRequestException', new BadRequestException({ message: 'x', ...$metadata(400) })],
    ['NotFoundException', new NotFoundException({ message: 'x', ...$metadata(404) })],
  ])('%s is fatal', async (name, error) => {
    ses.on(SendEmailCommand).rejects(error);

    const failure = await emailJobType.handle(payload, jobContextFactory()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(FatalJobError);
    expect((failure as Error).message).toContain(name);
  });

  it('keeps addresses out of the error message', async () => {
    ses.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: 'Email address is not verified. The following identities failed the check in region US-EAST-1: alice@example.com',
        ...$metadata(400),
      }),
    );

    const failure = (await emailJobType.handle(payload, jobContextFactory()).catch((e: unknown) => e)) as Error;

    expect(failure.message).toMatch(/^SES SendEmail failed: MessageRejected: Email address is not verified/);
    expect(failure.message).not.toContain('alice@example.com');
    expect(failure.message).not.toContain('\n');
  });

  it('ends as a timeout when the attempt is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));

    const failure = await emailJobType.handle(payload, jobContextFactory({ signal: controller.signal })).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(JobTimeoutError);
  });

  it('never logs addresses, the subject or the body', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-3' });
    const { logger, lines } = recordingLogger();

    await emailJobType.handle(payload, jobContextFactory({ logger }));

    expect(lines()).not.toMatch(/alice@example\.com|Your report|Hello Alice/);
  });
});
