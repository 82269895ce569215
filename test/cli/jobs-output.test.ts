/**
 * The jobs CLI's terminal rules, in process (a spawned CLI never has a TTY): colour
 * only on a TTY and never under NO_COLOR, the `watch` spinner only on a TTY. The API
 * is a real HTTP server on 127.0.0.1 answering as the service would.
 */
import { main, type CliIo } from '../../cli/jobs/program';
import { startReceiver, type Receiver } from '../support/receiver';

const JOB_ID = '6b4a7b4e-3f39-4c55-9a53-1c3c3f0c0a01';
let api: Receiver;
let polls = 0;

beforeAll(async () => {
  api = await startReceiver((request) => {
    if (request.path === '/v1/job-types') return { status: 200, headers: { 'content-type': 'application/json' }, body: { items: [{ type: 'echo', description: 'Returns its payload.', schema: {} }] } };
    if (request.path === `/v1/jobs/${JOB_ID}`) {
      polls++;
      const job = { jobId: JOB_ID, type: 'echo', status: polls < 3 ? 'running' : 'succeeded', attempts: 1, maxAttempts: 5, lastError: null, result: { ok: true }, nextRunAt: null };
      return { status: 200, headers: { 'content-type': 'application/json' }, body: job };
    }
    return { status: 404, headers: { 'content-type': 'application/problem+json' }, body: { type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found', detail: 'No such route.', requestId: 'r-1' } };
  });
});

afterAll(() => api?.close());

function io(tty: boolean, env: Record<string, string> = {}): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { isTTY: tty, write: (text: string) => (out += text) },
    stderr: { isTTY: tty, write: (text: string) => (err += text) },
    env: { JOBS_API_URL: api.url, JOBS_API_KEY: 'k', ...env },
    out: () => out,
    err: () => err,
  };
}

const ESC = '\x1b[';
/** A regular expression from `source`, where ESC stands for the escape character (a literal one in a regex literal is a lint error). */
const withEsc = (source: string) => new RegExp(source.replaceAll('ESC', '\\x1b'));

it('a table on a TTY has colour (a bold header); NO_COLOR and a pipe have none', async () => {
  const tty = io(true);
  expect(await main(['types'], tty)).toBe(0);
  expect(tty.out()).toContain(`${ESC}1mTYPE`);

  const noColor = io(true, { NO_COLOR: '1' });
  expect(await main(['types'], noColor)).toBe(0);
  expect(noColor.out()).toBe('TYPE  DESCRIPTION\necho  Returns its payload.\n');

  const pipe = io(false);
  expect(await main(['types'], pipe)).toBe(0);
  expect(pipe.out()).toBe(noColor.out());
});

it('an empty NO_COLOR does not turn colour off (no-color.org: set and not empty)', async () => {
  const tty = io(true, { NO_COLOR: '' });
  await main(['types'], tty);
  expect(tty.out()).toContain(ESC);
});

it('watch on a TTY draws a spinner line in place, clears it, and colours the outcome', async () => {
  polls = 0;
  const tty = io(true);
  expect(await main(['watch', JOB_ID], tty)).toBe(0);
  expect(tty.err()).toMatch(withEsc(`\\rESC\\[2K.*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏].*job ${JOB_ID} · .*running.* · attempt 1 of 5`));
  expect(tty.err().endsWith('\r\x1b[2K')).toBe(true);
  expect(tty.out().startsWith(`${ESC}32msucceeded${ESC}39m: job ${JOB_ID}`)).toBe(true);

  polls = 0;
  const plain = io(true, { NO_COLOR: '1' });
  expect(await main(['watch', JOB_ID], plain)).toBe(0);
  expect(plain.out()).toBe(`succeeded: job ${JOB_ID} after 1 attempt\nresult: {"ok":true}\n`);
  expect(plain.err()).not.toMatch(withEsc('ESC\\[3\\dm'));
});
