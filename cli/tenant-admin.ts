/**
 * The tenants CLI's commands (SPEC §8), with their clients passed in: the same
 * code runs against the local twin (API key ids derived from the key, as its
 * gateway does) and against a deployed stack (API Gateway API keys in the
 * stack's usage plan). Keys and secrets are returned to the caller, which shows
 * them once; nothing here logs them, and the table holds only a key's hash.
 */
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  UpdateApiKeyCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { DEFAULT_TENANT_TIER, generateApiKey, hashApiKey, localApiKeyId, type ApiKeyRecord, type Tenant, type TenantStatus, type TenantStore } from '../lambdas/store/tenant-store';
import { generateWebhookSecret } from '../lambdas/outbound/signer';

/** Where API keys live: API Gateway on AWS; on the local twin the gateway derives ids from the key itself. */
export interface KeyIssuer {
  /** Makes `apiKey` usable for `tenantId`; returns its id (the api Lambda's `requestContext.identity.apiKeyId`). */
  issue(tenantId: string, apiKey: string): Promise<string>;
  /** Stops the key at the gateway. */
  disable(apiKeyId: string): Promise<void>;
  /** Removes a key whose record could not be written (a create that failed half-way). */
  discard(apiKeyId: string): Promise<void>;
}

/** The local twin: nothing to register, its gateway maps any key to `localApiKeyId(key)`. */
export const localKeyIssuer: KeyIssuer = {
  issue: (_tenantId, apiKey) => Promise.resolve(localApiKeyId(apiKey)),
  disable: () => Promise.resolve(),
  discard: () => Promise.resolve(),
};

/** A deployed stack: an API Gateway API key with our value, added to the stack's usage plan. */
export class ApiGatewayKeyIssuer implements KeyIssuer {
  constructor(
    private readonly apiGateway: APIGatewayClient,
    private readonly usagePlanId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async issue(tenantId: string, apiKey: string): Promise<string> {
    const created = await this.apiGateway.send(
      new CreateApiKeyCommand({
        name: `${tenantId}-${this.now().toISOString().replace(/[:.]/g, '-')}`,
        description: `Jobs service API key of tenant ${tenantId}`,
        value: apiKey,
        enabled: true,
        tags: { tenantId },
      }),
    );
    const apiKeyId = created.id;
    if (!apiKeyId) throw new TenantAdminError('API Gateway returned no id for the new API key');
    try {
      // Without a usage plan on the stage, API Gateway refuses the key (403).
      await this.apiGateway.send(new CreateUsagePlanKeyCommand({ usagePlanId: this.usagePlanId, keyId: apiKeyId, keyType: 'API_KEY' }));
    } catch (error) {
      await this.discard(apiKeyId).catch(() => undefined);
      throw error;
    }
    return apiKeyId;
  }

  async disable(apiKeyId: string): Promise<void> {
    await this.apiGateway.send(new UpdateApiKeyCommand({ apiKey: apiKeyId, patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] }));
  }

  async discard(apiKeyId: string): Promise<void> {
    await this.apiGateway.send(new DeleteApiKeyCommand({ apiKey: apiKeyId }));
  }
}

export class TenantAdminError extends Error {
  override name = 'TenantAdminError';
}

/** The same rule as the dev tenant's id (JOBS_DEV_TENANT): lowercase letters, digits and dashes. */
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TIER = /^[a-z0-9][a-z0-9-]{0,31}$/;

export interface IssuedKey {
  readonly tenantId: string;
  readonly apiKeyId: string;
  /** Shown once: only its hash is stored. */
  readonly apiKey: string;
}

export interface CreatedTenant extends IssuedKey {
  readonly name: string;
  /** Shown once. */
  readonly webhookSecret: string;
}

export interface TenantListing {
  readonly tenantId: string;
  readonly name: string;
  readonly status: TenantStatus;
  readonly tier: string;
  readonly createdAt: string;
  /** Two during a webhook secret rotation. */
  readonly webhookSecrets: number;
  readonly keys: ReadonlyArray<Omit<ApiKeyRecord, 'keyHash' | 'tenantId'>>;
}

export class TenantAdmin {
  constructor(
    private readonly tenants: TenantStore,
    private readonly keys: KeyIssuer,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new tenant with its first API key and a webhook signing secret. */
  async createTenant(input: { tenantId: string; name?: string; tier?: string }): Promise<CreatedTenant> {
    const { tenantId } = input;
    if (!TENANT_ID.test(tenantId)) throw new TenantAdminError(`tenant id "${tenantId}" must be 1-63 lowercase letters, digits and dashes`);
    const tier = input.tier ?? DEFAULT_TENANT_TIER;
    if (!TIER.test(tier)) throw new TenantAdminError(`tier "${tier}" must be 1-32 lowercase letters, digits and dashes`);
    const name = input.name?.trim() || tenantId;
    const webhookSecret = generateWebhookSecret();
    const created = await this.tenants.createTenant({
      tenantId,
      name,
      status: 'active',
      webhookSecrets: [webhookSecret],
      tier,
      createdAt: this.now().toISOString(),
    });
    if (!created) throw new TenantAdminError(`tenant ${tenantId} already exists (add-key gives it another key)`);
    try {
      return { ...(await this.issueKey(tenantId)), name, webhookSecret };
    } catch (error) {
      throw new TenantAdminError(`tenant ${tenantId} was created but its API key was not (${(error as Error).message}); run add-key ${tenantId}`, {
        cause: error,
      });
    }
  }

  /** Another key for a tenant, e.g. to rotate keys without downtime: add the new one, then disable the old. */
  async addKey(tenantId: string): Promise<IssuedKey> {
    await this.existingTenant(tenantId);
    return this.issueKey(tenantId);
  }

  async list(): Promise<TenantListing[]> {
    const [tenants, keys] = await Promise.all([this.tenants.listTenants(), this.tenants.listApiKeys()]);
    return tenants
      .sort((a, b) => a.tenantId.localeCompare(b.tenantId))
      .map((tenant) => ({
        tenantId: tenant.tenantId,
        name: tenant.name,
        status: tenant.status,
        tier: tenant.tier ?? DEFAULT_TENANT_TIER,
        createdAt: tenant.createdAt,
        webhookSecrets: tenant.webhookSecrets.length,
        keys: keys
          .filter((key) => key.tenantId === tenant.tenantId)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
          .map(({ apiKeyId, status, createdAt }) => ({ apiKeyId, status, createdAt })),
      }));
  }

  /**
   * Stops a key: at the gateway, and in its record (which the api Lambda checks;
   * a warm Lambda may honour its cached answer for up to 30 s more).
   */
  async disableKey(apiKeyId: string): Promise<ApiKeyRecord> {
    const record = await this.tenants.getApiKey(apiKeyId);
    if (!record) throw new TenantAdminError(`no API key with id ${apiKeyId}`);
    await this.keys.disable(apiKeyId);
    await this.tenants.setApiKeyStatus(apiKeyId, 'disabled');
    return { ...record, status: 'disabled' };
  }

  /**
   * Starts a webhook secret rotation: the new secret signs from now on, next
   * to the old one, until `finishRotation` — so receivers can switch at leisure.
   */
  async rotateSecret(tenantId: string): Promise<{ tenantId: string; webhookSecret: string }> {
    await this.existingTenant(tenantId);
    const webhookSecret = generateWebhookSecret();
    await this.tenants.rotateWebhookSecret(tenantId, webhookSecret);
    return { tenantId, webhookSecret };
  }

  /** Ends a rotation: only the newest secret signs. */
  async finishRotation(tenantId: string): Promise<void> {
    await this.existingTenant(tenantId);
    await this.tenants.finishWebhookSecretRotation(tenantId);
  }

  private async existingTenant(tenantId: string): Promise<Tenant> {
    const tenant = await this.tenants.getTenant(tenantId);
    if (!tenant) throw new TenantAdminError(`no tenant ${tenantId}`);
    return tenant;
  }

  private async issueKey(tenantId: string): Promise<IssuedKey> {
    const apiKey = generateApiKey();
    const apiKeyId = await this.keys.issue(tenantId, apiKey);
    try {
      await this.tenants.putApiKey({ apiKeyId, tenantId, keyHash: hashApiKey(apiKey), status: 'active', createdAt: this.now().toISOString() });
    } catch (error) {
      await this.keys.discard(apiKeyId).catch(() => undefined);
      throw error;
    }
    return { tenantId, apiKeyId, apiKey };
  }
}
