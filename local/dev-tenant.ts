/**
 * The dev tenant the twin creates on first start (SPEC §8): its API key and
 * webhook secret come from JOBS_DEV_API_KEY / JOBS_DEV_WEBHOOK_SECRET, else are
 * generated once and kept in `<dataDir>/dev-tenant.json` so the next start prints
 * the same ones.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { TenantStore } from '../lambdas/store/tenant-store';
import { generateApiKey, hashApiKey, localApiKeyId } from '../lambdas/store/tenant-store';
import { generateWebhookSecret } from '../lambdas/outbound/signer';
import { readJsonFile, writeFileAtomically } from './atomic-file';
import type { TwinConfig } from './twin-config';

export interface DevTenant {
  tenantId: string;
  apiKey: string;
  webhookSecret: string;
}

/** What a file of an earlier start may hold; anything else (a file cut by a crash) counts as no file. */
const SavedDevTenant = z.object({ tenantId: z.string(), apiKey: z.string(), webhookSecret: z.string() }).partial();

export async function ensureDevTenant(tenants: TenantStore, config: Pick<TwinConfig, 'devTenant' | 'devApiKey' | 'devWebhookSecret'>, persistDir: string | undefined): Promise<DevTenant> {
  const file = persistDir ? join(persistDir, 'dev-tenant.json') : undefined;
  const saved: Partial<DevTenant> = (file && SavedDevTenant.safeParse(readJsonFile(file)).data) || {};
  const dev: DevTenant = {
    tenantId: config.devTenant,
    apiKey: config.devApiKey ?? (saved.tenantId === config.devTenant ? saved.apiKey : undefined) ?? generateApiKey(),
    webhookSecret: config.devWebhookSecret ?? (saved.tenantId === config.devTenant ? saved.webhookSecret : undefined) ?? generateWebhookSecret(),
  };
  // Kept before the tenant is written: a crash in between leaves a key that the next start writes, not one lost.
  if (file && JSON.stringify(saved) !== JSON.stringify(dev)) {
    mkdirSync(persistDir!, { recursive: true });
    writeFileAtomically(file, `${JSON.stringify(dev, null, 2)}\n`, 0o600);
  }
  const now = new Date().toISOString();
  const created = await tenants.createTenant({
    tenantId: dev.tenantId,
    name: 'Development tenant',
    status: 'active',
    webhookSecrets: [dev.webhookSecret],
    createdAt: now,
  });
  if (!created) {
    const existing = await tenants.getTenant(dev.tenantId);
    if (existing && existing.webhookSecrets[0] !== dev.webhookSecret) await tenants.rotateWebhookSecret(dev.tenantId, dev.webhookSecret);
    if (existing && existing.webhookSecrets[0] !== dev.webhookSecret) await tenants.finishWebhookSecretRotation(dev.tenantId);
  }
  const apiKeyId = localApiKeyId(dev.apiKey);
  const key = await tenants.getApiKey(apiKeyId);
  if (!key) {
    await tenants.putApiKey({ apiKeyId, tenantId: dev.tenantId, keyHash: hashApiKey(dev.apiKey), status: 'active', createdAt: now });
  }
  return dev;
}
