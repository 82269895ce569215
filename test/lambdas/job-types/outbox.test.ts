import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { readOutbox, writeToOutbox, type OutboxRecord } from '../../../lambdas/job-types/outbox';

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
});
