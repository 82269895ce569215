/**
 * Small files of the twin (dev-tenant.json, twin.json) written so that a
 * `kill -9` at any instant leaves either the old file or the new one, never an
 * empty or torn one: a temporary file in the same directory, fsynced, renamed
 * over the target (rename is atomic within a file system), then the directory
 * fsynced so the rename itself is on disk.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomically(path: string, text: string, mode = 0o644): void {
  // Hidden and unique: a reader listing the directory ignores it, two writers never share it.
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temporary, 'wx', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncDirectory(dirname(path));
}

/**
 * The parsed JSON of a file, or undefined when it is missing or not whole JSON
 * (a file written by an older version without the rename, cut by a crash).
 */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform lets a directory be opened or fsynced (Windows); the rename stands anyway.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
