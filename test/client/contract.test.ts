/**
 * The client cannot drift from the API (issue 13): its types are generated from
 * openapi.json by openapi-typescript (`npm run openapi` writes both), this test
 * fails while client/openapi-types.ts is not what the document generates, and the
 * client compiles as a browser sees it (no Node types). That every operation has a
 * client method is checked end to end in ./jobs-client.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

describe('client/ and openapi.json', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'client-types-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('client/openapi-types.ts is what openapi-typescript generates from openapi.json (run `npm run openapi`)', async () => {
    const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.openapi as string;
    const generator = script.split('&&')[1].trim().split(/\s+/);
    expect(generator.slice(0, 2)).toEqual(['openapi-typescript', 'openapi.json']);
    const output = join(dir, 'openapi-types.ts');
    const args = generator.slice(2).map((arg) => (arg === 'client/openapi-types.ts' ? output : arg));
    await run(bin('openapi-typescript'), ['openapi.json', ...args], { cwd: ROOT, timeout: 60_000 });
    expect(readFileSync(join(ROOT, 'client', 'openapi-types.ts'), 'utf8')).toBe(readFileSync(output, 'utf8'));
  });

  it('compiles for a browser: DOM types only, no Node types (client/tsconfig.json)', async () => {
    await expect(run(bin('tsc'), ['-p', join(ROOT, 'client', 'tsconfig.json')], { cwd: ROOT, timeout: 120_000 })).resolves.toBeDefined();
  });

  it('bundles for a browser with its dependencies (esbuild, platform browser: a Node built-in anywhere fails the build)', async () => {
    const result = await build({ entryPoints: [join(ROOT, 'client', 'index.ts')], bundle: true, platform: 'browser', format: 'esm', minify: true, write: false, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const bundle = result.outputFiles[0].text;
    expect(bundle).toContain('x-api-key');
    expect(bundle).not.toMatch(/\bnode:/);
  });
});
