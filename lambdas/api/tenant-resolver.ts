/**
 * API key id → tenant (SPEC §8). API Gateway has already checked the key itself
 * on AWS (the twin's gateway plays that part); this maps its id to the tenant and
 * refuses disabled keys and tenants. Hits are cached briefly per container;
 * misses are not, so a key created a moment ago works at once.
 */
import type { TenantStore } from '../store/tenant-store';
import { HttpProblem } from './problem';

const CACHE_TTL_MS = 30_000;

export class TenantResolver {
  private readonly cache = new Map<string, { tenantId: string; until: number }>();

  constructor(
    private readonly tenants: TenantStore,
    private readonly now: () => number,
  ) {}

  async tenantFor(apiKeyId: string | undefined): Promise<string> {
    if (!apiKeyId) throw forbidden();
    const cached = this.cache.get(apiKeyId);
    if (cached && cached.until > this.now()) return cached.tenantId;
    const key = await this.tenants.getApiKey(apiKeyId);
    if (!key || key.status !== 'active') throw forbidden();
    const tenant = await this.tenants.getTenant(key.tenantId);
    if (!tenant || tenant.status !== 'active') throw forbidden();
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(apiKeyId, { tenantId: tenant.tenantId, until: this.now() + CACHE_TTL_MS });
    return tenant.tenantId;
  }
}

function forbidden(): HttpProblem {
  return new HttpProblem('forbidden');
}
