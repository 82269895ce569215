/**
 * The web console's build (SPEC §16): the page's three files, made at build
 * time by esbuild from this folder — `index.html` as written, `console.js`
 * (./app/main.ts and the typed client it uses, bundled and minified into one
 * script: no inline script, nothing fetched from outside) and `console.css`.
 *
 * One definition, two readers: the twin builds the files in memory as it starts
 * (local/twin.ts), and the CDK writes them beside the api Lambda's bundle
 * (lib/handler-function.ts), which serves them from there. esbuild's output
 * depends only on its input and options, so both serve the same bytes
 * (test/bundles/console-assets.test.ts compares them).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, buildSync, type BuildOptions, type OutputFile } from 'esbuild';
import type { ConsoleFileName } from '../lambdas/api/console-site';


/** The console's files by name, each with its bytes. */
export type ConsoleAssets = ReadonlyMap<ConsoleFileName, Uint8Array>;

const CONSOLE_DIR = __dirname;

function buildOptions(): BuildOptions {
  return {
    entryPoints: { console: join(CONSOLE_DIR, 'app', 'main.ts'), 'console-style': join(CONSOLE_DIR, 'console.css') },
    absWorkingDir: join(CONSOLE_DIR, '..'),
    outdir: '/console-build',
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    // No source map: a comment pointing at a file nobody serves would only make the browser ask for it.
    sourcemap: false,
    charset: 'utf8',
    logLevel: 'warning',
    tsconfig: join(CONSOLE_DIR, 'tsconfig.json'),
  };
}

function assetsFrom(outputFiles: readonly OutputFile[]): ConsoleAssets {
  const byExtension = (extension: string) => {
    const file = outputFiles.find((output) => output.path.endsWith(extension));
    if (!file) throw new Error(`The console build made no ${extension} file.`);
    return file.contents;
  };
  return new Map<ConsoleFileName, Uint8Array>([
    ['index.html', readFileSync(join(CONSOLE_DIR, 'index.html'))],
    ['console.js', byExtension('.js')],
    ['console.css', byExtension('.css')],
  ]);
}

/** Builds the console's files in memory (the twin, as it starts). */
export async function buildConsoleAssets(): Promise<ConsoleAssets> {
  return assetsFrom((await build(buildOptions())).outputFiles ?? []);
}

/** Builds the console's files into `dir` (the CDK, bundling the api Lambda: synthesis is synchronous). */
export function writeConsoleAssetsSync(dir: string): void {
  const assets = assetsFrom(buildSync(buildOptions()).outputFiles ?? []);
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of assets) writeFileSync(join(dir, name), bytes);
}
