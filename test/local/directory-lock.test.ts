/**
 * The data-directory lock (local/directory-lock.ts), in both kinds that run on
 * Linux: the abstract socket (Linux's default) and the socket file (the macOS
 * default). Held means held, in this process and in another; a holder's death
 * frees it at once, even while the holder is an unreaped zombie.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryInUseError, LOCK_SOCKET_FILE, lockDirectory, type LockKind } from '../../local/directory-lock';
import { killIntoZombie, processState, reapAll, startUnreapedHolder } from '../support/unreaped-holder';

const root = mkdtempSync(join(tmpdir(), 'jobs-directory-lock-'));
let count = 0;
const newDirectory = () => join(root, `data-${++count}`);

afterEach(reapAll);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each<LockKind>(['abstract', 'file'])('a %s lock', (kind) => {
  it('refuses a second holder in the same process after the wait, naming the directory, and is free after release', async () => {
    // Arrange
    const directory = newDirectory();
    const first = await lockDirectory(directory, { kind });

    // Act
    const second = lockDirectory(directory, { kind, waitMs: 300 });

    // Assert
    await expect(second).rejects.toThrow(DirectoryInUseError);
    await expect(lockDirectory(directory, { kind, waitMs: 0 })).rejects.toThrow(directory);
    await first.release();
    const third = await lockDirectory(directory, { kind, waitMs: 0 });
    await third.release();
  });

  it('is the same lock through a symlink to the directory, and another lock for another directory', async () => {
    // Arrange
    const directory = newDirectory();
    mkdirSync(directory);
    const alias = `${directory}-alias`;
    symlinkSync(directory, alias);
    const held = await lockDirectory(directory, { kind });

    // Act / Assert
    await expect(lockDirectory(alias, { kind, waitMs: 0 })).rejects.toThrow(DirectoryInUseError);
    const other = await lockDirectory(newDirectory(), { kind, waitMs: 0 });
    await other.release();
    await held.release();
  });

  it('is held by another live process, and free the moment that process is killed, while it is still a zombie', async () => {
    // Arrange
    const directory = newDirectory();
    const holder = await startUnreapedHolder(`lock-${kind}`, directory);
    await expect(lockDirectory(directory, { kind, waitMs: 0 })).rejects.toThrow(DirectoryInUseError);

    // Act
    await killIntoZombie(holder);
    const lock = await lockDirectory(directory, { kind, waitMs: 0 });

    // Assert
    expect(processState(holder)).toBe('Z');
    await lock.release();
  });
});

it('a socket-file lock removes its file on release', async () => {
  const directory = newDirectory();
  const lock = await lockDirectory(directory, { kind: 'file' });
  expect(existsSync(join(directory, LOCK_SOCKET_FILE))).toBe(true);
  await lock.release();
  expect(existsSync(join(directory, LOCK_SOCKET_FILE))).toBe(false);
});

it('a socket-file lock on a directory too deep for a socket path still locks it', async () => {
  // Arrange: a realpath longer than the 104 bytes macOS allows in a socket address
  const directory = join(newDirectory(), 'x'.repeat(60), 'y'.repeat(60));
  const held = await lockDirectory(directory, { kind: 'file' });

  // Act / Assert
  await expect(lockDirectory(directory, { kind: 'file', waitMs: 0 })).rejects.toThrow(DirectoryInUseError);
  await held.release();
  const again = await lockDirectory(directory, { kind: 'file', waitMs: 0 });
  await again.release();
});
