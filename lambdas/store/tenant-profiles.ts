/**
 * What the worker and the webhook Lambda need of a tenant (its signing secrets
 * and tier), cached briefly: a warm function reads each tenant once a minute
 * rather than once per job, and picks up a rotated secret within that minute.
 */
import { DEFAULT_TENANT_TIER, type TenantStore } from './tenant-store';

const DEFAULT_TTL_MS = 60_000;

export interface TenantProfile {
  /** Webhook signing secrets, current first; empty when the tenant is gone (nothing is then sent unsigned). */
  readonly secrets: readonly string[];
  /** Service tier, a metrics dimension (QueueWaitSeconds). */
  readonly tier: string;
}

export class TenantProfiles {
  private readonly cache = new Map<string, { profile: TenantProfile; until: number }>();

  constructor(
    private readonly tenants: Pick<TenantStore, 'getTenant'>,
    private readonly ttlMs = DEFAULT_TTL_MS,
    /** Real time: the cache's age has nothing to do with the clock jobs are judged by. */
    private readonly clock: () => number = Date.now,
  ) {}

  async of(tenantId: string): Promise<TenantProfile> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > this.clock()) return cached.profile;
    const tenant = await this.tenants.getTenant(tenantId);
    const profile = { secrets: tenant?.webhookSecrets ?? [], tier: tenant?.tier ?? DEFAULT_TENANT_TIER };
    this.cache.set(tenantId, { profile, until: this.clock() + this.ttlMs });
    return profile;
  }
}
