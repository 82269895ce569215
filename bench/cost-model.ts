/**
 * Dollars per million jobs from the AWS usage one job causes, at stated
 * us-east-1 list prices. Pure: the bench measures the usage, this prices it.
 */
import { API_ACCESS_LOG_FORMAT, FUNCTION_MEMORY_MB } from '../lambdas/resources';

/**
 * us-east-1 on-demand list prices. DynamoDB's are those after the November 2024
 * on-demand price cut; none of these could be re-checked against the live
 * price pages from here, so they are "as of 2026, verify" before quoting.
 */
export const PRICES_AS_OF = 'as of 2026, verify at aws.amazon.com/pricing before quoting';
export const PRICES = {
  /** DynamoDB on-demand, per million write request units (1 KB each). */
  dynamodbPerMillionWriteUnits: 0.625,
  /** DynamoDB on-demand, per million read request units (4 KB strongly consistent, or 2 × 4 KB eventually consistent). */
  dynamodbPerMillionReadUnits: 0.125,
  /** SQS standard queue, per million requests; each 64 KiB chunk of a payload is one request. */
  sqsPerMillionRequests: 0.4,
  /** Lambda on arm64, per GB-second of duration. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Lambda, per million invocations. */
  lambdaPerMillionRequests: 0.2,
  /** API Gateway REST API, per million calls (first 333 million a month). */
  apiGatewayRestPerMillion: 3.5,
  /** CloudWatch Logs, per GB ingested (standard class). */
  cloudWatchLogsPerGbIngested: 0.5,
} as const;

export type Prices = { readonly [K in keyof typeof PRICES]: number };

export type FunctionName = keyof typeof FUNCTION_MEMORY_MB;

/**
 * Bytes Lambda itself writes to the function's log group per invocation that
 * goes well: none. Its START, END and REPORT lines (~300 B in the text format)
 * are INFO system logs, and the functions log in JSON with system level WARN
 * (lib/handler-function.ts), which keeps only timeouts, crashes and the like.
 */
export const LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION = 0;

/** Example values of the `$context` variables the access-log format names, as API Gateway fills them in. */
const ACCESS_LOG_EXAMPLE: Record<string, string> = {
  '$context.requestId': '5f0c8e5e-6a3b-4e7e-9a51-0c2f1d8a7b3c',
  '$context.identity.sourceIp': '203.0.113.17',
  '$context.identity.apiKeyId': 'abcd1234ef',
  '$context.httpMethod': 'POST',
  '$context.path': '/prod/v1/jobs',
  '$context.status': '202',
  '$context.responseLatency': '35',
  '$context.integrationLatency': '33',
  '$context.error.responseType': '-',
};

/** A representative API Gateway access-log line in its format (lambdas/resources.ts): its size is what each call costs in logs. */
export const API_ACCESS_LOG_BYTES_PER_REQUEST = Buffer.byteLength(
  JSON.stringify(
    Object.fromEntries(
      Object.entries(API_ACCESS_LOG_FORMAT).map(([key, variable]) => {
        const example = ACCESS_LOG_EXAMPLE[variable];
        if (example === undefined) throw new Error(`no example value for ${variable} (bench/cost-model.ts)`);
        return [key, example];
      }),
    ),
  ),
);

/** What one job costs in AWS usage, averaged over a run. */
export interface PerJobUsage {
  readonly readUnits: number;
  /** Table writes + index writes + failed conditional writes. */
  readonly writeUnits: number;
  /** SQS billed requests (64 KiB chunks). */
  readonly sqsRequests: number;
  /** API Gateway calls (each also one api Lambda invocation). */
  readonly apiRequests: number;
  readonly invocations: { readonly [F in FunctionName]: number };
  /** Lambda duration, in GB-seconds (memory × seconds). */
  readonly gbSeconds: number;
  /** Bytes ingested into CloudWatch Logs: the functions' own lines, Lambda's lines, API access logs. */
  readonly logBytes: number;
}

export interface CostBreakdown {
  readonly dynamodb: number;
  readonly sqs: number;
  readonly lambda: number;
  readonly apiGateway: number;
  readonly logs: number;
  readonly total: number;
}

/** Dollars per million jobs, by service. */
export function costPerMillionJobs(usage: PerJobUsage, prices: Prices = PRICES): CostBreakdown {
  const million = 1_000_000;
  const invocations = Object.values(usage.invocations).reduce((sum, n) => sum + n, 0);
  const dynamodb = usage.writeUnits * prices.dynamodbPerMillionWriteUnits + usage.readUnits * prices.dynamodbPerMillionReadUnits;
  const sqs = usage.sqsRequests * prices.sqsPerMillionRequests;
  const lambda = invocations * prices.lambdaPerMillionRequests + usage.gbSeconds * million * prices.lambdaArmPerGbSecond;
  const apiGateway = usage.apiRequests * prices.apiGatewayRestPerMillion;
  const logs = ((usage.logBytes * million) / 1024 ** 3) * prices.cloudWatchLogsPerGbIngested;
  return { dynamodb, sqs, lambda, apiGateway, logs, total: dynamodb + sqs + lambda + apiGateway + logs };
}

/** GB-seconds of `invocations` calls of `fn` lasting `meanMs` each. */
export function gbSeconds(fn: FunctionName, invocations: number, meanMs: number): number {
  return (FUNCTION_MEMORY_MB[fn] / 1024) * invocations * (meanMs / 1000);
}

/** The scheduler rule fires once a minute on AWS, whatever the load. */
export const SCHEDULER_RUNS_PER_MONTH = 60 * 24 * 30;

/**
 * DynamoDB dollars a month for the open-bucket scan of `tenants` tenants, from
 * what one run costs per tenant (reads, writes), at one run a minute. (The
 * scheduler Lambda's extra duration is not in it: the twin cannot measure it.)
 */
export function openScanDollarsPerMonth(perTenant: { readUnits: number; writeUnits: number }, tenants: number, prices: Prices = PRICES): number {
  const perRun = (tenants * (perTenant.readUnits * prices.dynamodbPerMillionReadUnits + perTenant.writeUnits * prices.dynamodbPerMillionWriteUnits)) / 1_000_000;
  return SCHEDULER_RUNS_PER_MONTH * perRun;
}

/**
 * Dollars a month for the scheduler's runs when nothing is due: a fixed cost,
 * not a per-job one. `msPerRun` is its duration (the sweep queries' time).
 */
export function idleSchedulerDollarsPerMonth(run: { readUnits: number; ms: number }, prices: Prices = PRICES): number {
  const perRun =
    (run.readUnits * prices.dynamodbPerMillionReadUnits + prices.lambdaPerMillionRequests) / 1_000_000 +
    gbSeconds('scheduler', 1, run.ms) * prices.lambdaArmPerGbSecond;
  return SCHEDULER_RUNS_PER_MONTH * perRun;
}
