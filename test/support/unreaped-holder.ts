/**
 * Zombies on purpose, for lock tests: `sh -c '<holder> & exec sleep 60'` makes
 * `sleep` the parent of a process that holds a data directory, and `sleep` never
 * reaps a child, so once killed the holder stays a zombie (state Z in /proc:
 * dead, its fds closed, its pid still taken and answering `kill(pid, 0)`) until
 * `reapAll()` kills `sleep` and init reaps it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from './wait-for';

const repositoryRoot = resolve(__dirname, '..', '..');
const parents: ChildProcess[] = [];

/** The state letter of /proc/<pid>/stat (R, S, Z…), or undefined once the process is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.lastIndexOf(')') + 2;
    return stat.slice(afterName, afterName + 1);
  } catch {
    return undefined;
  }
}

/** Starts `test/support/data-dir-holder.ts <kind> <dir>` under a parent that never reaps it; resolves with its pid once it holds. */
export async function startUnreapedHolder(kind: string, directory: string): Promise<number> {
  const parent = spawn('sh', ['-c', '"$0" --import tsx test/support/data-dir-holder.ts "$1" "$2" & exec sleep 60', process.execPath, kind, directory], {
    cwd: repositoryRoot,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  parents.push(parent);
  return new Promise<number>((resolvePid, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${kind} holder did not start`)), 20_000);
    createInterface({ input: parent.stdout }).on('line', (line) => {
      const match = /^holding (\d+)$/.exec(line);
      if (!match) return;
      clearTimeout(timer);
      resolvePid(Number(match[1]));
    });
  });
}

/** How many threads /proc says the process still has. */
function threadCount(pid: number): number | undefined {
  try {
    return Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/**
 * Kills the holder with SIGKILL and waits until it is all zombie: the main
 * thread turns Z while Node's other threads are still exiting (they share the
 * fds), so it also waits for those to be gone.
 */
export async function killIntoZombie(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(() => processState(pid) === 'Z' && threadCount(pid) === 1, { timeoutMs: 5_000, description: `process ${pid} a zombie` });
}

/** A live process that is none of ours to lock with (its pid stands for a reused one). */
export function startUnrelatedProcess(): number {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  parents.push(sleeper);
  return sleeper.pid!;
}

/** Kills the parents; init reaps the zombies they leave. */
export function reapAll(): void {
  for (const parent of parents.splice(0)) parent.kill('SIGKILL');
}
