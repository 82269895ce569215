/**
 * `@redocly/cli lint` (its recommended rules) finds no error in openapi.json.
 * Warnings are allowed: the two components that no operation names (the route
 * 404 and the 405, which the document describes for any path and method) and
 * the public document route having no 4xx.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OPENAPI_PATH } from '../support/openapi-contract';

const run = promisify(execFile);
const REDOCLY = join(__dirname, '..', '..', 'node_modules', '.bin', 'redocly');

it('redocly lint reports no errors in openapi.json', async () => {
  const { stdout } = await run(REDOCLY, ['lint', OPENAPI_PATH, '--format=json'], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    timeout: 60_000,
  });
  const report = JSON.parse(stdout) as { totals: { errors: number }; problems: Array<{ ruleId: string; severity: string; message: string }> };
  expect(report.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
  expect(report.totals.errors).toBe(0);
}, 90_000);
