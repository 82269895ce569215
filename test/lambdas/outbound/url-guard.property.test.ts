import fc from 'fast-check';
import { checkUrlStatic, classifyAddress, type AddressClass } from '../../../lambdas/outbound/url-guard';

// A deliberately plain reference: every special-purpose IPv4 block as an
// inclusive integer interval, first match wins. It shares no code with the guard.
const REFERENCE_BLOCKS: Array<[first: string, last: string, addressClass: AddressClass]> = [
  ['169.254.169.254', '169.254.169.254', 'metadata'],
  ['169.254.170.2', '169.254.170.2', 'metadata'],
  ['169.254.170.23', '169.254.170.23', 'metadata'],
  ['100.100.100.200', '100.100.100.200', 'metadata'],
  ['192.0.0.192', '192.0.0.192', 'metadata'],
  ['0.0.0.0', '0.255.255.255', 'unspecified'],
  ['10.0.0.0', '10.255.255.255', 'private'],
  ['100.64.0.0', '100.127.255.255', 'cgnat'],
  ['127.0.0.0', '127.255.255.255', 'loopback'],
  ['169.254.0.0', '169.254.255.255', 'link-local'],
  ['172.16.0.0', '172.31.255.255', 'private'],
  ['192.0.0.0', '192.0.0.255', 'reserved'],
  ['192.0.2.0', '192.0.2.255', 'reserved'],
  ['192.88.99.0', '192.88.99.255', 'reserved'],
  ['192.168.0.0', '192.168.255.255', 'private'],
  ['198.18.0.0', '198.19.255.255', 'reserved'],
  ['198.51.100.0', '198.51.100.255', 'reserved'],
  ['203.0.113.0', '203.0.113.255', 'reserved'],
  ['224.0.0.0', '239.255.255.255', 'multicast'],
  ['240.0.0.0', '255.255.255.255', 'reserved'],
];

function toNumber(dotted: string): number {
  return dotted.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function referenceClass(value: number): AddressClass {
  const block = REFERENCE_BLOCKS.find(([first, last]) => value >= toNumber(first) && value <= toNumber(last));
  return block === undefined ? 'public' : block[2];
}

function bytesOf(value: number): [number, number, number, number] {
  return [Math.floor(value / 2 ** 24) % 256, Math.floor(value / 2 ** 16) % 256, Math.floor(value / 2 ** 8) % 256, value % 256];
}

function dotted(value: number): string {
  return bytesOf(value).join('.');
}

const hex16 = (n: number): string => n.toString(16);

type Radix = 'decimal' | 'octal' | 'hex';
function spellNumber(n: number, radix: Radix): string {
  if (radix === 'octal') return `0${n.toString(8)}`;
  if (radix === 'hex') return `0x${n.toString(16)}`;
  return String(n);
}

/** Every way we know to write one IPv4 address as a URL host. */
const SPELLINGS: Record<string, (value: number, radixes: Radix[]) => string> = {
  dotted: (v) => dotted(v),
  decimal: (v) => String(v),
  hex: (v) => `0x${v.toString(16)}`,
  octal: (v) => `0${v.toString(8)}`,
  'dotted octal': (v) => bytesOf(v).map((b) => spellNumber(b, 'octal')).join('.'),
  'dotted hex': (v) => bytesOf(v).map((b) => spellNumber(b, 'hex')).join('.'),
  'mixed radixes': (v, r) => bytesOf(v).map((b, i) => spellNumber(b, r[i])).join('.'),
  'short a.b.c': (v, r) => {
    const [a, b] = bytesOf(v);
    return [spellNumber(a, r[0]), spellNumber(b, r[1]), spellNumber(v % 65536, r[2])].join('.');
  },
  'short a.b': (v, r) => [spellNumber(bytesOf(v)[0], r[0]), spellNumber(v % 2 ** 24, r[1])].join('.'),
  'trailing dot': (v) => `${dotted(v)}.`,
  'two trailing dots': (v) => `${dotted(v)}..`,
  'percent-encoded': (v) => [...dotted(v)].map((c) => `%${c.charCodeAt(0).toString(16)}`).join(''),
  'IPv4-mapped dotted': (v) => `[::ffff:${dotted(v)}]`,
  'IPv4-mapped hex': (v) => `[::ffff:${hex16(Math.floor(v / 65536))}:${hex16(v % 65536)}]`,
  'IPv4-mapped expanded': (v) => `[0:0:0:0:0:ffff:${dotted(v)}]`,
  'IPv4-compatible': (v) => `[::${dotted(v)}]`,
  NAT64: (v) => `[64:ff9b::${hex16(Math.floor(v / 65536))}:${hex16(v % 65536)}]`,
  '6to4': (v) => `[2002:${hex16(Math.floor(v / 65536))}:${hex16(v % 65536)}::1]`,
};

const NON_PUBLIC_BLOCKS = REFERENCE_BLOCKS.map(([first, last]) => [toNumber(first), toNumber(last)] as const);
const nonPublicIpv4 = fc
  .constantFrom(...NON_PUBLIC_BLOCKS)
  .chain(([first, last]) => fc.integer({ min: first, max: last }));
const publicIpv4 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((v) => referenceClass(v) === 'public');
const radixes = fc.array(fc.constantFrom<Radix>('decimal', 'octal', 'hex'), { minLength: 4, maxLength: 4 });

describe('URL guard properties', () => {
  it('rejects every non-public IPv4 address in every spelling', () => {
    fc.assert(
      fc.property(nonPublicIpv4, fc.constantFrom(...Object.keys(SPELLINGS)), radixes, (value, spelling, r) => {
        // Arrange
        const url = `https://${SPELLINGS[spelling](value, r)}/`;

        // Act
        const result = checkUrlStatic(url, { allowPrivate: false });

        // Assert
        return !result.ok;
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every public IPv4 address as https://a.b.c.d/', () => {
    fc.assert(
      fc.property(publicIpv4, (value) => {
        const result = checkUrlStatic(`https://${dotted(value)}/`, { allowPrivate: false });
        return result.ok && result.url.hostname === dotted(value);
      }),
      { numRuns: 2000 },
    );
  });

  it('with allowPrivate, accepts every non-metadata IPv4 address and rejects metadata in every spelling', () => {
    fc.assert(
      fc.property(nonPublicIpv4, fc.constantFrom(...Object.keys(SPELLINGS)), radixes, (value, spelling, r) => {
        const result = checkUrlStatic(`http://${SPELLINGS[spelling](value, r)}/`, { allowPrivate: true });
        return result.ok === (referenceClass(value) !== 'metadata');
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary input and always answers with a UrlCheck', () => {
    const arbitraryUrl = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.tuple(fc.constantFrom('https://', 'http://', 'https://[', 'https://user@', ''), fc.string({ unit: 'grapheme' })).map(
        ([prefix, rest]) => prefix + rest,
      ),
    );
    fc.assert(
      fc.property(arbitraryUrl, fc.boolean(), (raw, allowPrivate) => {
        // Act
        const result = checkUrlStatic(raw, { allowPrivate });

        // Assert
        if (result.ok) return result.url instanceof URL;
        return typeof result.reason === 'string' && result.reason.length > 0 && result.reason.length <= 200;
      }),
      { numRuns: 3000 },
    );
  });

  it('classifies random IPv4 addresses like the reference table', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (value) => classifyAddress(dotted(value)) === referenceClass(value)),
      { numRuns: 5000 },
    );
  });

  it('classifies an IPv4 address the same when it is embedded in IPv6 (mapped, NAT64, 6to4)', () => {
    fc.assert(
      fc.property(fc.oneof(nonPublicIpv4, fc.integer({ min: 0, max: 2 ** 32 - 1 })), (value) => {
        const expected = referenceClass(value);
        const high = hex16(Math.floor(value / 65536));
        const low = hex16(value % 65536);
        return (
          classifyAddress(`::ffff:${dotted(value)}`) === expected &&
          classifyAddress(`::ffff:${high}:${low}`) === expected &&
          classifyAddress(`64:ff9b::${high}:${low}`) === expected &&
          classifyAddress(`2002:${high}:${low}::`) === expected
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('classifies an IPv6 address the same however it is written', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        // URL serialisation compresses and lower-cases: the canonical form.
        const canonical = new URL(`https://[${address}]/`).hostname.slice(1, -1);
        return classifyAddress(address) === classifyAddress(canonical);
      }),
      { numRuns: 2000 },
    );
  });
});
