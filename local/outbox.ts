/**
 * The local outbox: where `email` and `sms` jobs put their messages on the local
 * twin instead of calling SES or SNS (SPEC §5). One JSON file per message, named
 * `<time>-<channel>-<jobId>-<attempt>.json`, so a developer can `ls` the outbox
 * in sending order and open any message. The twin builds the job types with the
 * outbox's {@link Mailer} and {@link Texter} (see {@link outboxSenders}).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmailMessage, Mailer, SendContext, SendReceipt, Senders, TextMessage, Texter } from '../lambdas/job-types/senders';

export type OutboxChannel = 'email' | 'sms';

export interface OutboxRecord {
  channel: OutboxChannel;
  jobId: string;
  tenantId: string;
  attempt: number;
  /** What would have been sent (the SES / SNS request, in our own words). */
  message: object;
}

/** One file's content. */
export interface OutboxEntry extends OutboxRecord {
  messageId: string;
  writtenAt: string;
}

/**
 * Writes one message into `dir` (created if missing) and returns its id and file.
 *
 * Idempotent per (channel, jobId, attempt): the message id is derived from them,
 * and a second write of the same attempt replaces the first file rather than
 * adding a message. The file appears whole or not at all (temp file + rename),
 * so a reader never sees half a message.
 */
export async function writeToOutbox(dir: string, record: OutboxRecord): Promise<{ messageId: string; file: string }> {
  await mkdir(dir, { recursive: true });
  const suffix = `-${record.channel}-${fileSafe(record.jobId)}-${record.attempt}.json`;
  const existing = (await readdir(dir)).find((name) => name.endsWith(suffix) && !name.startsWith('.'));
  const file = join(dir, existing ?? `${fileTime(new Date())}${suffix}`);

  const messageId = `outbox-${record.channel}-${fileSafe(record.jobId)}-${record.attempt}`;
  const entry: OutboxEntry = { messageId, writtenAt: new Date().toISOString(), ...record };
  const temp = join(dir, `.${randomUUID()}.tmp`);
  try {
    await writeFile(temp, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return { messageId, file };
}

/** Every message in `dir`, oldest first; an empty list when the outbox does not exist yet. */
export async function readOutbox(dir: string): Promise<Array<OutboxEntry & { file: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = names.filter((name) => name.endsWith('.json') && !name.startsWith('.')).sort();
  return Promise.all(
    files.map(async (name) => {
      const file = join(dir, name);
      const entry = JSON.parse(await readFile(file, 'utf8')) as OutboxEntry;
      return { ...entry, file };
    }),
  );
}

/** ISO time without `:` and `.` (not allowed in Windows file names); still sorts by time. */
function fileTime(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Job ids are ours (UUIDs), but a file name must never climb out of the outbox. */
function fileSafe(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** A mailer and a texter that write into the outbox `dir`; they log where a message went, never what it says. */
export function outboxSenders(dir: string): Senders {
  const write = async (channel: OutboxChannel, message: EmailMessage | TextMessage, ctx: SendContext) => {
    const { messageId, file } = await writeToOutbox(dir, { channel, jobId: ctx.jobId, tenantId: ctx.tenantId, attempt: ctx.attempt, message });
    return { messageId, file };
  };
  const mailer: Mailer = {
    async send(message, ctx): Promise<SendReceipt> {
      const { messageId, file } = await write('email', message, ctx);
      ctx.logger.info('email written to the local outbox', { file, recipients: message.to.length });
      return { messageId, outbox: true };
    },
  };
  const texter: Texter = {
    async send(message, ctx): Promise<SendReceipt> {
      const { messageId, file } = await write('sms', message, ctx);
      ctx.logger.info('sms written to the local outbox', { file });
      return { messageId, outbox: true };
    },
  };
  return { mailer, texter };
}
