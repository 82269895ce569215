/**
 * Tenants and API keys (SPEC §8). Both live in one small partition (`TENANTS`):
 * they are few, read through a short in-memory cache, and listing them needs no
 * Scan. An API-key record holds only a hash of the key, never the key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './errors';

export type TenantStatus = 'active' | 'disabled';

/** The tier of a tenant created without one. */
export const DEFAULT_TENANT_TIER = 'standard';

export interface Tenant {
  tenantId: string;
  name: string;
  status: TenantStatus;
  /** Webhook signing secrets, current first; during a rotation the previous one follows. */
  webhookSecrets: string[];
  /** Service tier (e.g. `standard`, `premium`): a metrics dimension. @default DEFAULT_TENANT_TIER */
  tier?: string;
  createdAt: string;
}

export interface ApiKeyRecord {
  apiKeyId: string;
  tenantId: string;
  /** SHA-256 of the key (hex). */
  keyHash: string;
  status: TenantStatus;
  createdAt: string;
}

const PARTITION = 'TENANTS';
const tenantKey = (tenantId: string) => ({ pk: PARTITION, sk: `TENANT#${tenantId}` });
const apiKeyKey = (apiKeyId: string) => ({ pk: PARTITION, sk: `APIKEY#${apiKeyId}` });

/** A new API key: `jobs_` + 24 random bytes (base64url). Only its hash is ever stored. */
export function generateApiKey(): string {
  return `jobs_${randomBytes(24).toString('base64url')}`;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

/**
 * The API key id the local twin's gateway derives from a key (API Gateway assigns
 * its own ids on AWS). Derived, so the twin's gateway needs no key table.
 */
export function localApiKeyId(apiKey: string): string {
  return `local-${hashApiKey(apiKey).slice(0, 24)}`;
}

export class TenantStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: tenantKey(tenantId), ConsistentRead: true }));
    return Item ? stripKeys<Tenant>(Item) : undefined;
  }

  /** Creates the tenant unless one with this id exists; returns whether it was created. */
  async createTenant(tenant: Tenant): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...tenantKey(tenant.tenantId), entity: 'tenant', ...tenant },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.queryPartition('TENANT#')) as Tenant[];
  }

  async setTenantStatus(tenantId: string, status: TenantStatus): Promise<boolean> {
    return this.updateExisting(tenantKey(tenantId), 'SET #status = :status', { ':status': status }, { '#status': 'status' });
  }

  /** Starts a rotation: `secret` becomes current, the previous current one is kept to sign alongside. */
  async rotateWebhookSecret(tenantId: string, secret: string): Promise<boolean> {
    const tenant = await this.getTenant(tenantId);
    if (!tenant) return false;
    const previous = tenant.webhookSecrets[0];
    return this.updateExisting(tenantKey(tenantId), 'SET webhookSecrets = :secrets', {
      ':secrets': previous ? [secret, previous] : [secret],
    });
  }

  /** Ends a rotation: only the current secret signs from now on. */
  async finishWebhookSecretRotation(tenantId: string): Promise<boolean> {
    const tenant = await this.getTenant(tenantId);
    if (!tenant) return false;
    return this.updateExisting(tenantKey(tenantId), 'SET webhookSecrets = :secrets', { ':secrets': tenant.webhookSecrets.slice(0, 1) });
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...apiKeyKey(record.apiKeyId), entity: 'apiKey', ...record } }));
  }

  async getApiKey(apiKeyId: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: apiKeyKey(apiKeyId) }));
    return Item ? stripKeys<ApiKeyRecord>(Item) : undefined;
  }

  async listApiKeys(tenantId?: string): Promise<ApiKeyRecord[]> {
    const keys = (await this.queryPartition('APIKEY#')) as ApiKeyRecord[];
    return tenantId === undefined ? keys : keys.filter((k) => k.tenantId === tenantId);
  }

  async setApiKeyStatus(apiKeyId: string, status: TenantStatus): Promise<boolean> {
    return this.updateExisting(apiKeyKey(apiKeyId), 'SET #status = :status', { ':status': status }, { '#status': 'status' });
  }

  private async queryPartition(prefix: string): Promise<unknown[]> {
    const items: unknown[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': PARTITION, ':prefix': prefix },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(stripKeys(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async updateExisting(
    key: { pk: string; sk: string },
    update: string,
    values: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: update,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: values,
          ExpressionAttributeNames: names,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, entity: _entity, ...rest } = item;
  return rest as T;
}
