/**
 * What a tool sees of a data directory, run on a Node of the test's choosing
 * (test/local/lock-across-node-versions.test.ts):
 * `<node> --import tsx test/support/lock-probe.ts <dir>` prints one JSON line:
 * `node` (its version), `twin` (the apiUrl the CLIs' findRunningTwin finds, or
 * null when it finds none) and `lock` ("held" when lockDirectory refuses the
 * directory at once, as a second `npm start` would be refused; "taken" when it
 * got the lock, released before exiting).
 */
import { findRunningTwin, TwinNotFoundError } from '../../cli/twin-file';
import { DirectoryInUseError, lockDirectory } from '../../local/directory-lock';

async function probe(directory: string): Promise<void> {
  let twin: string | null = null;
  try {
    twin = (await findRunningTwin({ JOBS_DATA_DIR: directory })).info.apiUrl ?? null;
  } catch (error) {
    if (!(error instanceof TwinNotFoundError)) throw error;
  }
  let lock: 'held' | 'taken';
  try {
    await (await lockDirectory(directory, { waitMs: 0 })).release();
    lock = 'taken';
  } catch (error) {
    if (!(error instanceof DirectoryInUseError)) throw error;
    lock = 'held';
  }
  process.stdout.write(`${JSON.stringify({ node: process.version, twin, lock })}\n`);
}

probe(process.argv[2] ?? '').catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
