/**
 * Fault injection for the local twin (off unless `JOBS_FAULTS` is set; the
 * Lambdas' own configuration refuses the variable, so it never reaches AWS).
 *
 * `JOBS_FAULTS=ddb.throttle:0.05,ddb.error:0.05,ddb.lostReply:0.02,sqs.send.error:0.1,sqs.send.drop:0.05,sqs.duplicate:0.05,worker.crash:0.02`
 * `JOBS_FAULTS_SEED=42` replays a run's fault decisions (fault-plan.ts).
 *
 * Everything is injected at seams, never by branches in business code:
 * middleware on the ServiceContext's DynamoDB and SQS clients (sdk-faults.ts),
 * an HTTP front of the SQS endpoint (faulty-sqs-endpoint.ts), and the event
 * sources' invocations (invocation-crashes.ts). Faults start once the twin is up.
 */
import type { ServiceContext } from '../../lambdas/service-context';
import type { LoopbackServer } from '../loopback-server';
import { FaultPlan, parseFaultRates, parseFaultSeed, type FaultCounts, type FaultRates } from './fault-plan';
import { startFaultySqsEndpoint } from './faulty-sqs-endpoint';
import { InvocationCrashes } from './invocation-crashes';
import { JobWriteLog } from './job-write-log';
import { injectDynamoDbFaults, injectSqsFaults } from './sdk-faults';

export { FAULT_KINDS, FaultConfigError, type FaultCounts, type FaultKind, type FaultRates } from './fault-plan';
export { InvocationCrashedError } from './invocation-crashes';
export type { JobWriteLog, LoggedWrite } from './job-write-log';

/** The variables fault injection reads; the twin takes them out of what the handlers' config sees. */
export const FAULT_VARIABLES = ['JOBS_FAULTS', 'JOBS_FAULTS_SEED'] as const;

/** What tests and the soak see of a twin's fault injection. */
export interface FaultReport {
  readonly rates: FaultRates;
  readonly seed: number;
  /** Faults injected so far, per kind. */
  counts(): FaultCounts;
  /** The SDK's own retries (tries after the first) so far, per client. */
  sdkRetries(): { dynamodb: number; sqs: number };
  /** Job writes that took effect, per job item. */
  readonly writes: JobWriteLog;
  /** Stops injecting (e.g. while a test reads the results); `resume` starts again. */
  pause(): void;
  resume(): void;
}

export class FaultInjection implements FaultReport {
  readonly writes = new JobWriteLog();
  private readonly crashes: InvocationCrashes;
  private readonly retries = { dynamodb: 0, sqs: 0 };

  private constructor(private readonly plan: FaultPlan) {
    this.crashes = new InvocationCrashes(plan);
  }

  /** From the environment; undefined when `JOBS_FAULTS` is unset. Throws FaultConfigError on a bad value. */
  static fromEnvironment(env: Readonly<Record<string, string | undefined>>): FaultInjection | undefined {
    const spec = env.JOBS_FAULTS;
    if (spec === undefined || spec.trim() === '') return undefined;
    return new FaultInjection(new FaultPlan(parseFaultRates(spec), parseFaultSeed(env.JOBS_FAULTS_SEED)));
  }

  get rates(): FaultRates {
    return this.plan.rates;
  }

  get seed(): number {
    return this.plan.seed;
  }

  describe(): string {
    return `${this.plan.describe()} (seed ${this.seed})`;
  }

  /** An HTTP front of the SQS endpoint at `sqsUrl` that drops and duplicates sends. */
  startSqsFront(sqsUrl: string): Promise<LoopbackServer> {
    return startFaultySqsEndpoint(sqsUrl, this.plan);
  }

  /** Puts the middleware on the context's clients. */
  instrument(context: ServiceContext): void {
    const options = { plan: this.plan, crashes: this.crashes, retries: this.retries };
    injectDynamoDbFaults(context.db, { ...options, writes: this.writes });
    injectSqsFaults(context.sqs, options);
  }

  /** Runs one event source invocation, which may crash (rejects with InvocationCrashedError). */
  readonly runInvocation = <T>(name: string, subject: string, records: number, invocation: () => Promise<T>): Promise<T> =>
    this.crashes.run(name, subject, records, invocation);

  counts(): FaultCounts {
    return this.plan.counts();
  }

  sdkRetries(): { dynamodb: number; sqs: number } {
    return { ...this.retries };
  }

  pause(): void {
    this.plan.disarm();
  }

  resume(): void {
    this.plan.arm();
  }
}
