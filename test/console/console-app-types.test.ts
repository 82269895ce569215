/**
 * The console's code as a browser gets it (SPEC §16): console/app/ compiles with the
 * DOM's types and no Node types (console/tsconfig.json; the root tsconfig, which has
 * Node's and no DOM, leaves console/ out), and bundles for a browser into one small
 * script that parses no HTML.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const CONSOLE = join(ROOT, 'console');

describe('console/app', () => {
  it('compiles for a browser: DOM types only, no Node types (console/tsconfig.json)', async () => {
    await expect(run(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(CONSOLE, 'tsconfig.json')], { cwd: ROOT, timeout: 120_000 })).resolves.toBeDefined();
  });

  it('bundles for a browser into a script that writes no HTML, small enough to load at once', async () => {
    // Arrange: the options console/build.ts uses for the page's script.
    const bundle = async (entry: string) => {
      const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: true, write: false, logLevel: 'silent', tsconfig: join(CONSOLE, 'tsconfig.json') });
      expect(result.errors).toEqual([]);
      return result.outputFiles[0].text;
    };

    // Act
    const script = await bundle(join(CONSOLE, 'app', 'main.ts'));
    const style = await bundle(join(CONSOLE, 'console.css'));

    // Assert: the client is in it; no Node built-in, no HTML-string API (eslint.config.mjs forbids
    // them in our code; this catches a dependency too), no webhook verifier (a server's concern).
    expect(script).toContain('x-api-key');
    expect(script).not.toMatch(/\bnode:/);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/);
    expect(script).not.toContain('webhook-signature');
    // 14.8 KB gzip when written (script 12.1, style 2.7); the budget leaves room to grow, not to double.
    const gzipBytes = gzipSync(script).length + gzipSync(style).length;
    expect(gzipBytes).toBeLessThan(24_000);
  });
});
