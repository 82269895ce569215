/**
 * The list cursor (SPEC §3.3; issue 9 class 3): what it issues always decodes
 * back for the same list and only for it, and nothing else, whatever its bytes
 * or however well its checksum is forged, gets past decoding as anything but
 * InvalidCursorError.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { decodeListCursor, encodeListCursor, InvalidCursorError, type CursorScope } from '../../../lambdas/store/list-cursor';

const scopeArb: fc.Arbitrary<CursorScope> = fc.record(
  { tenantId: fc.string({ minLength: 1, maxLength: 40 }), status: fc.constantFrom('queued', 'running', 'retry', 'succeeded', 'fatal', 'canceled'), type: fc.constantFrom('echo', 'http', 'email') },
  { requiredKeys: ['tenantId', 'status'] },
);
const positionArb = fc
  .tuple(fc.date({ min: new Date('2000-01-01T00:00:00.000Z'), max: new Date('2099-12-31T23:59:59.999Z'), noInvalidDate: true }), fc.uuid())
  .map(([date, id]) => `${date.toISOString()}#${id}`);

/** What anyone can compute: the checksum is tamper-evident, not secret. */
function forge(scope: CursorScope, body: Record<string, unknown>): string {
  const position = typeof body.p === 'string' ? body.p : '';
  const h = createHash('sha256').update(['cursor-v1', scope.tenantId, scope.status, scope.type ?? '', position].join('\u0000')).digest('base64url').slice(0, 22);
  return Buffer.from(JSON.stringify({ h, ...body })).toString('base64url');
}

function outcome(scope: CursorScope, cursor: string): 'ok' | 'invalid' {
  try {
    decodeListCursor(scope, cursor);
    return 'ok';
  } catch (error) {
    if (error instanceof InvalidCursorError) return 'invalid';
    throw error;
  }
}

describe('list cursors', () => {
  it('decodes what it issues, for the same list, to the same position', () => {
    fc.assert(
      fc.property(scopeArb, positionArb, (scope, position) => {
        const cursor = encodeListCursor(scope, position);
        const [createdAt, jobId] = position.split('#');
        expect(decodeListCursor(scope, cursor)).toEqual({ position, createdAt, jobId });
        expect(cursor).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
      }),
    );
  });

  it('refuses a cursor issued for another tenant, status or type', () => {
    fc.assert(
      fc.property(scopeArb, scopeArb, positionArb, (issued, used, position) => {
        fc.pre(issued.tenantId !== used.tenantId || issued.status !== used.status || (issued.type ?? '') !== (used.type ?? ''));
        expect(outcome(used, encodeListCursor(issued, position))).toBe('invalid');
      }),
    );
  });

  it('answers anything at all with a position or InvalidCursorError, never another error', () => {
    const scope = { tenantId: 'dev', status: 'queued' };
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.base64String({ maxLength: 400 }), fc.json().map((j) => Buffer.from(j).toString('base64url'))), (cursor) => {
        expect(['ok', 'invalid']).toContain(outcome(scope, cursor));
      }),
    );
  });

  it('refuses a well-forged checksum over any position that is not an ISO time with ms and a job id', () => {
    const scope = { tenantId: 'dev', status: 'queued' };
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (p) => {
        fc.pre(!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(p));
        expect(outcome(scope, forge(scope, { p }))).toBe('invalid');
      }),
    );
    // The forged checksum itself is right: the same body with a real position is accepted.
    expect(outcome(scope, forge(scope, { p: '2026-12-01T10:00:00.000Z#0b7d3b8e-2f0c-4d5e-9a41-6f1f0c1d2e3f' }))).toBe('ok');
  });

  it.each([
    ['an extra field', { p: '2026-12-01T10:00:00.000Z#0b7d3b8e-2f0c-4d5e-9a41-6f1f0c1d2e3f', v: 2 }],
    ['a time that is no instant', { p: '2026-02-30T10:00:00.000Z#0b7d3b8e-2f0c-4d5e-9a41-6f1f0c1d2e3f' }],
    ['an upper-case job id', { p: '2026-12-01T10:00:00.000Z#0B7D3B8E-2F0C-4D5E-9A41-6F1F0C1D2E3F' }],
  ])('refuses %s even with a valid checksum', (_name, body) => {
    expect(outcome({ tenantId: 'dev', status: 'queued' }, forge({ tenantId: 'dev', status: 'queued' }, body))).toBe('invalid');
  });
});
