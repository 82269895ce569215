import {
  InvalidRequestError,
  NetworkError,
  OutboundError,
  RequestTimeoutError,
  UnsafeTargetError,
} from '../../../lambdas/outbound/errors';

describe('outbound errors', () => {
  const cause = new Error('underlying');

  it.each<[string, OutboundError, boolean]>([
    ['UnsafeTargetError', new UnsafeTargetError('host 127.0.0.1 is a loopback address', { cause }), false],
    ['RequestTimeoutError', new RequestTimeoutError(10_000, { cause }), true],
    ['NetworkError', new NetworkError('connection refused by example.com', { code: 'ECONNREFUSED', cause }), true],
    ['InvalidRequestError', new InvalidRequestError('request cannot be sent', { cause }), false],
  ])('%s has its name, retryability and cause', (name, error, retryable) => {
    expect(error).toBeInstanceOf(OutboundError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.retryable).toBe(retryable);
    expect(error.cause).toBe(cause);
  });

  it('keeps messages to 200 characters', () => {
    const error = new NetworkError(`could not resolve host ${'a'.repeat(500)}`);

    expect(error.message.length).toBeLessThanOrEqual(200);
  });

  it('leaves cause undefined when there is none', () => {
    expect('cause' in new UnsafeTargetError('blocked')).toBe(false);
  });
});
