/**
 * One Lambda function of the service with the house defaults: `NodejsFunction`
 * bundled by the local esbuild (never Docker), Node.js 24 on arm64, minified
 * ESM with source maps, its own log group with a retention, and its own role
 * that starts with nothing but writing to that log group.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

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
   * ran, and imports faster (`npm run bench`: api 291 ms vs 512 ms cold import,
   * tree-shaken ESM vs the runtime's many files), at ~450 KB more per bundle.
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
}

export class HandlerFunction extends Construct implements iam.IGrantable {
  public readonly function: NodejsFunction;
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

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
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
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // ESM entry points of dependencies tree-shake better.
        mainFields: ['module', 'main'],
        target: 'node24',
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not a second copy of every source file.
        sourcesContent: false,
        // Some bundled CommonJS code calls require(); ESM output has none without this.
        banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        externalModules: (props.bundleAwsSdk ?? true) ? [] : ['@aws-sdk/*'],
      },
    });
  }

  get grantPrincipal(): iam.IPrincipal {
    return this.function.grantPrincipal;
  }
}

/**
 * `NodejsFunction` falls back to Docker when it cannot find esbuild; this
 * project bundles locally only, so a missing esbuild is an error here.
 */
function assertLocalEsbuild(): void {
  try {
    createRequire(join(PROJECT_ROOT, 'package.json')).resolve('esbuild');
  } catch {
    throw new Error('esbuild is not installed in this checkout: run `npm ci` (functions are bundled locally, never in Docker).');
  }
}
