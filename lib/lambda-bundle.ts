/**
 * How a Lambda entry point becomes the code a function ships: one definition of
 * the esbuild options, used by the stack (./handler-function.ts) and by the
 * bench (bench/bundles.ts), so the bench measures exactly what deploys. No CDK
 * here: the bench loads this without aws-cdk-lib.
 *
 * The output is split (ESM, `.mjs`): `index.mjs` plus chunk files beside it.
 * A cold start loads `index.mjs` and the chunks it imports statically; code
 * behind a dynamic `import()` (the SES and SNS clients, the OpenAPI document,
 * the SDK's credential providers other than the environment's) is a chunk of
 * its own, loaded the first time it runs. Without splitting, esbuild inlines
 * every dynamic import into the one file, and a cold start compiles it all.
 */
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/** The file Lambda loads (`index.handler`: the runtime tries `index.js`, then `index.mjs`). */
export const BUNDLE_ENTRY_FILE = 'index.mjs';
export const BUNDLE_HANDLER = 'index.handler';

/**
 * What `NODE_OPTIONS` holds when a function asks for source-mapped stack
 * traces (HandlerFunction's `sourceMapsInStackTraces`, off by default): with
 * it, Node reads and parses the source map of every file it loads, at start
 * (≈ 1.2 MB of JSON per function, 10–25 ms of CPU per cold start here). Off, the maps
 * still ship beside the code: traces name minified positions
 * (`index.mjs:1:2345`) that the `.map` files decode, and setting this one
 * variable on a function turns mapped traces on without a new build.
 */
export const SOURCE_MAPS_NODE_OPTIONS = '--enable-source-maps';

export interface LambdaBundleProps {
  /** The repository root: entries and node_modules are found from here. */
  readonly projectRoot: string;
  /** The entry point, relative to the project root (e.g. `lambdas/api.ts`). */
  readonly entry: string;
  /** The directory that becomes the function's code. */
  readonly outdir: string;
  /** Bundle the AWS SDK (true) or leave `@aws-sdk/*` to the runtime's copy. */
  readonly bundleAwsSdk: boolean;
}

export function lambdaBuildOptions(props: LambdaBundleProps): BuildOptions & { outdir: string } {
  return {
    entryPoints: [{ in: join(props.projectRoot, props.entry), out: 'index' }],
    outdir: props.outdir,
    absWorkingDir: props.projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    target: 'node24',
    // ESM entry points of dependencies tree-shake better.
    mainFields: ['module', 'main'],
    minify: true,
    // Separate files beside the code (see SOURCE_MAPS_NODE_OPTIONS), without a second copy of every source file.
    sourcemap: true,
    sourcesContent: false,
    // Some bundled CommonJS code calls require(); ESM output has none without this (each chunk gets its own).
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    external: props.bundleAwsSdk ? [] : ['@aws-sdk/*'],
    logLevel: 'warning',
  };
}
