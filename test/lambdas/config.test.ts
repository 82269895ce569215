import { ConfigError, loadConfig } from '../../lambdas/config';

describe('loadConfig (SPEC §12)', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      dataDir: '.data',
      inMemory: false,
      devTenant: 'dev',
      retentionDays: 7,
      defaultMaxAttempts: 5,
      backoffBaseSeconds: 2,
      backoffMaxSeconds: 3600,
      jobTimeoutSeconds: 30,
      staleAfterSeconds: 120,
      schedulerIntervalSeconds: 10,
      webhookRetrySchedule: [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800],
      webhookTimeoutSeconds: 10,
      allowPrivateTargets: false,
      tableName: 'jobs',
    });
  });

  it('reads and converts the variables', () => {
    const config = loadConfig({ PORT: '0', JOBS_IN_MEMORY: '1', WEBHOOK_RETRY_SCHEDULE: '1, 2,3', ALLOW_PRIVATE_TARGETS: 'true', BACKOFF_BASE_SECONDS: '0.05' });
    expect(config).toMatchObject({ port: 0, inMemory: true, webhookRetrySchedule: [1, 2, 3], allowPrivateTargets: true, backoffBaseSeconds: 0.05 });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['JOBS_IN_MEMORY', 'maybe'],
    ['DEFAULT_MAX_ATTEMPTS', '26'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,,30'],
    ['JOBS_DEV_WEBHOOK_SECRET', 'not-a-secret'],
    ['JOBS_DEV_WEBHOOK_SECRET', `whsec_${'A'.repeat(33)}`],
    ['JOBS_DEV_API_KEY', 'short'],
    ['JOBS_QUEUE_URL', 'not a url'],
  ])('stops on a bad %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('rejects a backoff maximum below its base', () => {
    expect(() => loadConfig({ BACKOFF_BASE_SECONDS: '10', BACKOFF_MAX_SECONDS: '5' })).toThrow(/BACKOFF_MAX_SECONDS/);
  });
});
