/** Tenants and their API keys as the tenant store holds them, for tests that write them directly. */
import { hashApiKey, localApiKeyId, type ApiKeyRecord, type Tenant, type TenantStatus, type TenantStore } from '../../lambdas/store/tenant-store';

/** A fixed, well-formed signing secret (`whsec_` + 24 bytes), for tests that check signatures by hand. */
export const TEST_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** An active tenant named after its id, created now, signing with TEST_WEBHOOK_SECRET; override any field. */
export function tenantFactory(overrides: Partial<Tenant> = {}): Tenant {
  const tenantId = overrides.tenantId ?? 'tenant-a';
  return { tenantId, name: tenantId, status: 'active', webhookSecrets: [TEST_WEBHOOK_SECRET], createdAt: new Date().toISOString(), ...overrides };
}

/** The record of `apiKey` for `tenantId`, keyed as the twin's gateway keys it (`localApiKeyId`). */
export function apiKeyFactory(apiKey: string, tenantId: string, status: TenantStatus = 'active'): ApiKeyRecord {
  return { apiKeyId: localApiKeyId(apiKey), tenantId, keyHash: hashApiKey(apiKey), status, createdAt: new Date().toISOString() };
}

/** Writes `tenant` (unless a tenant with its id exists) and an API key for it. */
export async function addTenantWithKey(tenants: TenantStore, tenant: Tenant, apiKey: string, keyStatus: TenantStatus = 'active'): Promise<void> {
  if (!(await tenants.getTenant(tenant.tenantId))) await tenants.createTenant(tenant);
  await tenants.putApiKey(apiKeyFactory(apiKey, tenant.tenantId, keyStatus));
}
