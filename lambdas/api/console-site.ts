/**
 * The web console's page (SPEC §16), as the api Lambda serves it: `GET /console`
 * is the page, `/console/<file>` its script and style, `/console/config.json` what
 * this deployment tells the page (the twin's health route, or the CloudWatch
 * dashboard). No key is needed for any of them: they hold no tenant data, and
 * every call the page makes goes through the keyed API.
 *
 * The files are built at build time (console/build.ts); this module only serves
 * bytes it is given, with the headers that keep tenant data inert in the page: a
 * Content-Security-Policy allowing scripts, styles and calls from this origin
 * only (no inline script), `frame-ancestors 'none'`, no MIME sniffing, no
 * referrer. Bytes go out base64 (`isBase64Encoded`): with binaryMediaTypes `*\/*`
 * (lib/jobs-api.ts) API Gateway hands them on unchanged.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { CONSOLE_PATH } from '../resources';
import { HttpProblem } from './problem';

/** What the page reads from `config.json`; both relative to nothing but absolute URLs or paths relative to the API's base. */
export interface ConsoleConfig {
  /** The twin's health route, relative to the API's base URL (`twin/health`); null on AWS. */
  readonly healthUrl: string | null;
  /** The stack's CloudWatch dashboard; null on the twin. */
  readonly dashboardUrl: string | null;
}

export interface ConsoleSite {
  /** The page's files by name (`index.html`, `console.js`, `console.css`); undefined when this deployment has none. */
  readonly files: () => ReadonlyMap<string, Uint8Array> | undefined;
  readonly config: ConsoleConfig;
}

/** The page's files (console/build.ts makes them): `index.html` is `/console` itself, the others `/console/<name>`. */
export const CONSOLE_FILES = ['index.html', 'console.js', 'console.css'] as const;
export type ConsoleFileName = (typeof CONSOLE_FILES)[number];

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** True for the paths this module answers: `/console` and everything under `/console/`. */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/**
 * The files a deployment ships beside its code, read once, on the first request
 * for the page (a cold start that serves the API only reads none of them).
 */
export function consoleFilesIn(dir: string, names: readonly string[] = CONSOLE_FILES): () => ReadonlyMap<string, Uint8Array> | undefined {
  let files: ReadonlyMap<string, Uint8Array> | undefined;
  let read = false;
  return () => {
    if (!read) {
      try {
        files = new Map(names.map((name) => [name, readFileSync(join(dir, name))]));
      } catch {
        files = undefined;
      }
      read = true;
    }
    return files;
  };
}

/** Answers a request for the console; the caller has checked {@link isConsolePath}. */
export function serveConsole(site: ConsoleSite, request: { method: string; path: string; headers: Readonly<Record<string, string | undefined>> }): Omit<APIGatewayProxyResult, 'headers'> & { headers: Record<string, string> } {
  const name = request.path === CONSOLE_PATH ? 'index.html' : request.path.slice(CONSOLE_PATH.length + 1);
  if (request.path === `${CONSOLE_PATH}/`) {
    // The page's links are relative to `…/console` (the stage's prefix on AWS is not known to the page).
    return { statusCode: 308, headers: { location: '../console', ...CONSOLE_SECURITY_HEADERS }, body: '' };
  }
  const body = name === 'config.json' ? Buffer.from(JSON.stringify(site.config)) : name === 'index.html' || !name.includes('/') ? site.files()?.get(name) : undefined;
  if (!body) throw new HttpProblem('not_found', `No route for ${request.path.slice(0, 200)}.`);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    throw new HttpProblem('method_not_allowed', `${request.method} is not allowed here; use GET, HEAD.`, { headers: { allow: 'GET, HEAD' } });
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const headers = {
    'content-type': CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
    // Revalidated each time (one small 304): the names carry no hash, so a deploy is seen at once.
    'cache-control': name === 'config.json' ? 'no-store' : 'no-cache',
    etag,
    ...CONSOLE_SECURITY_HEADERS,
  };
  const unchanged = request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag);
  if (unchanged) return { statusCode: 304, headers, body: '' };
  return { statusCode: 200, headers, body: request.method === 'HEAD' ? '' : Buffer.from(body).toString('base64'), isBase64Encoded: request.method !== 'HEAD' };
}
