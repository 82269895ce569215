/**
 * The bench's job payloads, deterministic per job index:
 *
 * - `smallPayload`: an order receipt of about 200 bytes of JSON, the job the
 *   issue-11 targets are stated for;
 * - `largePayload`: about 8 KiB of JSON order lines, records with the same keys
 *   and varied values (SKUs, names, prices, warehouses) as an export or a
 *   report job would carry. Not one repeated character: the service may
 *   compress large payloads, and a payload that compresses a hundredfold would
 *   flatter it. The report prints how far node:zlib shrinks it.
 */
import { deflateSync } from 'node:zlib';

export const LARGE_PAYLOAD_BYTES = 8 * 1024;

/** mulberry32: a small seeded PRNG, so every run submits the same payloads. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function smallPayload(index: number): Record<string, unknown> {
  const next = random(index + 1);
  return {
    orderId: `order-${pad(index, 8)}`,
    customerId: `cus_${Math.floor(next() * 36 ** 8).toString(36).padStart(8, '0')}`,
    email: `customer${pad(index % 10_000, 4)}@example.com`,
    action: 'send-receipt',
    amountCents: 500 + Math.floor(next() * 50_000),
    currency: ['EUR', 'USD', 'GBP'][index % 3],
    items: 1 + Math.floor(next() * 9),
    placedAt: new Date(Date.UTC(2026, 10, 1) + index * 61_000).toISOString(),
  };
}

const ADJECTIVES = ['compact', 'organic', 'steel', 'wireless', 'recycled', 'heavy-duty', 'linen', 'ceramic', 'matte', 'foldable', 'insulated', 'bamboo'];
const NOUNS = ['kettle', 'backpack', 'desk lamp', 'notebook', 'bottle', 'charger', 'towel set', 'mug', 'speaker', 'jacket', 'planter', 'keyboard'];
const WAREHOUSES = ['AMS1', 'FRA2', 'DUB1', 'MAD3', 'WAW1'];
const STATUSES = ['picked', 'packed', 'backordered', 'allocated'];

/** About `LARGE_PAYLOAD_BYTES` of JSON (exactly, when serialized with JSON.stringify). */
export function largePayload(index: number, bytes = LARGE_PAYLOAD_BYTES): Record<string, unknown> {
  const next = random(1_000_003 * (index + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const lines: Array<Record<string, unknown>> = [];
  const payload: Record<string, unknown> = { exportId: `exp-${pad(index, 8)}`, tenantRef: `acct-${pad(index % 977, 5)}`, currency: 'EUR', lines, filler: '' };
  const size = () => Buffer.byteLength(JSON.stringify(payload));
  for (let line = 1; ; line++) {
    const candidate = {
      line,
      sku: `SKU-${Math.floor(next() * 16 ** 6).toString(16).toUpperCase().padStart(6, '0')}`,
      name: `${pick(ADJECTIVES)} ${pick(NOUNS)}`,
      qty: 1 + Math.floor(next() * 24),
      unitPriceCents: 199 + Math.floor(next() * 20_000),
      warehouse: pick(WAREHOUSES),
      status: pick(STATUSES),
      updatedAt: new Date(Date.UTC(2026, 10, 1) + Math.floor(next() * 30 * 86_400_000)).toISOString(),
    };
    lines.push(candidate);
    if (size() > bytes) {
      lines.pop();
      break;
    }
  }
  // The last few bytes: random base-36 text, so the size is exact and nothing compresses for free.
  let filler = '';
  while (filler.length < bytes - size()) filler += Math.floor(next() * 36).toString(36);
  payload.filler = filler;
  return payload;
}

/** JSON bytes of a payload, and what node:zlib's deflate makes of them (the service's likely compressor). */
export function payloadFacts(payload: Record<string, unknown>): { readonly bytes: number; readonly deflatedBytes: number } {
  const json = Buffer.from(JSON.stringify(payload));
  return { bytes: json.length, deflatedBytes: deflateSync(json).length };
}
