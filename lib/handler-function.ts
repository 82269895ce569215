/**
 * One Lambda function of the service with the house defaults: bundled by the
 * local esbuild (never Docker) as ./lambda-bundle.ts says (minified ESM split
 * into an entry and lazily loaded chunks, source maps beside it), Node.js 24 on
 * arm64, its own log group with a retention, and its own role that starts with
 * nothing but writing to that log group.
 *
 * Not `NodejsFunction`: it always passes esbuild `--outfile`, and code
 * splitting needs `--outdir`; a `lambda.Function` whose asset esbuild's API
 * builds (as NodejsFunction's local bundling does, hashed on its output) ships
 * the chunks.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack, type ILocalBundling } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { writeConsoleAssetsSync } from '../console/build';
import { BUNDLE_HANDLER, lambdaBuildOptions, SOURCE_MAPS_NODE_OPTIONS } from './lambda-bundle';

/** The repository root: entries, the lock file and node_modules are found from here. */
export const PROJECT_ROOT = join(__dirname, '..');

export interface HandlerFunctionProps {
  /** The entry point, relative to the repository root (e.g. `lambdas/api.ts`); it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** The service configuration (see `serviceEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** More memory also means more CPU, which shortens cold starts. @default 512 */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Bundle the AWS SDK into the function instead of using the one in the
   * Lambda runtime. Bundled, the function runs the exact SDK version the tests
   * ran, and imports faster (`npm run bench` here, CPU of the api's cold import:
   * ≈ 85 vs 210 ms on Node 20, 115 vs 160 ms on Node 24; tree-shaken ESM vs the
   * runtime's many files), at ≈ 240 KB more loaded per cold start.
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * Set `NODE_OPTIONS=--enable-source-maps`: stack traces in the logs name the
   * TypeScript sources, and every cold start parses the source maps first
   * (10–25 ms of CPU here). Off, the maps still ship beside the code to decode traces with.
   * @default false
   */
  readonly sourceMapsInStackTraces?: boolean;
  /**
   * Ship the web console's files (console/build.ts) in `console/` beside the
   * code: the api function serves them (SPEC §16).
   * @default false
   */
  readonly bundleConsole?: boolean;
}

export class HandlerFunction extends Construct implements iam.IGrantable {
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    if (Stack.of(this).bundlingRequired) assertLocalEsbuild();

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy: it
    // may write to this log group only, not create groups or write anywhere else.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${id} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(PROJECT_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never used: local bundling always answers (assertLocalEsbuild fails first otherwise).
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
          local: new LocalEsbuild(props.entry, props.bundleAwsSdk ?? true, props.bundleConsole ?? false),
        },
      }),
      handler: BUNDLE_HANDLER,
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      // Lambda's own lines (START, END, REPORT: ~300 B per invocation, a third of a job's log bytes) are INFO
      // system logs: WARN keeps only its warnings and errors (timeouts, crashes, init failures). Duration and
      // errors stay in the AWS/Lambda metrics the dashboard graphs; memory per invocation needs Lambda Insights.
      // The service's own lines are Powertools JSON already; INFO as POWERTOOLS_LOG_LEVEL (DEBUG needs both raised).
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      environment: { ...props.environment, ...(props.sourceMapsInStackTraces && { NODE_OPTIONS: SOURCE_MAPS_NODE_OPTIONS }) },
    });
  }

  get grantPrincipal(): iam.IPrincipal {
    return this.function.grantPrincipal;
  }
}

/**
 * Bundles an entry with esbuild's API into the asset directory. Its fields
 * are part of the asset's cache key (CDK stages one asset per distinct
 * bundling options), so each entry gets its own bundle.
 */
class LocalEsbuild implements ILocalBundling {
  constructor(
    readonly entry: string,
    readonly bundleAwsSdk: boolean,
    readonly bundleConsole: boolean,
  ) {}

  tryBundle(outputDir: string): boolean {
    const esbuild = createRequire(join(PROJECT_ROOT, 'package.json'))('esbuild') as typeof import('esbuild');
    esbuild.buildSync(lambdaBuildOptions({ projectRoot: PROJECT_ROOT, entry: this.entry, outdir: outputDir, bundleAwsSdk: this.bundleAwsSdk }));
    if (this.bundleConsole) writeConsoleAssetsSync(join(outputDir, 'console'));
    return true;
  }
}

/**
 * CDK falls back to the Docker image when local bundling cannot run; this
 * project bundles locally only, so a missing esbuild is an error here.
 */
function assertLocalEsbuild(): void {
  try {
    createRequire(join(PROJECT_ROOT, 'package.json')).resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed in this checkout: run `npm ci` (functions are bundled locally, never in Docker).');
  }
}
