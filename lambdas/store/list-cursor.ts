/**
 * The list cursor (SPEC §3.3): base64url of `{"p": position, "h": checksum}`,
 * where the position is the status index's sort key of the last item read
 * (`createdAt#jobId`) and the checksum binds it to the tenant, status and type
 * it was issued for.
 *
 * The checksum is tamper-evident, not secret: anyone who reads this file can
 * compute one. So a cursor is trusted for nothing its checksum covers; every
 * field is validated for what it must be (exactly the fields we issue, an ISO
 * time with milliseconds and a job id) before any of it reaches a query, and
 * the start key is rebuilt from the caller's own tenant and status.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isJobIdShaped } from '../jobs/job-id';

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/** What a cursor is bound to: the list it pages through. */
export interface CursorScope {
  readonly tenantId: string;
  readonly status: string;
  readonly type?: string;
}

/** A decoded, validated cursor: where the next page starts. */
export interface CursorPosition {
  /** The status index's sort key, `createdAt#jobId`. */
  readonly position: string;
  readonly createdAt: string;
  readonly jobId: string;
}

const CHECKSUM_LENGTH = 22;
/** ISO time with ms (24) + `#` + a job id (36) in JSON with a checksum, base64url: about 136; a margin, never a book. */
const MAX_CURSOR_LENGTH = 256;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Exactly the fields this service writes; anything else is not one of its cursors. (Plain checks, not zod: the scheduler and webhook bundles load this file and no zod.) */
function isCursorBody(value: unknown): value is { readonly p: string; readonly h: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length !== 2) return false;
  const { p, h } = value as Record<string, unknown>;
  return typeof p === 'string' && p.length <= 64 && typeof h === 'string' && h.length === CHECKSUM_LENGTH && /^[A-Za-z0-9_-]+$/.test(h);
}

export function encodeListCursor(scope: CursorScope, position: string): string {
  return Buffer.from(JSON.stringify({ p: position, h: cursorChecksum(scope, position) })).toString('base64url');
}

/** The cursor's position, or InvalidCursorError when it is not one this service issued for `scope`. */
export function decodeListCursor(scope: CursorScope, cursor: string): CursorPosition {
  // Node's base64url decoder skips characters outside the alphabet; refuse them first.
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError('cursor is not one this service issued');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(cursor, 'base64url')));
  } catch {
    throw new InvalidCursorError('cursor is not one this service issued');
  }
  if (!isCursorBody(parsed)) throw new InvalidCursorError('cursor is not one this service issued');
  const { p, h } = parsed;
  const expected = Buffer.from(cursorChecksum(scope, p));
  if (!timingSafeEqual(Buffer.from(h), expected)) throw new InvalidCursorError('cursor does not belong to this query');
  const position = parsePosition(p);
  if (!position) throw new InvalidCursorError('cursor position is malformed');
  return position;
}

function parsePosition(position: string): CursorPosition | undefined {
  const parts = position.split('#');
  if (parts.length !== 2) return undefined;
  const [createdAt, jobId] = parts as [string, string];
  if (!ISO_MS.test(createdAt) || !isJobIdShaped(jobId)) return undefined;
  // A real instant, written the way this service writes times (2026-13-45… is not one).
  const time = Date.parse(createdAt);
  if (Number.isNaN(time) || new Date(time).toISOString() !== createdAt) return undefined;
  return { position, createdAt, jobId };
}

function cursorChecksum(scope: CursorScope, position: string): string {
  return createHash('sha256')
    .update(['cursor-v1', scope.tenantId, scope.status, scope.type ?? '', position].join('\u0000'))
    .digest('base64url')
    .slice(0, CHECKSUM_LENGTH);
}
