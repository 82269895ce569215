import fc from 'fast-check';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateWebhookSecret, isWebhookSecret, signWebhook } from '../../../lambdas/outbound/signer';

function captureError(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function deliveryFactory(overrides: Partial<Parameters<typeof signWebhook>[0]> = {}): Parameters<typeof signWebhook>[0] {
  return {
    id: 'evt_2f1c9a',
    timestampSeconds: nowSeconds(),
    body: JSON.stringify({ type: 'job.succeeded', timestamp: new Date().toISOString(), data: { id: 'job_1', status: 'succeeded' } }),
    secrets: [generateWebhookSecret()],
    ...overrides,
  };
}

describe('signWebhook', () => {
  it('produces headers the standardwebhooks package verifies', () => {
    // Arrange
    const delivery = deliveryFactory();

    // Act
    const headers = signWebhook(delivery);

    // Assert
    expect(new Webhook(delivery.secrets[0]).verify(delivery.body, { ...headers })).toEqual(JSON.parse(delivery.body));
    expect(headers['webhook-id']).toBe(delivery.id);
    expect(headers['webhook-timestamp']).toBe(String(delivery.timestampSeconds));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('matches the Standard Webhooks reference vector', () => {
    // The example from the specification and its reference libraries.
    const headers = signWebhook({
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestampSeconds: 1614265330,
      body: '{"test": 2432232314}',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    });

    expect(headers['webhook-signature']).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every secret during rotation, and each secret alone verifies', () => {
    // Arrange
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const delivery = deliveryFactory({ secrets: [oldSecret, newSecret] });

    // Act
    const headers = signWebhook(delivery);

    // Assert
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(delivery.body, { ...headers })).not.toThrow();
    expect(() => new Webhook(newSecret).verify(delivery.body, { ...headers })).not.toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(delivery.body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it.each<[string, (headers: Record<string, string>, body: string) => [Record<string, string>, string]]>([
    ['the body', (headers, body) => [headers, body.replace('succeeded', 'fatal')]],
    ['the id', (headers, body) => [{ ...headers, 'webhook-id': 'evt_other' }, body]],
    ['the timestamp', (headers, body) => [{ ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) }, body]],
  ])('fails verification when %s is tampered with', (_part, tamper) => {
    // Arrange
    const delivery = deliveryFactory();
    const [headers, body] = tamper({ ...signWebhook(delivery) }, delivery.body);

    // Act / Assert
    expect(() => new Webhook(delivery.secrets[0]).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('verifies for any body, id and set of secrets', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.array(fc.uint8Array({ minLength: 24, maxLength: 64 }), { minLength: 1, maxLength: 3 }),
        (text, id, keys) => {
          const body = JSON.stringify({ text });
          const secrets = keys.map((key) => `whsec_${Buffer.from(key).toString('base64')}`);
          const headers = signWebhook({ id, timestampSeconds: nowSeconds(), body, secrets });
          return secrets.every((secret) => {
            new Webhook(secret).verify(body, { ...headers });
            return true;
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['no secrets', { secrets: [] as string[] }],
    ['a malformed secret', { secrets: ['whsec_not*base64'] }],
    ['a fractional timestamp', { timestampSeconds: 1.5 }],
    ['a negative timestamp', { timestampSeconds: -1 }],
  ])('refuses %s', (_case, overrides) => {
    expect(() => signWebhook(deliveryFactory(overrides))).toThrow(TypeError);
  });

  it('never puts a secret in its error message', () => {
    // Arrange: a well-formed but too short key (5 bytes)
    const secret = 'whsec_c2hvcnQ=';

    // Act
    const error = captureError(() => signWebhook(deliveryFactory({ secrets: [secret] })));

    // Assert
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).not.toContain('c2hvcnQ');
  });
});

describe('webhook secrets', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    // Act
    const secrets = [generateWebhookSecret(), generateWebhookSecret()];

    // Assert
    for (const secret of secrets) {
      expect(isWebhookSecret(secret)).toBe(true);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    }
    expect(secrets[0]).not.toBe(secrets[1]);
  });

  it.each([
    ['24 bytes', `whsec_${Buffer.alloc(24, 1).toString('base64')}`, true],
    ['64 bytes', `whsec_${Buffer.alloc(64, 1).toString('base64')}`, true],
    ['23 bytes', `whsec_${Buffer.alloc(23, 1).toString('base64')}`, false],
    ['65 bytes', `whsec_${Buffer.alloc(65, 1).toString('base64')}`, false],
    ['no prefix', Buffer.alloc(32, 1).toString('base64'), false],
    ['prefix only', 'whsec_', false],
    ['not base64', `whsec_${'*'.repeat(44)}`, false],
    ['unpadded base64', `whsec_${Buffer.alloc(32, 1).toString('base64').replace(/=+$/, '')}`, false],
    ['base64url alphabet', `whsec_${Buffer.alloc(33, 0xfb).toString('base64url')}`, false],
  ])('isWebhookSecret: %s → %p', (_case, value, expected) => {
    expect(isWebhookSecret(value)).toBe(expected);
  });
});
