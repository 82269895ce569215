/**
 * The `jobs` CLI as a user runs it (issue 13, done-when 1): the package bin spawned
 * as a real process against a running twin, found from the twin's data dir
 * (twin.json and dev-tenant.json) as on a fresh clone, or named by flags and
 * environment. Exit codes per SPEC §15: 0 ok, 1 the watched job ended fatal or
 * canceled, 2 usage, 3 API error, 4 network error.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestTwin, type TestTwin } from '../support/twin';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: { jobs: string } }).bin.jobs);

let t: TestTwin;
let dataDir: string;
let target: Receiver;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'jobs-cli-'));
  // Persisted on a data dir, so the twin writes twin.json and dev-tenant.json there, as `npm start` does.
  t = await startTestTwin({ env: { JOBS_IN_MEMORY: '0', JOBS_DATA_DIR: dataDir } });
  target = await startReceiver((request) => ({ status: request.path === '/fail' ? 400 : 200, body: 'ok' }));
}, 60_000);

afterAll(async () => {
  await target?.close();
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The package bin with `args`, the twin found from JOBS_DATA_DIR unless `env` names an API. */
function jobs(args: readonly string[], env: Record<string, string> = {}, command: readonly string[] = [process.execPath, BIN]): Promise<Run> {
  const { JOBS_API_URL: _url, JOBS_API_KEY: _key, NO_COLOR: _noColor, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(command[0], [...command.slice(1), ...args], { cwd: ROOT, env: { ...inherited, JOBS_DATA_DIR: dataDir, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const json = (run: Run) => JSON.parse(run.stdout);
const jobIdIn = (text: string) => /job ([0-9a-f-]{36})/.exec(text)![1];

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('finding the API', () => {
  it('`npm run jobs -- types` on a running twin needs no URL or key: twin.json and dev-tenant.json of the data dir', async () => {
    const run = await jobs(['types'], {}, ['npm', 'run', '--silent', 'jobs', '--']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^TYPE\s+DESCRIPTION\n/);
    expect(run.stdout).toMatch(/^echo\s+Returns its payload/m);
  });

  it('--api-url/--api-key, or JOBS_API_URL/JOBS_API_KEY, name another API', async () => {
    const byFlags = await jobs(['--api-url', t.twin.url, '--api-key', 'jobs_not-a-key', 'types']);
    expect(byFlags.code).toBe(3);
    expect(byFlags.stderr).toMatch(/^error: 403 forbidden: .+\nrequest id: \S+\n$/);
    const byEnv = await jobs(['types', '--json'], { JOBS_API_URL: t.twin.url, JOBS_API_KEY: t.twin.dev.apiKey, JOBS_DATA_DIR: join(dataDir, 'none') });
    expect(byEnv.code).toBe(0);
    expect(json(byEnv).items.map((item: { type: string }) => item.type)).toContain('echo');
  });

  it('no API and no twin: exit 2 saying what to do', async () => {
    const run = await jobs(['types'], { JOBS_DATA_DIR: join(dataDir, 'none') });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--api-url.*JOBS_API_URL.*npm start/s);
  });

  it('a network error names the URL it tried: exit 4', async () => {
    const port = await closedPort();
    const run = await jobs(['get', '00000000-0000-4000-8000-000000000000'], { JOBS_API_URL: `http://127.0.0.1:${port}`, JOBS_API_KEY: 'k' });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`error: network: GET http://127.0.0.1:${port}/v1/jobs/00000000-0000-4000-8000-000000000000 failed (ECONNREFUSED)`);
  });
});

describe('submit', () => {
  it('with --idempotency-key: submitted, then replayed (same job); a different body is 422 idempotency_key_reused, exit 3', async () => {
    const first = await jobs(['submit', '--type', 'echo', '--payload', '{"order":1}', '--idempotency-key', 'cli-order-1']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^submitted job [0-9a-f-]{36} {2}echo {2}queued\n$/);
    const again = await jobs(['submit', '--type', 'echo', '--payload', '{"order":1}', '--idempotency-key', 'cli-order-1']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^replayed job [0-9a-f-]{36} {2}echo {2}\w+ {2}\(idempotency key cli-order-1\)\n$/);
    expect(jobIdIn(again.stdout)).toBe(jobIdIn(first.stdout));
    const reused = await jobs(['submit', '--type', 'echo', '--payload', '{"order":2}', '--idempotency-key', 'cli-order-1']);
    expect(reused.code).toBe(3);
    expect(reused.stdout).toBe('');
    expect(reused.stderr).toMatch(/^error: 422 idempotency_key_reused: .*different request.*\nrequest id: \S+\n$/i);
  });

  it('--watch follows the job to succeeded: exit 0, the result on stdout, progress on stderr', async () => {
    const payloadFile = join(dataDir, 'payload.json');
    writeFileSync(payloadFile, '{"from":"a file"}');
    const run = await jobs(['submit', '--type', 'echo', '--payload', `@${payloadFile}`, '--watch']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^succeeded: job [0-9a-f-]{36} after 1 attempt\nresult: \{"from":"a file"\}\n$/);
    expect(run.stderr).toMatch(/^submitted job [0-9a-f-]{36} \(echo\)\n/);
    expect(run.stderr).toMatch(/· succeeded · attempt 1 of 5\n$/);
    // Not a TTY: no escape codes at all (no spinner, no colour).
    expect(run.stdout + run.stderr).not.toContain('\x1b');
  });

  it('--watch on a job that ends fatal: exit 1, with the last error', async () => {
    const payload = JSON.stringify({ url: `${target.url}/fail` });
    const run = await jobs(['submit', '--type', 'http', '--payload', payload, '--max-attempts', '2', '--watch']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^fatal: job [0-9a-f-]{36} after 1 attempt\nlast error: .*400/);
    expect(run.stderr).toMatch(/· fatal · attempt 1 of 2 · last error: .*400/);
  });

  it('--webhook-url, --run-at and --max-attempts reach the API as the job fields', async () => {
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const run = await jobs(['submit', '--type', 'echo', '--payload', '{}', '--webhook-url', `${target.url}/hook`, '--run-at', runAt, '--max-attempts', '3', '--json']);
    expect(run.code).toBe(0);
    expect(json(run)).toMatchObject({ webhookUrl: `${target.url}/hook`, nextRunAt: runAt, maxAttempts: 3, status: 'queued' });
    await t.api.cancel(json(run).jobId);
  });

  it('--json prints the API job as is; --watch --json the finished job', async () => {
    const submitted = await jobs(['submit', '--type', 'echo', '--payload', '{"j":1}', '--json']);
    expect(submitted.code).toBe(0);
    const job = json(submitted);
    expect(job).toMatchObject({ type: 'echo', payload: { j: 1 }, status: 'queued' });
    const watched = await jobs(['watch', job.jobId, '--json']);
    expect(watched.code).toBe(0);
    expect(json(watched)).toMatchObject({ jobId: job.jobId, status: 'succeeded', result: { j: 1 } });
    const got = await jobs(['get', job.jobId, '--json']);
    expect(json(got)).toEqual(await t.api.getJob(job.jobId));
  });

  it.each([
    ['a payload that is not JSON', ['submit', '--type', 'echo', '--payload', '{nope'], /--payload is not JSON/],
    ['both --run-at and --delay', ['submit', '--type', 'echo', '--payload', '{}', '--run-at', '2030-01-01T00:00:00.000Z', '--delay', '5'], /--run-at or --delay, not both/],
    ['no --type', ['submit', '--payload', '{}'], /required option '--type <type>'/],
    ['a --max-attempts that is no number', ['submit', '--type', 'echo', '--payload', '{}', '--max-attempts', 'x'], /--max-attempts.*not a positive integer/],
  ])('usage error (%s): exit 2 with the command help', async (_name, args, message) => {
    const run = await jobs(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Usage: jobs submit [options]');
  });

  it('a validation problem from the API: exit 3 with code, detail, each field and the request id', async () => {
    const run = await jobs(['submit', '--type', 'echo', '--payload', '{}', '--delay', '9999999']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: 400 validation_failed: .+\n {2}delaySeconds: .+\nrequest id: \S+\n$/);
  });
});

describe('list, get, attempts, types', () => {
  it('list --all follows every page; without it, one page and a hint; tables aligned', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.api.submit({ type: 'echo', payload: { list: i } })).jobId);
    for (const id of ids) await t.api.waitForJob(id, ['succeeded']);
    const all = await jobs(['list', '--status', 'succeeded', '--type', 'echo', '--limit', '2', '--all', '--json']);
    expect(all.code).toBe(0);
    const listed = json(all);
    expect(listed.nextCursor).toBeNull();
    expect(listed.items.map((job: { jobId: string }) => job.jobId)).toEqual(expect.arrayContaining(ids));
    expect(listed.items.length).toBe((await t.api.listAll('succeeded')).filter((job) => job.type === 'echo').length);

    const page = await jobs(['list', '--status', 'succeeded', '--limit', '2']);
    expect(page.code).toBe(0);
    const lines = page.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^JOB {35}TYPE {2}STATUS {5}ATTEMPTS {2}CREATED {19}LAST ERROR$/);
    for (const line of lines.slice(1)) {
      expect(line.indexOf('succeeded')).toBe(lines[0].indexOf('STATUS'));
      expect(line.indexOf('1 of 5')).toBe(lines[0].indexOf('ATTEMPTS'));
    }
    expect(page.stderr).toMatch(/^more: --all for every page, or --cursor \S+\n$/);
  });

  it('get and attempts, human and --json', async () => {
    const job = await t.api.submit({ type: 'echo', payload: { shown: true } });
    await t.api.waitForJob(job.jobId, ['succeeded']);
    const got = await jobs(['get', job.jobId]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^job: +${job.jobId}\\n`));
    expect(got.stdout).toMatch(/^status: +succeeded$/m);
    expect(got.stdout).toMatch(/^payload: +\{"shown":true\}$/m);
    const attempts = await jobs(['attempts', job.jobId]);
    expect(attempts.stdout).toMatch(/^ATTEMPT {2}STATUS +STARTED +DURATION +ERROR\n1 +succeeded +\S+Z +\d+ ms\n$/);
    expect(json(await jobs(['attempts', job.jobId, '--json']))).toEqual({ items: await t.api.attempts(job.jobId) });
  });

  it('get of no such job: exit 3 with 404 job_not_found', async () => {
    const run = await jobs(['get', '00000000-0000-4000-8000-000000000000']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^error: 404 job_not_found: .+\nrequest id: \S+\n$/);
  });

  it('list without --status, or an unknown command: exit 2 with the help', async () => {
    const list = await jobs(['list']);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("required option '--status <status>' not specified");
    expect(list.stderr).toContain('Usage: jobs list [options]');
    const unknown = await jobs(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const help = await jobs(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Commands:[\s\S]*submit[\s\S]*redeliver[\s\S]*watch[\s\S]*types/);
    const helpSubmit = await jobs(['help', 'submit']);
    expect(helpSubmit.code).toBe(0);
    expect(helpSubmit.stdout).toContain('--idempotency-key <key>');
    const nothing = await jobs([]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('Usage: jobs [options] [command]');
  });
});

describe('acting on jobs', () => {
  it('cancel, cancel again (409, exit 3), retry, watch, delete, get (404), with --json on each', async () => {
    const submitted = await jobs(['submit', '--type', 'echo', '--payload', '{"act":1}', '--delay', '3600']);
    const id = jobIdIn(submitted.stdout);
    const canceled = await jobs(['cancel', id]);
    expect(canceled).toMatchObject({ code: 0, stdout: `canceled job ${id}  canceled\n` });
    const again = await jobs(['cancel', id]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^error: 409 job_not_cancelable: .+\nrequest id: \S+\n$/);
    const retried = await jobs(['retry', id, '--json']);
    expect(retried.code).toBe(0);
    expect(json(retried)).toMatchObject({ jobId: id, status: 'queued' });
    const watched = await jobs(['watch', id]);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^succeeded: job /);
    const deleted = await jobs(['delete', id]);
    expect(deleted).toMatchObject({ code: 0, stdout: `deleted job ${id}\n` });
    const gone = await jobs(['get', id]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/404 job_not_found/);
  });

  it('watch a canceled job: exit 1', async () => {
    const job = await t.api.submit({ type: 'echo', payload: {}, delaySeconds: 3600 });
    await t.api.cancel(job.jobId);
    const run = await jobs(['watch', job.jobId]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^canceled: job /);
  });

  it('redeliver: the webhook of a finished job again; 409 webhook_not_redeliverable without a webhook', async () => {
    const job = await t.api.submit({ type: 'echo', payload: {}, webhookUrl: `${target.url}/hook` });
    await t.api.waitForJob(job.jobId, (polled) => polled.webhook.status === 'delivered');
    const run = await jobs(['redeliver', job.jobId]);
    expect(run).toMatchObject({ code: 0, stdout: `redelivering the webhook of job ${job.jobId}  succeeded  webhook pending\n` });
    const plain = await t.api.submit({ type: 'echo', payload: {} });
    await t.api.waitForJob(plain.jobId, ['succeeded']);
    const refused = await jobs(['redeliver', plain.jobId, '--json']);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: 409 webhook_not_redeliverable: /);
  });
});

it('429 rate_limited: the CLI waits Retry-After between tries, then exit 3 with code, detail and Retry-After', async () => {
  const throttled = await startTestTwin({ env: { API_RATE_LIMIT_PER_SECOND: '0.001', API_BURST_LIMIT: '1' } });
  try {
    await throttled.api.request('GET', '/v1/job-types');
    const run = await jobs(['types'], { JOBS_API_URL: throttled.twin.url, JOBS_API_KEY: throttled.twin.dev.apiKey });
    expect(run.code).toBe(3);
    expect(run.stderr.match(/^retrying GET \S+ in 1000 ms \(429 rate_limited\)$/gm)).toHaveLength(3);
    expect(run.stderr).toMatch(/error: 429 rate_limited: .+\nretry after: 1 s\nrequest id: \S+\n$/);
  } finally {
    await throttled.close();
  }
});
