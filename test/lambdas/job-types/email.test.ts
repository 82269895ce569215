import { createEmailJobType, type EmailPayload } from '../../../lambdas/job-types/email';
import { jobContextFactory, recordingSenders } from './job-context';

const payload: EmailPayload = { to: 'alice@example.com', subject: 'Your report', text: 'Hello Alice', html: '<p>Hello Alice</p>' };

describe('email job type', () => {
  it('hands its mailer the message the payload asks for, from the default sender, and returns its receipt', async () => {
    // Arrange
    const senders = recordingSenders();
    const email = createEmailJobType(senders.mailer, { from: 'jobs@example.com' });

    // Act
    const result = await email.handle(payload, jobContextFactory());

    // Assert
    expect(result).toEqual({ messageId: 'mail-1' });
    expect(senders.emails).toEqual([
      { from: 'jobs@example.com', to: ['alice@example.com'], subject: 'Your report', text: 'Hello Alice', html: '<p>Hello Alice</p>' },
    ]);
  });

  it('keeps the payload from, several recipients and replyTo', async () => {
    const senders = recordingSenders();
    const email = createEmailJobType(senders.mailer, { from: 'jobs@example.com' });

    await email.handle({ to: ['a@example.com', 'b@example.com'], subject: 'S', text: 't', from: 'me@example.org', replyTo: 'r@example.org' }, jobContextFactory());

    expect(senders.emails).toEqual([{ from: 'me@example.org', to: ['a@example.com', 'b@example.com'], replyTo: ['r@example.org'], subject: 'S', text: 't' }]);
  });

  it('passes the attempt to the mailer and lets its failure through', async () => {
    const failure = new Error('mailer down');
    const seen: unknown[] = [];
    const email = createEmailJobType({ send: async (_message, ctx) => { seen.push(ctx); throw failure; } }, { from: 'jobs@example.com' });
    const ctx = jobContextFactory({ attempt: 3 });

    await expect(email.handle(payload, ctx)).rejects.toBe(failure);
    expect(seen).toEqual([ctx]);
  });
});
