/**
 * The README's client section, run exactly as printed (issue 13, done-when 3 and
 * 4): its `example.mts` against a running twin, and its `receiver.mts` as a real
 * HTTP server that verifies real deliveries from the twin. Each block is copied
 * from README.md into a project that imports `jobs-service/client` the way another
 * project would (node_modules/jobs-service linked to this repository, as `npm
 * install /path/to/jobs-service` does) and run with tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestTwin, type TestTwin } from '../support/twin';
import { waitFor } from '../support/wait-for';

const ROOT = join(__dirname, '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The ```ts block of README.md whose first line is `// <name>…`. */
function readmeBlock(name: string): string {
  const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
  const found = blocks.filter((block) => block.startsWith(`// ${name}`));
  expect(found).toHaveLength(1);
  return found[0];
}

interface Running {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(file: string, env: Record<string, string>): Running {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [file], { cwd: project, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  children.push(child);
  return { child, output: () => output, exited };
}

let t: TestTwin;
let project: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'readme-client-'));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules', 'jobs-service'), 'dir');
  t = await startTestTwin();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await t?.close();
  rmSync(project, { recursive: true, force: true });
});

it('the client example runs as printed: submit, wait, list, a refused cancel', async () => {
  writeFileSync(join(project, 'example.mts'), readmeBlock('example.mts'));
  const example = run('example.mts', { JOBS_API_URL: t.twin.url, JOBS_API_KEY: t.twin.dev.apiKey });
  expect(await example.exited).toBe(0);
  const jobId = /^submitted (\S+) \(new\)$/m.exec(example.output())?.[1];
  expect(jobId).toBeDefined();
  expect(example.output()).toBe(`submitted ${jobId} (new)\nfinished succeeded {"hello":"world"}\nlisted 1\nrefused 409 job_not_cancelable\n`);
}, 60_000);

it('the webhook receiver verifies a real delivery from the twin, refuses a forged one, drops a repeat', async () => {
  writeFileSync(join(project, 'receiver.mts'), readmeBlock('receiver.mts'));
  const receiver = run('receiver.mts', { JOBS_WEBHOOK_SECRET: t.twin.dev.webhookSecret, PORT: '0' });
  const url = await waitFor(() => /listening on (http:\S+)/.exec(receiver.output())?.[1], { timeoutMs: 30_000, description: 'the receiver listening' });

  const job = await t.api.submit({ type: 'echo', payload: { to: 'the receiver' }, webhookUrl: `${url}/jobs` });
  const delivered = await t.api.waitForJob(job.jobId, (polled) => polled.webhook.status !== 'pending');
  // 204 from the receiver: it verified the signature (it answers 401 otherwise).
  expect(delivered.webhook).toMatchObject({ status: 'delivered', lastStatusCode: 204 });
  await waitFor(() => receiver.output().includes(`job.succeeded ${job.jobId} succeeded\n`), { description: 'the receiver printing the event' });

  // The same event again (same webhook-id): verified, answered 204, not printed twice.
  expect((await t.api.request('POST', `/v1/jobs/${job.jobId}/webhook/redeliver`)).status).toBe(202);
  await t.api.waitForJob(job.jobId, (polled) => polled.webhook.status === 'delivered' && polled.webhook.deliveredAt !== delivered.webhook.deliveredAt);

  const body = JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: delivered });
  const forged = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,bm90IGEgc2lnbmF0dXJl' },
    body,
  });
  expect(forged.status).toBe(401);
  expect(receiver.output().split('\n').filter((line) => line.startsWith('job.'))).toEqual([`job.succeeded ${job.jobId} succeeded`]);
}, 60_000);
