/** A tiny HTTP client for e2e tests against a running twin (real HTTP, no mocks). */
export interface ApiResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface ApiCallOptions {
  body?: unknown;
  /** Sent as is (not JSON-encoded). */
  rawBody?: string | Buffer;
  apiKey?: string | null;
  headers?: Record<string, string>;
}

export function apiClient(baseUrl: string, defaultApiKey: string) {
  return async function call<T = any>(method: string, path: string, options: ApiCallOptions = {}): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const apiKey = options.apiKey === undefined ? defaultApiKey : options.apiKey;
    if (apiKey !== null) headers['x-api-key'] = apiKey;
    let body: string | Buffer | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  };
}
