/**
 * Where the console is and what it may link to: the API's base URL (the page is at
 * `<base>/console`, `<base>` carries the stage prefix on AWS) and
 * `<base>/console/config.json` (no key needed): on the twin `healthUrl` names the
 * twin-only health route, relative to `<base>/`; on AWS `dashboardUrl` is the stack's
 * CloudWatch dashboard.
 */

export interface ConsoleConfig {
  /** Relative to `<base>/`: `twin/health`; null on AWS. */
  readonly healthUrl: string | null;
  /** The CloudWatch dashboard (https); null on the twin. */
  readonly dashboardUrl: string | null;
}

const NO_CONFIG: ConsoleConfig = { healthUrl: null, dashboardUrl: null };

/** `<base>` from the page's own address: `https://…/prod/console` → `https://…/prod`. */
export function apiBaseUrl(pageUrl: string): string {
  return new URL('.', pageUrl).href.replace(/\/+$/, '');
}

/** Reads config.json; without one (or with one this console cannot use) the page shows neither strip nor link. */
export async function loadConsoleConfig(baseUrl: string): Promise<ConsoleConfig> {
  try {
    const response = await fetch(`${baseUrl}/console/config.json`, { headers: { accept: 'application/json' } });
    if (!response.ok) return NO_CONFIG;
    return parseConsoleConfig(await response.json());
  } catch {
    return NO_CONFIG;
  }
}

/** Keeps only what the console may use: a relative same-origin path, an https dashboard. */
export function parseConsoleConfig(body: unknown): ConsoleConfig {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const healthUrl = typeof record.healthUrl === 'string' && /^[a-z0-9][a-z0-9/_-]*$/i.test(record.healthUrl) ? record.healthUrl : null;
  const dashboardUrl = typeof record.dashboardUrl === 'string' && /^https:\/\/[^\s]+$/.test(record.dashboardUrl) ? record.dashboardUrl : null;
  return { healthUrl, dashboardUrl };
}
