/**
 * Lambda bundles: each entry point bundled with esbuild as the stack bundles it
 * (lib/handler-function.ts: ESM, minified, source maps without sources, target
 * node24, the AWS SDK inside), and once more with `@aws-sdk/*` left to the
 * runtime, the alternative the stack offers (`bundleAwsSdk: false`).
 * For each: its size, and its cold import time in a fresh `node` (median of N),
 * with the environment the stack gives the functions.
 *
 * The bundles go to a temporary directory whose `node_modules` links to the
 * project's, so an SDK-external bundle finds `@aws-sdk/*` as it would find the
 * runtime's copy on Lambda.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { median } from './stats';

const run = promisify(execFile);

const PROJECT_ROOT = resolve(__dirname, '..');
export const LAMBDA_ENTRIES = ['lambdas/api.ts', 'lambdas/worker.ts', 'lambdas/scheduler.ts', 'lambdas/webhook.ts'] as const;

/** The esbuild options NodejsFunction gets from lib/handler-function.ts. */
const STACK_BUNDLING = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'silent',
} as const;

/** What a function's environment holds on AWS (the values only need to be valid). */
const FUNCTION_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  JOBS_TABLE_NAME: 'jobs-bench',
  JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/jobs',
  WEBHOOKS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
};

export interface BundleResult {
  readonly entry: string;
  readonly sdk: 'external' | 'bundled';
  readonly bytes: number;
  readonly sourceMapBytes: number;
  readonly warnings: number;
  /** Import time of each run (ms, wall clock), in a fresh process each. */
  readonly importMs: readonly number[];
  readonly importMedianMs: number;
  /** CPU time the import took (ms, user + system): steadier than wall time on a busy machine. */
  readonly importCpuMs: readonly number[];
  readonly importCpuMedianMs: number;
}

export async function measureBundles(options: { runs: number }): Promise<BundleResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-bundles-'));
  try {
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const results: BundleResult[] = [];
    for (const entry of LAMBDA_ENTRIES.filter((e) => existsSync(join(PROJECT_ROOT, e)))) {
      for (const sdk of ['external', 'bundled'] as const) {
        const name = entry.replace(/^lambdas\//, '').replace(/\.ts$/, '');
        const outfile = join(dir, `${name}-sdk-${sdk}`, 'index.mjs');
        const output = await build({
          ...STACK_BUNDLING,
          mainFields: [...STACK_BUNDLING.mainFields],
          entryPoints: [join(PROJECT_ROOT, entry)],
          outfile,
          external: sdk === 'external' ? ['@aws-sdk/*'] : [],
          absWorkingDir: PROJECT_ROOT,
        });
        const imports: ColdImport[] = [];
        for (let i = 0; i < options.runs; i++) imports.push(await coldImport(outfile));
        const importMs = imports.map((run) => run.wallMs);
        const importCpuMs = imports.map((run) => run.cpuMs);
        results.push({
          entry,
          sdk,
          bytes: statSync(outfile).size,
          sourceMapBytes: statSync(`${outfile}.map`).size,
          warnings: output.warnings.length,
          importMs,
          importMedianMs: median(importMs),
          importCpuMs,
          importCpuMedianMs: median(importCpuMs),
        });
      }
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ColdImport {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Imports the bundle in a fresh node process; how long the import took there. */
async function coldImport(bundle: string): Promise<ColdImport> {
  const script = [
    "const { performance } = await import('node:perf_hooks');",
    'const cpu = process.cpuUsage();',
    'const started = performance.now();',
    'const module = await import(process.env.BENCH_BUNDLE_URL);',
    'const wallMs = performance.now() - started;',
    'const used = process.cpuUsage(cpu);',
    "if (typeof module.handler !== 'function') throw new Error('no handler export');",
    'process.stdout.write(JSON.stringify({ wallMs, cpuMs: (used.user + used.system) / 1000 }));',
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...FUNCTION_ENV, BENCH_BUNDLE_URL: pathToFileURL(bundle).href },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as ColdImport;
}
