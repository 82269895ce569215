import { ConfigError, configVariable, loadConfig } from '../../lambdas/config';

describe('loadConfig (SPEC §12)', () => {
  it('gives the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      retentionDays: 7,
      defaultMaxAttempts: 5,
      backoffBaseSeconds: 2,
      backoffMaxSeconds: 3600,
      jobTimeoutSeconds: 30,
      staleAfterSeconds: 120,
      schedulerLookaheadSeconds: 300,
      webhookRetrySchedule: [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800],
      webhookTimeoutSeconds: 10,
      allowPrivateTargets: false,
      tableName: 'jobs',
      emailFrom: 'jobs@example.com',
    });
  });

  it('reads and converts the variables', () => {
    const config = loadConfig({ WEBHOOK_RETRY_SCHEDULE: '1, 2,3', ALLOW_PRIVATE_TARGETS: 'true', BACKOFF_BASE_SECONDS: '0.05', SMS_SENDER_ID: 'Jobs', EMAIL_FROM: '' });
    expect(config).toMatchObject({ webhookRetrySchedule: [1, 2, 3], allowPrivateTargets: true, backoffBaseSeconds: 0.05, smsSenderId: 'Jobs', emailFrom: 'jobs@example.com' });
  });

  it.each([
    ['ALLOW_PRIVATE_TARGETS', 'maybe'],
    ['DEFAULT_MAX_ATTEMPTS', '26'],
    ['WEBHOOK_RETRY_SCHEDULE', '5,,30'],
    ['JOBS_QUEUE_URL', 'not a url'],
    ['SMS_SENDER_ID', 'Sender Id'],
    ['SMS_SENDER_ID', '123456'],
  ])('stops on a bad %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('rejects a backoff maximum below its base', () => {
    expect(() => loadConfig({ BACKOFF_BASE_SECONDS: '10', BACKOFF_MAX_SECONDS: '5' })).toThrow(/BACKOFF_MAX_SECONDS: must be at least BACKOFF_BASE_SECONDS/);
  });

  it('knows nothing of the twin’s own settings', () => {
    expect(loadConfig({ PORT: 'eighty', JOBS_IN_MEMORY: 'maybe', JOBS_DEV_API_KEY: 'short' })).toEqual(loadConfig({}));
  });

  it('names the variable of each setting', () => {
    expect(configVariable('tableName')).toBe('JOBS_TABLE_NAME');
    expect(configVariable('smsSenderId')).toBe('SMS_SENDER_ID');
  });
});
