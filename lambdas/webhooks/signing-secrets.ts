/**
 * Tenants' webhook signing secrets for `JobContext.signingSecrets`, cached
 * briefly: a warm worker reads each tenant once a minute rather than once per
 * job, and a rotated secret is picked up within that minute.
 */
import type { TenantStore } from '../store/tenant-store';

const DEFAULT_TTL_MS = 60_000;

export class SigningSecrets {
  private readonly cache = new Map<string, { secrets: readonly string[]; until: number }>();

  constructor(
    private readonly tenants: Pick<TenantStore, 'getTenant'>,
    private readonly ttlMs = DEFAULT_TTL_MS,
    /** Real time: the cache's age has nothing to do with the clock jobs are judged by. */
    private readonly clock: () => number = Date.now,
  ) {}

  /** Current first; empty when the tenant is gone (an `http` job then fails rather than send unsigned). */
  async of(tenantId: string): Promise<readonly string[]> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > this.clock()) return cached.secrets;
    const tenant = await this.tenants.getTenant(tenantId);
    const secrets = tenant?.webhookSecrets ?? [];
    this.cache.set(tenantId, { secrets, until: this.clock() + this.ttlMs });
    return secrets;
  }
}
