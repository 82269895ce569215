import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createEmailJobType } from '../../lambdas/job-types/email';
import { createSmsJobType } from '../../lambdas/job-types/sms';
import { outboxSenders, readOutbox, writeToOutbox, type OutboxRecord } from '../../local/outbox';
import { jobContextFactory, recordingLogger } from '../lambdas/job-types/job-context';

const record = (overrides: Partial<OutboxRecord> = {}): OutboxRecord => ({
  channel: 'email',
  jobId: 'job-1',
  tenantId: 'tenant-a',
  attempt: 1,
  message: { subject: 'Hi' },
  ...overrides,
});

describe('local outbox', () => {
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'outbox-'));
    dir = join(root, 'nested', 'outbox');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates the directory and writes one JSON file named by time, channel, job and attempt', async () => {
    const { messageId, file } = await writeToOutbox(dir, record());

    expect(basename(file)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-email-job-1-1\.json$/);
    expect(await readOutbox(dir)).toEqual([
      { messageId, writtenAt: expect.any(String), file, channel: 'email', jobId: 'job-1', tenantId: 'tenant-a', attempt: 1, message: { subject: 'Hi' } },
    ]);
  });

  it('is idempotent per attempt: writing the same attempt again replaces its file', async () => {
    const first = await writeToOutbox(dir, record({ message: { subject: 'first' } }));
    const second = await writeToOutbox(dir, record({ message: { subject: 'second' } }));

    expect(second).toEqual(first);
    const entries = await readOutbox(dir);
    expect(entries.map((e) => e.message)).toEqual([{ subject: 'second' }]);
  });

  it('keeps each attempt and channel as its own message, oldest first, and leaves no temp files', async () => {
    await writeToOutbox(dir, record({ attempt: 1 }));
    await writeToOutbox(dir, record({ attempt: 2 }));
    await writeToOutbox(dir, record({ channel: 'sms', attempt: 2 }));

    const entries = await readOutbox(dir);
    expect(entries.map((e) => `${e.channel}-${e.attempt}`)).toEqual(['email-1', 'email-2', 'sms-2']);
    expect(new Set(entries.map((e) => e.messageId)).size).toBe(3);
    expect((await readdir(dir)).filter((name) => !name.endsWith('.json'))).toEqual([]);
  });

  it('never lets a job id leave the outbox directory', async () => {
    const { file } = await writeToOutbox(dir, record({ jobId: '../../escape' }));

    expect(join(file, '..')).toBe(dir);
  });

  it('reads a missing outbox as empty', async () => {
    expect(await readOutbox(join(root, 'nothing-here'))).toEqual([]);
  });

  describe('as the twin’s senders', () => {
    it('takes an email job’s message, with the attempt that sent it, and logs where it went without its content', async () => {
      // Arrange
      const { logger, lines } = recordingLogger();
      const email = createEmailJobType(outboxSenders(dir).mailer, { from: 'jobs@example.com' });
      const ctx = jobContextFactory({ attempt: 2, logger });

      // Act
      const result = await email.handle(
        { to: 'alice@example.com', replyTo: ['r@example.com'], subject: 'Your report', text: 'Hello Alice', html: '<p>Hello Alice</p>' },
        ctx,
      );

      // Assert
      const entries = await readOutbox(dir);
      expect(entries).toHaveLength(1);
      expect(result).toEqual({ messageId: entries[0].messageId, outbox: true });
      expect(entries[0]).toMatchObject({
        channel: 'email',
        jobId: ctx.jobId,
        tenantId: ctx.tenantId,
        attempt: 2,
        message: { from: 'jobs@example.com', to: ['alice@example.com'], replyTo: ['r@example.com'], subject: 'Your report', text: 'Hello Alice', html: '<p>Hello Alice</p>' },
      });
      expect(lines()).toContain('email written to the local outbox');
      expect(lines()).not.toMatch(/alice@example\.com|Your report|Hello Alice/);
    });

    it('takes an sms job’s message and logs where it went without its content', async () => {
      const { logger, lines } = recordingLogger();
      const sms = createSmsJobType(outboxSenders(dir).texter);
      const ctx = jobContextFactory({ logger });

      const result = await sms.handle({ to: '+14155550100', message: 'Your code is 123456', senderId: 'Acme' }, ctx);

      const entries = await readOutbox(dir);
      expect(entries).toHaveLength(1);
      expect(result).toEqual({ messageId: entries[0].messageId, outbox: true });
      expect(entries[0]).toMatchObject({
        channel: 'sms',
        jobId: ctx.jobId,
        tenantId: ctx.tenantId,
        attempt: 1,
        message: { to: '+14155550100', message: 'Your code is 123456', senderId: 'Acme' },
      });
      expect(lines()).toContain('sms written to the local outbox');
      expect(lines()).not.toMatch(/4155550100|123456/);
    });
  });
});
