/**
 * An exclusive lock on a data directory that the kernel releases when its
 * holder dies, however it dies: `kill -9`, a crash, a killed process group.
 *
 * A pid file cannot give that: a killed process stays a zombie until reaped
 * and its pid still answers `kill(pid, 0)`, and in containers pids are reused,
 * so a stale file can name a live stranger. The lock is instead a listening
 * unix socket, which exists only while some process holds its fd open:
 * - Linux: a socket in the abstract namespace named after the directory's
 *   realpath (nothing on disk; binding it again gives EADDRINUSE while held).
 *   Its name fills the whole of sun_path, NUL-padded: an abstract name is all
 *   the bytes the address length covers, and libuv 1.46 (Node 20) always passes
 *   sizeof(sockaddr_un) while libuv ≥ 1.48 (Node 22, 24) passes just the name's
 *   length, so a shorter name gives two different sockets, each invisible to the
 *   other version (libuv/libuv#4266). A full-length name is the same 110-byte
 *   address under both rules (and the address Node 20 always bound);
 * - Windows: a named pipe of that name;
 * - elsewhere (macOS): a socket file in the directory (in /tmp, named by the
 *   hash, when the directory's path is too long for a socket); a file left by a
 *   dead holder refuses connections, which tells it from a live one. Two
 *   starters that find the same stale file at the same instant can both take
 *   it; that needs two restarts within milliseconds of each other.
 * Node opens sockets close-on-exec, so no child process inherits the lock.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';

export interface DirectoryLock {
  readonly directory: string;
  /** The socket address held while the lock is: a connect to it succeeds exactly while its holder lives. */
  readonly address: string;
  release(): Promise<void>;
}

export interface LockOptions {
  /** How long to wait for a holder that is stopping before giving up. @default 5000 */
  readonly waitMs?: number;
  /** The sentence of the error when the directory stays held (it gets the directory's path). */
  readonly inUseMessage?: (directory: string, waitedMs: number) => string;
  /** @default the platform's kernel-released kind (abstract on Linux, pipe on Windows, file elsewhere) */
  readonly kind?: LockKind;
}

/** `file` works everywhere; tests use it to check the macOS kind on Linux. */
export type LockKind = 'abstract' | 'pipe' | 'file';

export class DirectoryInUseError extends Error {
  override name = 'DirectoryInUseError';
}

/** The socket file of the `file` kind, inside the directory. */
export const LOCK_SOCKET_FILE = '.lock.sock';

const RETRY_INTERVAL_MS = 100;
const MAX_SOCKET_PATH_BYTES = 100;
/** sizeof(sockaddr_un.sun_path) on Linux; Node refuses a longer abstract name (EINVAL). */
const SUN_PATH_BYTES = 108;

const defaultKind = (): LockKind => (process.platform === 'linux' ? 'abstract' : process.platform === 'win32' ? 'pipe' : 'file');

/** Creates `directory` if missing and locks it, waiting up to `waitMs` for a live holder to let go. */
export async function lockDirectory(directory: string, options: LockOptions = {}): Promise<DirectoryLock> {
  mkdirSync(directory, { recursive: true });
  const real = realpathSync(directory);
  const kind = options.kind ?? defaultKind();
  const address = lockAddress(real, kind);
  const waitMs = options.waitMs ?? 5_000;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const server = await tryListen(address);
    if (server) return heldLock(directory, server, address);
    if (kind === 'file' && !(await answers(address))) {
      // Left by a holder that died: nobody listens behind the file any more.
      rmSync(address, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const message = options.inUseMessage?.(directory, waitMs) ?? `${directory} is in use by another process (waited ${waitMs / 1000} s)`;
      throw new DirectoryInUseError(message);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_INTERVAL_MS));
  }
}

function lockAddress(realDirectory: string, kind: LockKind): string {
  const name = `jobs-twin-lock-${createHash('sha256').update(realDirectory).digest('hex').slice(0, 40)}`;
  if (kind === 'abstract') return `\0${name}`.padEnd(SUN_PATH_BYTES, '\0');
  if (kind === 'pipe') return `\\\\.\\pipe\\${name}`;
  const inDirectory = join(realDirectory, LOCK_SOCKET_FILE);
  // A socket path has a small limit (104 bytes on macOS); a deep directory's lock goes to /tmp under its hash.
  return Buffer.byteLength(inDirectory) <= MAX_SOCKET_PATH_BYTES ? inDirectory : join('/tmp', `${name}.sock`);
}

/** Listens on `address`; undefined when someone else holds it (or, for a file, when the file exists). */
function tryListen(address: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    // A probe that connects (another starter telling a live lock from a stale file) is let go at once.
    const server = createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(error);
    });
    server.listen({ path: address, exclusive: true }, () => {
      // The lock must not keep a process alive that has nothing else to do.
      server.unref();
      resolve(server);
    });
  });
}

/** Whether a live process listens on a socket file (a stale file refuses: ECONNREFUSED). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'));
  });
}

function heldLock(directory: string, server: Server, address: string): DirectoryLock {
  let released: Promise<void> | undefined;
  return {
    directory,
    address,
    release() {
      // Closing a file socket's server also unlinks its file.
      released ??= new Promise((resolve) => server.close(() => resolve()));
      return released;
    },
  };
}
