import {
  closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { lockDirectory, type DirectoryLock } from '../directory-lock';
import type { MessageRecord } from './message';

/**
 * One state change of the endpoint. Replaying the records of the snapshot and
 * then of the journal rebuilds every queue and every message with its receive
 * count; messages that were in flight come back visible.
 */
export type JournalRecord =
  | { op: 'snapshot'; generation: number }
  | {
    op: 'createQueue';
    name: string;
    attributes: Record<string, string>;
    tags?: Record<string, string>;
    createdAt: number;
    modifiedAt?: number;
  }
  /** `attributes` is the queue's full attribute set after the change. */
  | { op: 'setQueueAttributes'; name: string; attributes: Record<string, string>; at: number }
  | { op: 'setTags'; name: string; tags: Record<string, string> }
  | { op: 'deleteQueue'; name: string }
  | { op: 'purge'; queue: string }
  | { op: 'send'; queue: string; message: MessageRecord }
  | { op: 'receive'; queue: string; id: string; at: number }
  | { op: 'delete'; queue: string; id: string }
  | { op: 'deadLetter'; queue: string; id: string; to: string; at: number };

const SNAPSHOT_FILE = 'snapshot.jsonl';
/** The pid file earlier versions locked with; removed when found. */
const LEGACY_LOCK_FILE = 'lock';
const journalFile = (generation: number) => `journal-${generation}.jsonl`;

/** Compact once the journal is this big and also bigger than twice the last snapshot. */
const COMPACT_AFTER_BYTES = 16 * 1024 * 1024;
const SNAPSHOT_CHUNK_CHARS = 1024 * 1024;

/**
 * An append-only journal of JournalRecords in a data directory, with a snapshot
 * that compaction rewrites. Records are buffered by `append` and written by
 * `flush`, which the endpoint calls before every reply: a reply is sent only
 * for state that is on disk (in the OS's cache, which survives `kill -9`).
 *
 * Files: `snapshot.jsonl` starts with `{"op":"snapshot","generation":G}`; only
 * `journal-G.jsonl` continues it. Compaction writes a snapshot of generation
 * G+1 to a temporary file, renames it over the old one, then starts
 * `journal-(G+1).jsonl`: a crash at any point leaves a consistent pair.
 */
export class Journal {
  private pending: string[] = [];
  private fd: number;
  private journalBytes: number;
  private snapshotBytes: number;
  private closed = false;

  private constructor(
    private readonly directory: string,
    private readonly lock: DirectoryLock,
    private generation: number,
  ) {
    const path = join(directory, journalFile(generation));
    this.fd = openSync(path, 'a');
    this.journalBytes = statSync(path).size;
    this.snapshotBytes = fileSize(join(directory, SNAPSHOT_FILE));
  }

  /**
   * Opens (creating it if missing) and locks a data directory; waits a few
   * seconds for an endpoint that is stopping, then refuses.
   */
  static async open(directory: string): Promise<Journal> {
    const absolute = resolve(directory);
    const lock = await lockDirectory(absolute, {
      inUseMessage: (path, waitedMs) =>
        `SQS data directory ${path} is in use by another running SQS endpoint (waited ${waitedMs / 1000} s for it to stop); stop it or use another data directory`,
    });
    try {
      rmSync(join(absolute, LEGACY_LOCK_FILE), { force: true });
      return new Journal(absolute, lock, readSnapshotGeneration(absolute));
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * The records of the snapshot, then of the journal. Lines that do not parse
   * (a torn last line after a crash mid-write) are skipped.
   */
  *readRecords(): Iterable<JournalRecord> {
    yield* readRecordLines(join(this.directory, SNAPSHOT_FILE));
    yield* readRecordLines(join(this.directory, journalFile(this.generation)));
  }

  append(record: JournalRecord): void {
    this.pending.push(JSON.stringify(record));
  }

  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.journalBytes += writeSync(this.fd, text);
  }

  get needsCompaction(): boolean {
    return this.journalBytes > Math.max(COMPACT_AFTER_BYTES, 2 * this.snapshotBytes);
  }

  /** Replaces snapshot and journal by a snapshot of `records` (the full current state). */
  compact(records: Iterable<JournalRecord>): void {
    this.flush();
    const next = this.generation + 1;
    const temporary = join(this.directory, `${SNAPSHOT_FILE}.tmp`);
    const fd = openSync(temporary, 'w');
    let written = 0;
    try {
      let chunk = JSON.stringify({ op: 'snapshot', generation: next } satisfies JournalRecord) + '\n';
      for (const record of records) {
        chunk += JSON.stringify(record) + '\n';
        if (chunk.length >= SNAPSHOT_CHUNK_CHARS) {
          written += writeSync(fd, chunk);
          chunk = '';
        }
      }
      written += writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, join(this.directory, SNAPSHOT_FILE));

    closeSync(this.fd);
    rmSync(join(this.directory, journalFile(this.generation)), { force: true });
    this.generation = next;
    this.fd = openSync(join(this.directory, journalFile(next)), 'a');
    this.journalBytes = 0;
    this.snapshotBytes = written;
    removeStaleJournals(this.directory, next);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
    await this.lock.release();
  }
}

function readSnapshotGeneration(directory: string): number {
  for (const record of readRecordLines(join(directory, SNAPSHOT_FILE))) {
    return record.op === 'snapshot' ? record.generation : 0;
  }
  return 0;
}

function* readRecordLines(path: string): Iterable<JournalRecord> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      continue;
    }
    yield record;
  }
}

function removeStaleJournals(directory: string, generation: number): void {
  for (const name of readdirSync(directory)) {
    const match = /^journal-(\d+)\.jsonl$/.exec(name);
    if (match && Number(match[1]) !== generation) rmSync(join(directory, name), { force: true });
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
