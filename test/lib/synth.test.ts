/**
 * `npx cdk synth` as a fresh clone runs it (issue 6, done-when 1): the real CLI
 * and app command from cdk.json, offline, with bundling and the built-in
 * CloudFormation schema validation on (see cloudformation-schema.test.ts). esbuild bundles
 * every Lambda (minified ESM split into index.mjs and chunks, source maps, the AWS SDK inside),
 * cdk-nag passes, and each bundle loads and exports `handler`.
 *
 * The only CDK test that bundles; the others skip it (see stack-fixture.ts).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../lib/handler-function';

const run = promisify(execFile);
const OFFLINE_ENV = {
  ...process.env,
  CDK_DISABLE_VERSION_CHECK: '1',
  CDK_DISABLE_CLI_TELEMETRY: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

let outdir: string;
let bundles: Array<{ functionId: string; dir: string }>;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'jobs-synth-'));
  await run(join(PROJECT_ROOT, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--output', outdir, '-c', 'emailFrom=jobs@example.org'], {
    cwd: PROJECT_ROOT,
    env: OFFLINE_ENV,
    timeout: 150_000, // bundling and validation: ~20 s alone, 80 s in the full suite on 2 busy cores
  });
  const template = JSON.parse(readFileSync(join(outdir, 'JobsService.template.json'), 'utf8'));
  const assets = JSON.parse(readFileSync(join(outdir, 'JobsService.assets.json'), 'utf8'));
  bundles = Object.entries<{ Type: string; Properties: { Code: { S3Key: string } } }>(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
    .map(([functionId, resource]) => {
      const hash = resource.Properties.Code.S3Key.replace(/\.zip$/, '');
      return { functionId, dir: join(outdir, assets.files[hash].source.path) };
    });
}, 180_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

test('synthesizes one stack with the four functions', () => {
  expect(bundles.map((b) => b.functionId).sort()).toEqual([
    expect.stringMatching(/^ApiFunction/),
    expect.stringMatching(/^SchedulerFunction/),
    expect.stringMatching(/^WebhookFunction/),
    expect.stringMatching(/^WorkerFunction/),
  ]);
});

test('each function is an esbuild bundle: minified ESM with a source map, the AWS SDK inside', () => {
  for (const { functionId, dir } of bundles) {
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8'));
    // Minified: long lines (the few short ones are template literals inside zod).
    expect({ functionId, minified: code.length / code.split('\n').length > 1000 }).toEqual({ functionId, minified: true });
    expect(code).toMatch(/^import \{ createRequire as __createRequire \}/);
    // The SDK is bundled (the exact version tested here), not imported from the runtime.
    expect(code).not.toMatch(/from"@aws-sdk\//);
    expect(code).not.toContain('dynalite');
    expect(map.sources.some((source: string) => source.includes('lambdas/'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
    expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(1536 * 1024);
  }
});

test('each bundle loads in Node and exports its handler', async () => {
  // No node_modules beside the bundles: each asset (index.mjs and its chunks) must stand alone, as in Lambda.
  const sandbox = mkdtempSync(join(tmpdir(), 'jobs-bundle-'));
  try {
    for (const { functionId, dir } of bundles) {
      cpSync(dir, join(sandbox, functionId), { recursive: true });
      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(sandbox, functionId, 'index.mjs'))}); console.log(typeof m.handler);`],
        {
          env: {
            ...OFFLINE_ENV,
            AWS_REGION: 'us-east-1',
            JOBS_TABLE_NAME: 'jobs-table',
            JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/jobs',
            WEBHOOKS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/webhooks',
          },
        },
      );
      expect({ functionId, handler: stdout.trim() }).toEqual({ functionId, handler: 'function' });
    }
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}, 30_000);

test('the validation plugins (cdk-nag, and the CloudFormation resource schemas) ran during synthesis and reported nothing', () => {
  const report = join(outdir, 'validation-report.json');
  expect(existsSync(report)).toBe(true);
  expect(JSON.parse(readFileSync(report, 'utf8')).pluginReports).toEqual([]);
});
