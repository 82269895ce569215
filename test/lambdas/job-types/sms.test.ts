import { loadConfig } from '../../../lambdas/config';
import { createSmsJobType } from '../../../lambdas/job-types/sms';
import { jobTypesFor } from '../../../lambdas/job-types/deployment';
import { jobContextFactory, recordingSenders } from './job-context';

const PHONE = '+14155550100';

describe('sms job type', () => {
  it('hands its texter the message and returns its receipt', async () => {
    // Arrange
    const senders = recordingSenders();
    const sms = createSmsJobType(senders.texter);

    // Act
    const result = await sms.handle({ to: PHONE, message: 'Your code is 123456' }, jobContextFactory());

    // Assert
    expect(result).toEqual({ messageId: 'text-1' });
    expect(senders.texts).toEqual([{ to: PHONE, message: 'Your code is 123456' }]);
  });

  it.each<[string, string | undefined, string | undefined, string | undefined]>([
    ['the default when the payload gives none', 'Jobs', undefined, 'Jobs'],
    ['the payload’s own over the default', 'Jobs', 'Acme', 'Acme'],
    ['the payload’s own without a default', undefined, 'Acme', 'Acme'],
    ['none when neither gives one', undefined, undefined, undefined],
  ])('uses %s as the sender id', async (_case, defaultSenderId, senderId, expected) => {
    const senders = recordingSenders();
    const sms = createSmsJobType(senders.texter, { senderId: defaultSenderId });

    await sms.handle({ to: PHONE, message: 'Hi', ...(senderId !== undefined && { senderId }) }, jobContextFactory());

    expect(senders.texts).toEqual([{ to: PHONE, message: 'Hi', ...(expected !== undefined && { senderId: expected }) }]);
  });

  it('takes its default sender id from SMS_SENDER_ID', async () => {
    // Arrange: the wiring a Lambda uses, with recording senders in place of SNS
    const senders = recordingSenders();
    const jobTypes = jobTypesFor(loadConfig({ SMS_SENDER_ID: 'Jobs' }), senders);

    // Act
    await jobTypes('sms')!.handle({ to: PHONE, message: 'Hi' }, jobContextFactory());

    // Assert
    expect(senders.texts).toEqual([{ to: PHONE, message: 'Hi', senderId: 'Jobs' }]);
  });
});
