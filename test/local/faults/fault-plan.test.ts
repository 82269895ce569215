import { ConfigError, loadConfig } from '../../../lambdas/config';
import { FaultPlan, parseFaultRates, parseFaultSeed } from '../../../local/faults/fault-plan';
import { FaultInjection } from '../../../local/faults';

describe('JOBS_FAULTS', () => {
  it('reads every kind with its rate', () => {
    const rates = parseFaultRates('ddb.throttle:0.05, ddb.error:0.05,ddb.lostReply:0.02,sqs.send.error:0.1,sqs.send.drop:0.05,sqs.duplicate:0.05,worker.crash:0.02');
    expect(rates).toEqual({
      'ddb.throttle': 0.05,
      'ddb.error': 0.05,
      'ddb.lostReply': 0.02,
      'sqs.send.error': 0.1,
      'sqs.send.drop': 0.05,
      'sqs.duplicate': 0.05,
      'worker.crash': 0.02,
    });
  });

  it.each([
    ['ddb.explode:0.1', /unknown fault "ddb.explode"/],
    ['ddb.error:1.5', /ddb.error: the rate must be a number from 0 to 1/],
    ['ddb.error:-0.1', /ddb.error: the rate/],
    ['ddb.error', /ddb.error: the rate/],
    ['ddb.error:x', /ddb.error: the rate/],
    ['ddb.error:0.1:2', /ddb.error: the rate/],
  ])('refuses %s with a message naming the variable, as a ConfigError', (spec, message) => {
    expect(() => parseFaultRates(spec)).toThrow(ConfigError);
    expect(() => parseFaultRates(spec)).toThrow(/^invalid configuration: JOBS_FAULTS: /);
    expect(() => parseFaultRates(spec)).toThrow(message);
  });

  it('refuses a seed that is not a whole number', () => {
    expect(() => parseFaultSeed('abc')).toThrow(/JOBS_FAULTS_SEED/);
    expect(parseFaultSeed('42')).toBe(42);
  });

  it('is off when unset', () => {
    expect(FaultInjection.fromEnvironment({})).toBeUndefined();
    expect(FaultInjection.fromEnvironment({ JOBS_FAULTS: ' ' })).toBeUndefined();
  });

  it.each(['JOBS_FAULTS', 'JOBS_FAULTS_SEED'])('is refused by the Lambdas\' configuration (%s)', (variable) => {
    expect(() => loadConfig({ [variable]: 'ddb.error:0.1' })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: 'ddb.error:0.1' })).toThrow(new RegExp(`${variable}: fault injection runs only in the local twin`));
  });
});

describe('FaultPlan', () => {
  const decisions = (plan: FaultPlan, n: number) => Array.from({ length: n }, (_, i) => plan.decide('ddb.error', `PutItem JOB#t#${i % 10}`).inject);

  it('injects nothing until armed', () => {
    const plan = new FaultPlan({ 'ddb.error': 1 }, 1);
    expect(plan.decide('ddb.error', 'x').inject).toBe(false);
    plan.arm();
    expect(plan.decide('ddb.error', 'x').inject).toBe(true);
  });

  it('replays the same decisions for the same seed and subjects, others for another seed', () => {
    const run = (seed: number) => {
      const plan = new FaultPlan({ 'ddb.error': 0.3 }, seed);
      plan.arm();
      return decisions(plan, 400);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('injects at about its rate', () => {
    const plan = new FaultPlan({ 'ddb.error': 0.1 }, 3);
    plan.arm();
    const share = decisions(plan, 20_000).filter(Boolean).length / 20_000;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
  });
});
