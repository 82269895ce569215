/**
 * The API key the user typed, kept in `sessionStorage` only (SPEC §16): it lives as
 * long as the tab, is never written to localStorage, a cookie, a URL or a log, and
 * "Forget key" removes it.
 */
const STORAGE_NAME = 'jobs-console.api-key';

export function readSessionKey(): string | null {
  const key = sessionStorage.getItem(STORAGE_NAME);
  return key === null || key === '' ? null : key;
}

export function storeSessionKey(key: string): void {
  sessionStorage.setItem(STORAGE_NAME, key);
}

export function forgetSessionKey(): void {
  sessionStorage.removeItem(STORAGE_NAME);
}
