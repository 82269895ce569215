/**
 * The SSRF guard for every URL this service calls on a tenant's behalf
 * (`webhookUrl` and `http` job targets, SPEC §6).
 *
 * Two stages, because a name can point anywhere at delivery time (DNS rebinding):
 * - {@link checkUrlStatic} runs at submit: scheme, userinfo, length, and the host
 *   when it is an address literal in any spelling, or a name that is local by
 *   definition (`localhost`, `*.internal`, metadata names).
 * - {@link resolveSafeAddress} runs where the request is made: it resolves the
 *   name, rejects it if ANY address is non-public, and returns the address the
 *   connection must be pinned to (see pinned-request.ts).
 *
 * Policy under `allowPrivate` (the local twin, a developer tool bound to
 * loopback): plain `http` and every non-public address are allowed, EXCEPT
 * cloud metadata endpoints. Those are rejected under every policy: a laptop
 * never needs them, and a deployment that sets the flag by mistake must still
 * not hand out instance credentials.
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import { NetworkError, UnsafeTargetError } from './errors';

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'metadata'
  | 'reserved';

export interface UrlPolicy {
  /** Allow plain `http` and non-public targets (never cloud metadata). */
  allowPrivate: boolean;
  /** Longest accepted URL, raw and normalised. @default 2048 */
  maxLength?: number;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;

const DEFAULT_MAX_LENGTH = 2048;

/** Longest host we quote back in a reason; reasons end up in API error details. */
const MAX_QUOTED_HOST = 100;

// ---------------------------------------------------------------------------
// Address classification

interface Ipv4Range {
  readonly base: number;
  readonly prefix: number;
  readonly addressClass: AddressClass;
}

function ipv4Range(cidr: string, addressClass: AddressClass): Ipv4Range {
  const [base, prefix] = cidr.split('/');
  return { base: parseDottedIpv4(base!)!, prefix: Number(prefix), addressClass };
}

/**
 * Non-public IPv4 space (IANA special-purpose registry). First match wins, so
 * the single metadata addresses come before the blocks that contain them.
 */
const IPV4_RANGES: readonly Ipv4Range[] = [
  ipv4Range('169.254.169.254/32', 'metadata'), // AWS, Azure, GCP, OCI instance metadata
  ipv4Range('169.254.170.2/32', 'metadata'), // ECS task metadata and credentials
  ipv4Range('169.254.170.23/32', 'metadata'), // EKS Pod Identity agent
  ipv4Range('100.100.100.200/32', 'metadata'), // Alibaba Cloud
  ipv4Range('192.0.0.192/32', 'metadata'), // Oracle Cloud (classic)
  ipv4Range('0.0.0.0/8', 'unspecified'), // "this network"; Linux connects 0.0.0.0 to loopback
  ipv4Range('10.0.0.0/8', 'private'),
  ipv4Range('100.64.0.0/10', 'cgnat'),
  ipv4Range('127.0.0.0/8', 'loopback'),
  ipv4Range('169.254.0.0/16', 'link-local'),
  ipv4Range('172.16.0.0/12', 'private'),
  ipv4Range('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  ipv4Range('192.0.2.0/24', 'reserved'), // TEST-NET-1
  ipv4Range('192.88.99.0/24', 'reserved'), // 6to4 relay anycast (deprecated)
  ipv4Range('192.168.0.0/16', 'private'),
  ipv4Range('198.18.0.0/15', 'reserved'), // benchmarking
  ipv4Range('198.51.100.0/24', 'reserved'), // TEST-NET-2
  ipv4Range('203.0.113.0/24', 'reserved'), // TEST-NET-3
  ipv4Range('224.0.0.0/4', 'multicast'),
  ipv4Range('240.0.0.0/4', 'reserved'), // future use, and 255.255.255.255 broadcast
];

function classifyIpv4(value: number): AddressClass {
  for (const range of IPV4_RANGES) {
    // `>>> 0` keeps the arithmetic unsigned; a /0 mask would shift by 32, which JS treats as 0.
    const mask = range.prefix === 0 ? 0 : (0xffffffff << (32 - range.prefix)) >>> 0;
    if (((value & mask) >>> 0) === range.base) return range.addressClass;
  }
  return 'public';
}

/** IPv6 metadata endpoints (AWS Nitro instance services). */
const IPV6_METADATA = new Set(['fd00:ec2:0:0:0:0:0:254', 'fd00:ec2:0:0:0:0:0:23']);

function classifyIpv6(hextets: readonly number[]): AddressClass {
  const h = hextets;
  const embeddedV4 = (high: number, low: number): number => ((h[high]! << 16) | h[low]!) >>> 0;
  const zeroUpTo = (end: number): boolean => h.slice(0, end).every((x) => x === 0);

  if (IPV6_METADATA.has(h.map((x) => x.toString(16)).join(':'))) return 'metadata';
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && h[7] === 1) return 'loopback';
  // Forms that carry an IPv4 address: the kernel or a translator reaches that
  // IPv4 address, so it decides the class.
  if (zeroUpTo(5) && h[5] === 0xffff) return classifyIpv4(embeddedV4(6, 7)); // ::ffff:a.b.c.d mapped
  if (zeroUpTo(6)) return classifyIpv4(embeddedV4(6, 7)); // ::a.b.c.d compatible (deprecated)
  if (zeroUpTo(4) && h[4] === 0xffff && h[5] === 0) return classifyIpv4(embeddedV4(6, 7)); // ::ffff:0:a.b.c.d (SIIT)
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) {
    return classifyIpv4(embeddedV4(6, 7)); // 64:ff9b::/96 NAT64
  }
  if (h[0] === 0x64 && h[1] === 0xff9b && h[2] === 1) return 'private'; // 64:ff9b:1::/48 local-use NAT64
  if (h[0] === 0x2002) return classifyIpv4(embeddedV4(1, 2)); // 2002::/16 6to4
  if (h[0] === 0x2001 && h[1]! < 0x0200) return 'reserved'; // 2001::/23 incl. Teredo 2001::/32
  if (h[0] === 0x2001 && h[1] === 0x0db8) return 'reserved'; // documentation
  if (h[0] === 0x3fff && h[1]! < 0x1000) return 'reserved'; // 3fff::/20 documentation
  if ((h[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((h[0]! & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((h[0]! & 0xfe00) === 0xfc00) return 'private'; // unique local
  if ((h[0]! & 0xff00) === 0xff00) return 'multicast';
  // Only 2000::/3 is allocated global unicast; anything else is not a real target.
  if ((h[0]! & 0xe000) === 0x2000) return 'public';
  return 'reserved';
}

/**
 * Classifies a literal IPv4/IPv6 address (canonical dotted/colon form as from
 * `net.isIP` / DNS; an IPv6 zone id is ignored). Anything that is not an
 * address literal is 'reserved', so a caller that forgets to check fails closed.
 */
export function classifyAddress(ip: string): AddressClass {
  switch (isIP(ip)) {
    case 4:
      return classifyIpv4(parseDottedIpv4(ip) ?? 0);
    case 6: {
      const hextets = parseIpv6(ip);
      return hextets === undefined ? 'reserved' : classifyIpv6(hextets);
    }
    default:
      return 'reserved';
  }
}

/** Strict `a.b.c.d`, each 0..255 in decimal, as a 32-bit unsigned number. */
function parseDottedIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** A valid IPv6 literal (per `net.isIP`) as eight 16-bit numbers. */
function parseIpv6(text: string): number[] | undefined {
  let address = text;
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);

  // A trailing dotted quad stands for the last two hextets.
  let tail: number[] = [];
  const lastColon = address.lastIndexOf(':');
  if (address.includes('.', lastColon)) {
    const v4 = parseDottedIpv4(address.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >>> 16, v4 & 0xffff];
    const head = address.slice(0, lastColon + 1);
    address = head.endsWith('::') ? head : head.slice(0, -1);
  }

  const toHextets = (group: string): number[] | undefined => {
    if (group === '') return [];
    const values = group.split(':').map((x) => (/^[0-9a-f]{1,4}$/i.test(x) ? parseInt(x, 16) : NaN));
    return values.some(Number.isNaN) ? undefined : values;
  };

  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  let hextets: number[];
  if (halves.length === 2) {
    const head = toHextets(halves[0]!);
    const rest = toHextets(halves[1]!);
    if (head === undefined || rest === undefined) return undefined;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return undefined;
    hextets = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    const all = toHextets(halves[0]!);
    if (all === undefined) return undefined;
    hextets = [...all, ...tail];
  }
  return hextets.length === 8 ? hextets : undefined;
}

/**
 * The BSD `inet_aton` reading of a host: 1 to 4 parts, each decimal, octal
 * (leading 0) or hex (0x), the last part filling the remaining bytes
 * (`127.1`, `0x7f000001`, `0177.0.0.1`). WHATWG URL already applies it to hosts
 * whose last label is numeric; this catches what it leaves as a "name" but a
 * system resolver would still read as an address (`127.0.0.1..`).
 */
function parseLegacyIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(part)) n = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) n = parseInt(part, 8);
    else if (/^[1-9]\d*$/.test(part)) n = Number(part);
    else return undefined;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255)) return undefined;
  if (last >= 256 ** (4 - numbers.length)) return undefined;
  return numbers.reduce((acc, n, i) => acc + n * 256 ** (3 - i), 0) + last;
}

function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

// ---------------------------------------------------------------------------
// Names that are local by definition

/** Well-known names of metadata services: rejected under every policy. */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Special-use domains that never lead to the public internet. */
const LOOPBACK_SUFFIXES = ['localhost'];
const PRIVATE_SUFFIXES = ['local', 'internal', 'home.arpa', 'localdomain'];

function hasSuffix(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

function classifyName(name: string): AddressClass {
  if (METADATA_NAMES.has(name)) return 'metadata';
  if (LOOPBACK_SUFFIXES.some((s) => hasSuffix(name, s))) return 'loopback';
  if (PRIVATE_SUFFIXES.some((s) => hasSuffix(name, s))) return 'private';
  return 'public';
}

// ---------------------------------------------------------------------------
// The checks

function isAllowed(addressClass: AddressClass, policy: UrlPolicy): boolean {
  if (addressClass === 'metadata') return false;
  return addressClass === 'public' || policy.allowPrivate;
}

const CLASS_DESCRIPTIONS: Record<AddressClass, string> = {
  public: 'a public',
  loopback: 'a loopback',
  private: 'a private',
  'link-local': 'a link-local',
  cgnat: 'a carrier-grade NAT',
  multicast: 'a multicast',
  unspecified: 'an unspecified',
  metadata: 'a cloud metadata',
  reserved: 'a reserved',
};

function quote(host: string): string {
  return host.length <= MAX_QUOTED_HOST ? host : `${host.slice(0, MAX_QUOTED_HOST)}…`;
}

/** The URL's host without IPv6 brackets. */
function bareHostname(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The address a host stands for when it is a literal in any spelling. */
function literalAddress(hostname: string): { address: string; family: 4 | 6 } | undefined {
  const family = isIP(hostname);
  if (family === 4 || family === 6) return { address: hostname, family };
  const legacy = parseLegacyIpv4(hostname.replace(/\.+$/, ''));
  return legacy === undefined ? undefined : { address: formatIpv4(legacy), family: 4 };
}

// C0 controls and DEL: WHATWG silently strips or keeps some of them, so a
// stored raw string could read differently elsewhere; refuse them outright.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * The checks that need no DNS (SPEC §6), run at submit and again before every
 * request. Never throws. On success use `url` (normalised by WHATWG URL), not
 * the raw string.
 */
export function checkUrlStatic(raw: string, policy: UrlPolicy): UrlCheck {
  const maxLength = policy.maxLength ?? DEFAULT_MAX_LENGTH;
  if (typeof raw !== 'string') return { ok: false, reason: 'URL must be a string' };
  if (raw.length > maxLength) return { ok: false, reason: `URL is longer than ${maxLength} characters` };
  if (CONTROL_CHARACTERS.test(raw)) return { ok: false, reason: 'URL contains control characters' };

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid absolute URL' };
  }
  // Percent-encoding can make the URL we would send longer than the one given.
  if (url.href.length > maxLength) return { ok: false, reason: `URL is longer than ${maxLength} characters` };

  const schemes = policy.allowPrivate ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return { ok: false, reason: `scheme ${quote(url.protocol)} is not allowed; use ${policy.allowPrivate ? 'http or https' : 'https'}` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'URL must not contain credentials (user:password@)' };
  }

  const hostname = bareHostname(url);
  const name = hostname.replace(/\.+$/, '');
  if (name === '') return { ok: false, reason: 'URL has no host' };

  const literal = literalAddress(hostname);
  if (literal !== undefined) {
    const addressClass = classifyAddress(literal.address);
    if (!isAllowed(addressClass, policy)) {
      return { ok: false, reason: `host ${quote(hostname)} is ${CLASS_DESCRIPTIONS[addressClass]} address` };
    }
    return { ok: true, url };
  }

  if (name.split('.').some((label) => label === '')) {
    return { ok: false, reason: `host ${quote(hostname)} is not a valid domain name` };
  }
  const addressClass = classifyName(name);
  if (!isAllowed(addressClass, policy)) {
    return { ok: false, reason: `host ${quote(hostname)} is ${CLASS_DESCRIPTIONS[addressClass]} name` };
  }
  // A single-label name only resolves through search domains or /etc/hosts:
  // an internal name whatever it is.
  if (!policy.allowPrivate && !name.includes('.')) {
    return { ok: false, reason: `host ${quote(hostname)} is not a fully qualified domain name` };
  }
  return { ok: true, url };
}

/**
 * The operating system's resolver (getaddrinfo), in the order it returns.
 * `order: 'verbatim'` is the Node 20.13+/22 spelling of `verbatim: true`, which
 * newer Node versions document as deprecated.
 */
export const systemResolver: Resolver = async (hostname) => {
  const addresses = await dnsPromises.lookup(hostname, { all: true, order: 'verbatim' });
  return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/**
 * Resolve-time check: resolves the URL's host (literals are used as they are),
 * rejects the target if ANY address is not allowed — a name with one public
 * and one private address could reach either — and returns the first address,
 * which the connection must then be pinned to.
 *
 * @throws UnsafeTargetError when the URL or an address is not allowed
 * @throws NetworkError (retryable) when the name does not resolve
 */
export async function resolveSafeAddress(
  url: URL,
  policy: UrlPolicy,
  resolver: Resolver = systemResolver,
): Promise<{ address: string; family: 4 | 6 }> {
  const check = checkUrlStatic(url.href, policy);
  if (!check.ok) throw new UnsafeTargetError(check.reason);
  const hostname = bareHostname(check.url);

  const literal = literalAddress(hostname);
  if (literal !== undefined) return literal;

  let addresses: Array<{ address: string; family: 4 | 6 }>;
  try {
    addresses = await resolver(hostname);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    throw new NetworkError(`could not resolve host ${quote(hostname)}${code ? ` (${code})` : ''}`, { code, cause: error });
  }
  if (addresses.length === 0) throw new NetworkError(`host ${quote(hostname)} has no addresses`);

  for (const { address } of addresses) {
    const addressClass = classifyAddress(address);
    if (!isAllowed(addressClass, policy)) {
      throw new UnsafeTargetError(
        `host ${quote(hostname)} resolves to ${quote(address)}, ${CLASS_DESCRIPTIONS[addressClass]} address`,
      );
    }
  }
  const first = addresses[0]!.address;
  return { address: first, family: isIP(first) === 6 ? 6 : 4 };
}
