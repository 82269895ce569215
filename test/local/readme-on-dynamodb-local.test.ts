/**
 * Issue 12, done-when 3: `JOBS_DYNAMODB_ENDPOINT=<DynamoDB Local> npm start`
 * serves the README's curl walk-through. The commands are read from the
 * README and run as printed, by `sh` and the real `curl`, against `npm start`
 * on AWS's own DynamoDB Local; then a second `npm start` on the same DynamoDB
 * (and a fresh data dir) finds the table, the dev tenant and the job again.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal, type DynamoDbLocal } from '../support/dynamodb-local';
import { startNpmStart, type NpmStart } from '../support/npm-start';
import { ApiClient } from '../support/twin';

const run = promisify(execFile);
const README = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

/** The walk-through section: the start command's variables and the steps, each a `# comment` and its commands. */
function walkThrough() {
  const section = README.split(/^## A walk-through with curl$/m)[1].split(/^## /m)[0];
  const [start, commands] = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const startEnv = Object.fromEntries([...start.matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  const [preamble, ...steps] = commands.split(/\n(?=# )/);
  return { startEnv, preamble: preamble, steps: steps.map((step) => ({ title: step.split('\n')[0].slice(2), script: step })) };
}

interface Answer {
  status: number;
  body: any;
}

/** Runs a step's commands as printed (after the preamble), with `<jobId>` as `$JOB`; every curl also reports its status. */
async function runStep(api: string, preamble: string, script: string, job: string): Promise<Answer[]> {
  const shell = [
    preamble,
    `API=${api}`,
    `JOB=${job}`,
    `curl() { command curl -w '\\n@@status %{http_code}\\n' "$@"; }`,
    script.replaceAll('<jobId>', '$JOB'),
  ].join('\n');
  const { stdout } = await run('sh', ['-c', shell], { timeout: 30_000 });
  return [...stdout.matchAll(/([\s\S]*?)\n@@status (\d{3})\n/g)].map((m) => {
    const text = m[1].trim();
    return { status: Number(m[2]), body: text === '' ? undefined : JSON.parse(text) };
  });
}

let dynamodbLocal: DynamoDbLocal;
const dataDirs: string[] = [];
let twin: NpmStart | undefined;

const startOn = async (env: Record<string, string>) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobs-readme-'));
  dataDirs.push(dataDir);
  twin = await startNpmStart({ ...env, JOBS_DATA_DIR: dataDir, JOBS_DYNAMODB_ENDPOINT: dynamodbLocal.url }, 90_000);
  return twin;
};

beforeAll(async () => {
  dynamodbLocal = await startDynamoDbLocal();
}, 120_000);

afterAll(async () => {
  twin?.killGroup();
  await dynamodbLocal?.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

it("serves the README's curl walk-through on DynamoDB Local, and a restart finds everything there", async () => {
  const { startEnv, preamble, steps } = walkThrough();
  expect(startEnv.JOBS_DEV_API_KEY).toBeDefined();
  const first = await startOn(startEnv);
  expect(first.output()).toMatch(new RegExp(`DynamoDB endpoint\\s+${dynamodbLocal.url}\\s+\\(table jobs; yours: JOBS_DYNAMODB_ENDPOINT\\)`));
  const api = new ApiClient(first.url, startEnv.JOBS_DEV_API_KEY);

  // What each step of the README answers (a step the README adds without an entry here fails the test).
  let echoJob = '';
  let httpJob = '';
  const expectations: Record<string, (answers: Answer[]) => Promise<void> | void> = {
    'Submit a job': async ([created]) => {
      expect(created).toMatchObject({ status: 202, body: { type: 'echo', status: 'queued' } });
      echoJob = created.body.jobId;
      // "Repeat it with the same Idempotency-Key": the same job, 200.
      const [again] = await runStep(first.url, preamble, steps[0].script, '');
      expect(again).toMatchObject({ status: 200, body: { jobId: echoJob } });
      await api.waitForJob(echoJob, ['succeeded']);
    },
    'Read it': ([read]) => expect(read).toMatchObject({ status: 200, body: { jobId: echoJob, status: 'succeeded', payload: { hello: 'world' } } }),
    'Its attempts': ([attempts]) => expect(attempts).toMatchObject({ status: 200, body: { items: [{ attempt: 1 }] } }),
    'List by status': ([list]) => {
      expect(list.status).toBe(200);
      expect(list.body.items.map((job: { jobId: string }) => job.jobId)).toContain(echoJob);
    },
    'An HTTP job': ([created]) => {
      expect(created).toMatchObject({ status: 202, body: { type: 'http', status: 'queued' } });
      httpJob = created.body.jobId;
    },
    // Canceled while it waits, retried (queued again, due now), then refused deletion: it is waiting or running again.
    'Cancel it': (answers) => expect(answers.map((a) => [a.status, a.body?.code ?? a.body?.status])).toEqual([
      [200, 'canceled'],
      [202, 'queued'],
      [409, 'job_not_deletable'],
    ]),
    'The registered job types': ([types]) => {
      expect(types.status).toBe(200);
      expect(JSON.stringify(types.body)).toContain('"echo"');
    },
  };
  for (const step of steps) {
    const expectation = Object.entries(expectations).find(([prefix]) => step.title.startsWith(prefix))?.[1];
    if (!expectation) throw new Error(`README step "${step.title}" has no expectation in this test`);
    await expectation(await runStep(first.url, preamble, step.script, step.title.startsWith('Cancel it') ? httpJob : echoJob));
  }
  await first.stop();
  twin = undefined;

  // Stopped: the table is still on DynamoDB Local; a new twin (new data dir, same key) serves the same job.
  const db = dynamodbLocal.client();
  expect((await db.send(new ListTablesCommand({}))).TableNames).toEqual(['jobs']);
  db.destroy();
  const second = await startOn(startEnv);
  expect(await new ApiClient(second.url, startEnv.JOBS_DEV_API_KEY).getJob(echoJob)).toMatchObject({ status: 'succeeded' });
  await second.stop();
  twin = undefined;
}, 240_000);
