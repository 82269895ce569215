/**
 * Which faults the twin injects, and how often (`JOBS_FAULTS`), decided by a
 * seeded function so a failing run can be replayed (`JOBS_FAULTS_SEED`).
 *
 * Each decision is keyed: `decide(kind, subject)` hashes the seed, the fault
 * kind, a stable subject (e.g. `PutItem JOB#acme#<jobId>`) and how many times
 * that subject was asked before. Job ids are derived from idempotency keys, so
 * with the same seed and the same keys a job meets the same faults at the same
 * calls again, whatever the interleaving of other jobs (timing can still change
 * how many calls a job makes, e.g. after a lost race).
 */
import { createHash, randomInt } from 'node:crypto';
import * as z from 'zod';
import { ConfigError } from '../../lambdas/config';

export const FAULT_KINDS = [
  /** A DynamoDB call answered ProvisionedThroughputExceededException (the SDK retries it, and adaptive mode slows down). */
  'ddb.throttle',
  /** A DynamoDB call answered InternalServerError (HTTP 500; the SDK retries it). */
  'ddb.error',
  /** A DynamoDB call reached the table and took effect, then its answer was lost (a reset connection). */
  'ddb.lostReply',
  /** An SQS SendMessage / SendMessageBatch answered 500 InternalFailure (the SDK retries it). */
  'sqs.send.error',
  /** An SQS send answered success, and the message was discarded. */
  'sqs.send.drop',
  /** An SQS message sent once was delivered twice (a second copy, up to 2 s later). */
  'sqs.duplicate',
  /** A worker or webhook invocation died at one of its SDK calls: nothing more from it, its batch left to time out. */
  'worker.crash',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultRates = Readonly<Partial<Record<FaultKind, number>>>;
export type FaultCounts = Record<FaultKind, number>;

/** A ConfigError, so `npm start` reports it as it reports any bad variable. */
export class FaultConfigError extends ConfigError {
  override name = 'FaultConfigError';
}

const RateSchema = z.coerce.number().min(0).max(1);

/**
 * Parses `JOBS_FAULTS` (`kind:rate,kind:rate`, rates 0..1). Throws a
 * FaultConfigError naming the variable and what is wrong, as config errors do.
 */
export function parseFaultRates(spec: string): FaultRates {
  const rates: Partial<Record<FaultKind, number>> = {};
  const problems: string[] = [];
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, rate, ...rest] = part.split(':').map((p) => p.trim());
    if (!FAULT_KINDS.includes(name as FaultKind)) {
      problems.push(`unknown fault "${name}" (known: ${FAULT_KINDS.join(', ')})`);
      continue;
    }
    const parsed = RateSchema.safeParse(rate === undefined || rate === '' || rest.length > 0 ? 'x' : rate);
    if (!parsed.success) {
      problems.push(`${name}: the rate must be a number from 0 to 1, as in ${name}:0.05`);
      continue;
    }
    rates[name as FaultKind] = parsed.data;
  }
  if (problems.length > 0) throw new FaultConfigError(`invalid configuration: JOBS_FAULTS: ${problems.join('; ')}`);
  return rates;
}

export function parseFaultSeed(seed: string | undefined): number {
  if (seed === undefined || seed === '') return randomInt(2 ** 31);
  const parsed = z.coerce.number().int().min(0).max(2 ** 53).safeParse(seed);
  if (!parsed.success) throw new FaultConfigError('invalid configuration: JOBS_FAULTS_SEED: a whole number, e.g. 42');
  return parsed.data;
}

export class FaultPlan {
  private readonly asked = new Map<string, number>();
  private readonly injected: FaultCounts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as FaultCounts;
  /** Off until the twin is up (its own setup is not what faults are about), and while a test reads results. */
  private armed = false;

  constructor(
    readonly rates: FaultRates,
    readonly seed: number,
  ) {}

  arm(): void {
    this.armed = true;
  }

  disarm(): void {
    this.armed = false;
  }

  get isArmed(): boolean {
    return this.armed;
  }

  rate(kind: FaultKind): number {
    return this.rates[kind] ?? 0;
  }

  /**
   * Whether to inject `kind` into this call on `subject`. When it does, the
   * returned draw (uniform in [0, 1), from the same hash) picks the details,
   * e.g. where a crash happens.
   */
  decide(kind: FaultKind, subject: string): { inject: false } | { inject: true; draw: number } {
    const rate = this.rate(kind);
    if (!this.armed || rate <= 0) return { inject: false };
    const key = `${kind}\u0000${subject}`;
    const n = this.asked.get(key) ?? 0;
    this.asked.set(key, n + 1);
    const digest = createHash('sha256').update(`${this.seed}\u0000${key}\u0000${n}`).digest();
    if (digest.readUInt32BE(0) / 2 ** 32 >= rate) return { inject: false };
    return { inject: true, draw: digest.readUInt32BE(4) / 2 ** 32 };
  }

  /** Records one injected fault (some decisions inject only once their details allow it). */
  count(kind: FaultKind): void {
    this.injected[kind]++;
  }

  counts(): FaultCounts {
    return { ...this.injected };
  }

  describe(): string {
    return FAULT_KINDS.filter((k) => this.rate(k) > 0)
      .map((k) => `${k}:${this.rate(k)}`)
      .join(',');
  }
}
