import { ConfigError } from '../../lambdas/config';
import { loadTwinConfig } from '../../local/twin-config';

describe('loadTwinConfig (SPEC §9, §12)', () => {
  it('gives the documented defaults', () => {
    expect(loadTwinConfig({})).toEqual({
      port: 3000,
      dataDir: '.data',
      inMemory: false,
      devTenant: 'dev',
      apiRateLimitPerSecond: 50,
      apiBurstLimit: 100,
      schedulerIntervalSeconds: 10,
    });
  });

  it('reads and converts the variables', () => {
    const config = loadTwinConfig({ PORT: '0', JOBS_IN_MEMORY: '1', JOBS_SQS_PORT: '9324', API_BURST_LIMIT: '5', SCHEDULER_INTERVAL_SECONDS: '0.5' });
    expect(config).toMatchObject({ port: 0, inMemory: true, sqsPort: 9324, apiBurstLimit: 5, schedulerIntervalSeconds: 0.5 });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['JOBS_IN_MEMORY', 'maybe'],
    ['JOBS_DEV_WEBHOOK_SECRET', 'not-a-secret'],
    ['JOBS_DEV_WEBHOOK_SECRET', `whsec_${'A'.repeat(33)}`],
    ['JOBS_DEV_API_KEY', 'short'],
    ['JOBS_DEV_TENANT', 'Dev Tenant'],
    ['JOBS_DYNAMODB_PORT', '-1'],
    ['SCHEDULER_INTERVAL_SECONDS', '0'],
  ])('stops on a bad %s=%s, naming the variable', (name, value) => {
    expect(() => loadTwinConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadTwinConfig({ [name]: value })).toThrow(name);
  });
});
