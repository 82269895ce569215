/**
 * How a tool finds the running local twin: the `twin.json` it writes to its data
 * dir (`JOBS_DATA_DIR`, default `.data`) while it runs, and the dev tenant's
 * `dev-tenant.json` beside it. The twin's public surface, read without loading
 * local/ (the tenants CLI and the jobs CLI both use it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/** What a running twin writes to `<data dir>/twin.json`. */
export interface TwinInfo {
  readonly apiUrl?: string;
  readonly dynamodbUrl?: string;
  readonly sqsUrl?: string;
  readonly tableName?: string;
  /** The socket address of the twin's data-directory lock (local/directory-lock.ts): it answers only while the twin lives. */
  readonly lockAddress?: string;
}

export class TwinNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwinNotFoundError';
  }
}

export function dataDirOf(env: NodeJS.ProcessEnv): string {
  return resolve(env.JOBS_DATA_DIR || '.data');
}

/** The running twin's `twin.json` (and where it was read); TwinNotFoundError when no twin runs on the data dir. */
export async function findRunningTwin(env: NodeJS.ProcessEnv): Promise<{ readonly info: TwinInfo; readonly file: string }> {
  const file = join(dataDirOf(env), 'twin.json');
  if (!existsSync(file)) throw new TwinNotFoundError(`no local twin found (${file} is missing): start it with \`npm start\``);
  const info = readJson(file) as TwinInfo;
  // A twin killed with -9 leaves its twin.json behind: only its data-directory lock, answering, says one runs.
  if (!info.lockAddress || !(await answers(info.lockAddress))) {
    throw new TwinNotFoundError(
      `no local twin is running on ${dirname(file)} (its twin.json is left from one that stopped without cleaning up): start it with \`npm start\``,
    );
  }
  return { info, file };
}

/** The dev tenant's API key the twin keeps in `<data dir>/dev-tenant.json` (SPEC §8), if any. */
export function devTenantApiKey(env: NodeJS.ProcessEnv): string | undefined {
  const saved = readJson(join(dataDirOf(env), 'dev-tenant.json')) as { apiKey?: unknown };
  return typeof saved.apiKey === 'string' ? saved.apiKey : undefined;
}

/** The file's JSON object; an empty one when it is missing or no JSON (the twin writes it whole, so only a stranger's file would be). */
function readJson(file: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Whether a live process listens on `address` (a socket path, an abstract name or a pipe). */
function answers(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectSocket({ path: address });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
