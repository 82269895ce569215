/**
 * Lambda bundles: each entry point bundled with esbuild exactly as the stack
 * bundles it (lib/lambda-bundle.ts: ESM split into `index.mjs` and chunks,
 * minified, source maps beside it, target node24, the AWS SDK inside), and once
 * more with `@aws-sdk/*` left to the runtime, the alternative the stack offers
 * (`bundleAwsSdk: false`).
 * For each: what ships (`bytes`, every chunk), what a cold start loads
 * (`entryBytes`: `index.mjs` and the chunks it imports statically), the chunks
 * loaded lazily, and the cold import time in a fresh `node` (median of N) on the
 * Node running the bench (20 here) and on Node 24 (Lambda's nodejs24.x, the
 * binary the tests use), with the environment the stack gives the functions
 * (no `NODE_OPTIONS`). The SDK-bundled ones are imported once more with
 * `--enable-source-maps`, the option the stack leaves off, to show its price.
 *
 * The bundles go to a temporary directory whose `node_modules` links to the
 * project's, so an SDK-external bundle finds `@aws-sdk/*` as it would find the
 * runtime's copy on Lambda. Imports are interleaved (one of each bundle and
 * runtime per round), so a load spike on the machine hits all of them alike.
 *
 * On its own (`npx tsx bench/bundles.ts`, a minute or two): the SDK-bundled
 * builds only, printed as a table; `BENCH_IMPORT_RUNS` imports each (default 11).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { BUNDLE_ENTRY_FILE, lambdaBuildOptions, SOURCE_MAPS_NODE_OPTIONS } from '../lib/lambda-bundle';
import { ensureNode24 } from '../test/support/node24';
import { median } from './stats';

const run = promisify(execFile);

const PROJECT_ROOT = resolve(__dirname, '..');
export const LAMBDA_ENTRIES = ['lambdas/api.ts', 'lambdas/worker.ts', 'lambdas/scheduler.ts', 'lambdas/webhook.ts'] as const;

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
};

export interface ColdImports {
  /** `process.version` of the node that imported. */
  readonly node: string;
  /** Import time of each run (ms, wall clock), in a fresh process each. */
  readonly importMs: readonly number[];
  readonly importMedianMs: number;
  /** CPU time the import took (ms, user + system): steadier than wall time on a busy machine. */
  readonly importCpuMs: readonly number[];
  readonly importCpuMedianMs: number;
}

export interface BundleResult extends ColdImports {
  readonly entry: string;
  readonly sdk: 'external' | 'bundled';
  /** Every JavaScript file shipped: the entry and all its chunks (source maps apart). */
  readonly bytes: number;
  /** What a cold start loads: `index.mjs` and the chunks it imports statically, transitively. */
  readonly entryBytes: number;
  /** The chunks a cold start does not load (behind a dynamic `import()`), largest first; `holds`: the package (or project file) most of its bytes come from. */
  readonly lazyChunks: ReadonlyArray<{ readonly file: string; readonly bytes: number; readonly holds: string }>;
  readonly sourceMapBytes: number;
  readonly warnings: number;
  /** The same imports on Node 24 (Lambda's nodejs24.x). */
  readonly node24: ColdImports;
  /** SDK bundled only: imports on the bench's node with NODE_OPTIONS=--enable-source-maps. */
  readonly withSourceMaps?: ColdImports;
}

interface BuiltBundle {
  readonly entry: string;
  readonly sdk: BundleResult['sdk'];
  readonly file: string;
  readonly sizes: Pick<BundleResult, 'bytes' | 'entryBytes' | 'lazyChunks' | 'sourceMapBytes' | 'warnings'>;
}

interface Runtime {
  readonly key: 'node' | 'node24' | 'withSourceMaps';
  readonly binary: string;
  readonly nodeOptions?: string;
  readonly applies: (bundle: BuiltBundle) => boolean;
}

export async function measureBundles(options: { runs: number; sdk?: readonly BundleResult['sdk'][] }): Promise<BundleResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-bundles-'));
  try {
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const bundles: BuiltBundle[] = [];
    for (const entry of LAMBDA_ENTRIES.filter((e) => existsSync(join(PROJECT_ROOT, e)))) {
      for (const sdk of options.sdk ?? (['external', 'bundled'] as const)) {
        const name = basename(entry, '.ts');
        const outdir = join(dir, `${name}-sdk-${sdk}`);
        const output = await build({
          ...lambdaBuildOptions({ projectRoot: PROJECT_ROOT, entry, outdir, bundleAwsSdk: sdk === 'bundled' }),
          metafile: true,
          logLevel: 'silent',
        });
        bundles.push({ entry, sdk, file: join(outdir, BUNDLE_ENTRY_FILE), sizes: { ...sizesOf(output.metafile, outdir), warnings: output.warnings.length } });
      }
    }

    const runtimes: Runtime[] = [
      { key: 'node', binary: process.execPath, applies: () => true },
      { key: 'node24', binary: ensureNode24(), applies: () => true },
      { key: 'withSourceMaps', binary: process.execPath, nodeOptions: SOURCE_MAPS_NODE_OPTIONS, applies: (b) => b.sdk === 'bundled' },
    ];
    const samples = new Map<string, ColdImport[]>();
    for (let i = 0; i < options.runs; i++) {
      for (const bundle of bundles) {
        for (const runtime of runtimes.filter((r) => r.applies(bundle))) {
          const key = `${bundle.file} ${runtime.key}`;
          samples.set(key, [...(samples.get(key) ?? []), await coldImport(bundle.file, runtime)]);
        }
      }
    }
    const summary = (bundle: BuiltBundle, key: Runtime['key']): ColdImports | undefined => {
      const imports = samples.get(`${bundle.file} ${key}`);
      if (!imports) return undefined;
      const importMs = imports.map((s) => s.wallMs);
      const importCpuMs = imports.map((s) => s.cpuMs);
      return { node: imports[0].node, importMs, importMedianMs: median(importMs), importCpuMs, importCpuMedianMs: median(importCpuMs) };
    };
    return bundles.map((bundle) => {
      const withSourceMaps = summary(bundle, 'withSourceMaps');
      return {
        entry: bundle.entry,
        sdk: bundle.sdk,
        ...bundle.sizes,
        ...summary(bundle, 'node')!,
        node24: summary(bundle, 'node24')!,
        ...(withSourceMaps && { withSourceMaps }),
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sizes from esbuild's metafile: all JavaScript out, the entry's static closure, the rest (lazy), the maps. */
function sizesOf(metafile: Metafile, outdir: string): Omit<BuiltBundle['sizes'], 'warnings'> {
  const outputs = metafile.outputs;
  const files = Object.keys(outputs);
  const entry = files.find((f) => resolve(PROJECT_ROOT, f) === join(outdir, BUNDLE_ENTRY_FILE));
  if (!entry) throw new Error(`esbuild wrote no ${BUNDLE_ENTRY_FILE} in ${outdir}`);
  const loaded = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (loaded.has(file)) continue;
    loaded.add(file);
    for (const imported of outputs[file].imports) if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
  }
  const code = files.filter((f) => !f.endsWith('.map'));
  const bytesOf = (list: string[]) => list.reduce((sum, f) => sum + outputs[f].bytes, 0);
  return {
    bytes: bytesOf(code),
    entryBytes: bytesOf([...loaded]),
    lazyChunks: code
      .filter((f) => !loaded.has(f))
      .map((f) => ({ file: basename(f), bytes: outputs[f].bytes, holds: mainInput(outputs[f]) }))
      .sort((a, b) => b.bytes - a.bytes),
    sourceMapBytes: bytesOf(files.filter((f) => f.endsWith('.map'))),
  };
}

/** The package (or project file) that contributes most bytes to an output file. */
function mainInput(output: Metafile['outputs'][string]): string {
  const bytes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input;
    bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
  }
  return [...bytes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

interface ColdImport {
  readonly node: string;
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Imports the bundle in a fresh node process; how long the import took there. */
async function coldImport(bundle: string, runtime: Runtime): Promise<ColdImport> {
  const script = [
    "const { performance } = await import('node:perf_hooks');",
    'const cpu = process.cpuUsage();',
    'const started = performance.now();',
    'const module = await import(process.env.BENCH_BUNDLE_URL);',
    'const wallMs = performance.now() - started;',
    'const used = process.cpuUsage(cpu);',
    "if (typeof module.handler !== 'function') throw new Error('no handler export');",
    'process.stdout.write(JSON.stringify({ node: process.version, wallMs, cpuMs: (used.user + used.system) / 1000 }));',
  ].join('\n');
  const { stdout } = await run(runtime.binary, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      ...FUNCTION_ENV,
      ...(runtime.nodeOptions !== undefined && { NODE_OPTIONS: runtime.nodeOptions }),
      BENCH_BUNDLE_URL: pathToFileURL(bundle).href,
    },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as ColdImport;
}

if (require.main === module) {
  const runs = Number(process.env.BENCH_IMPORT_RUNS ?? 11);
  void measureBundles({ runs, sdk: ['bundled'] }).then((results) => {
    const kb = (bytes: number) => (bytes / 1024).toFixed(1);
    const ms = (imports: ColdImports) => `${imports.importMedianMs.toFixed(0)} (cpu ${imports.importCpuMedianMs.toFixed(0)})`;
    console.log(`SDK bundled, ${runs} cold imports each, median ms (cpu ms); KB = 1024 bytes`);
    console.log(['entry', 'entry KB', 'all KB', `${results[0]?.node ?? 'node'}`, `${results[0]?.node24.node ?? 'node 24'}`, '+source maps', 'lazy chunks'].join('\t'));
    for (const r of results) {
      const lazy = r.lazyChunks.map((c) => `${c.holds} ${kb(c.bytes)}`).join(', ');
      console.log([r.entry, kb(r.entryBytes), kb(r.bytes), ms(r), ms(r.node24), r.withSourceMaps ? ms(r.withSourceMaps) : '-', lazy].join('\t'));
    }
  });
}
