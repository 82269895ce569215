/** Test factory for the context a job handler gets (lambdas/job-types/job-type.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import type { JobContext } from '../../../lambdas/job-types/job-type';
import type { EmailMessage, Senders, TextMessage } from '../../../lambdas/job-types/senders';
import { generateWebhookSecret } from '../../../lambdas/outbound/signer';

export const TEST_SECRET = generateWebhookSecret();

export function jobContextFactory(overrides: Partial<JobContext> = {}): JobContext {
  return {
    jobId: '7f0c5a7e-2b9e-4c5e-9a57-0d7a4d3f1c2b',
    tenantId: 'tenant-a',
    attempt: 1,
    signal: new AbortController().signal,
    timeoutMs: 5_000,
    signingSecrets: [TEST_SECRET],
    allowPrivateTargets: true,
    logger: new Logger({ logLevel: 'SILENT' }),
    ...overrides,
  };
}

/** A Logger stand-in that keeps every call, to prove what is (not) logged. */
export function recordingLogger(): { logger: Logger; lines: () => string } {
  const calls: unknown[] = [];
  const record = (...args: unknown[]) => void calls.push(args);
  const logger = { debug: record, info: record, warn: record, error: record, critical: record } as unknown as Logger;
  return { logger, lines: () => JSON.stringify(calls) };
}

/** A mailer and a texter that keep what they are asked to send and answer with a made-up id. */
export function recordingSenders(): Senders & { emails: EmailMessage[]; texts: TextMessage[] } {
  const emails: EmailMessage[] = [];
  const texts: TextMessage[] = [];
  return {
    emails,
    texts,
    mailer: { send: async (message) => ({ messageId: `mail-${emails.push(message)}` }) },
    texter: { send: async (message) => ({ messageId: `text-${texts.push(message)}` }) },
  };
}
