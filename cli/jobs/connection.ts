/**
 * Which API the jobs CLI talks to: `--api-url` / `--api-key`, else `JOBS_API_URL` /
 * `JOBS_API_KEY`, else — when neither is given — the running local twin, found from
 * its data dir (`JOBS_DATA_DIR`, default `.data`): the URL from `twin.json`, the dev
 * tenant's key from `dev-tenant.json`. So `npm start` in one terminal and
 * `npm run jobs -- …` in another just works.
 */
import { devTenantApiKey, findRunningTwin, TwinNotFoundError } from '../twin-file';

export interface ApiTarget {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Where they came from, for messages. */
  readonly source: string;
}

/** The CLI cannot tell which API to use (exit 2, like a usage error). */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export async function resolveApiTarget(flags: { apiUrl?: string; apiKey?: string }, env: NodeJS.ProcessEnv): Promise<ApiTarget> {
  const baseUrl = flags.apiUrl || env.JOBS_API_URL || undefined;
  const apiKey = flags.apiKey || env.JOBS_API_KEY || undefined;
  if (baseUrl && apiKey) return { baseUrl, apiKey, source: flags.apiUrl ? '--api-url' : 'JOBS_API_URL' };
  if (baseUrl || apiKey) {
    throw new TargetError(baseUrl ? 'no API key: give --api-key or set JOBS_API_KEY' : 'no API URL: give --api-url or set JOBS_API_URL');
  }
  try {
    const { info, file } = await findRunningTwin(env);
    const twinKey = devTenantApiKey(env);
    if (!info.apiUrl) throw new TargetError(`${file} names no apiUrl`);
    if (!twinKey) throw new TargetError(`the twin's dev-tenant.json beside ${file} holds no API key: give --api-key or set JOBS_API_KEY`);
    return { baseUrl: info.apiUrl, apiKey: twinKey, source: file };
  } catch (error) {
    if (error instanceof TwinNotFoundError) {
      throw new TargetError(`no API given (--api-url and --api-key, or JOBS_API_URL and JOBS_API_KEY) and ${error.message}`);
    }
    throw error;
  }
}
