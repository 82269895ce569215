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
import ipaddr from 'ipaddr.js';
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
// Address classification: ipaddr.js parses and matches; the tables below are
// the policy (which blocks are not public, and what we call them).

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Where an IPv6 form carries an IPv4 address: its prefix, and the byte the IPv4 address starts at. */
interface EmbeddedIpv4 {
  readonly prefix: Cidr;
  readonly firstByte: number;
}

const cidr = (text: string): Cidr => ipaddr.parseCIDR(text);

interface PolicyTables {
  /**
   * Non-public IPv4 space (IANA special-purpose registry). First match wins, so
   * the single metadata addresses come before the blocks that contain them.
   */
  readonly ipv4Ranges: ReadonlyArray<[Cidr, AddressClass]>;
  /** Checked before the embedded forms: `::` and `::1` also sit in the IPv4-compatible block. */
  readonly ipv6SingleAddresses: ReadonlyArray<[Cidr, AddressClass]>;
  /** Forms that carry an IPv4 address: the kernel or a translator reaches that IPv4 address, so it decides the class. */
  readonly ipv6EmbeddingIpv4: readonly EmbeddedIpv4[];
  /** Only 2000::/3 is allocated global unicast; anything else is not a real target. */
  readonly ipv6Ranges: ReadonlyArray<[Cidr, AddressClass]>;
}

let tables: PolicyTables | undefined;

/** The tables, parsed on first use rather than at import: most cold starts classify no address (≈ 2 ms saved). */
function policy(): PolicyTables {
  return (tables ??= {
    ipv4Ranges: [
      [cidr('169.254.169.254/32'), 'metadata'], // AWS, Azure, GCP, OCI instance metadata
      [cidr('169.254.170.2/32'), 'metadata'], // ECS task metadata and credentials
      [cidr('169.254.170.23/32'), 'metadata'], // EKS Pod Identity agent
      [cidr('100.100.100.200/32'), 'metadata'], // Alibaba Cloud
      [cidr('192.0.0.192/32'), 'metadata'], // Oracle Cloud (classic)
      [cidr('0.0.0.0/8'), 'unspecified'], // "this network"; Linux connects 0.0.0.0 to loopback
      [cidr('10.0.0.0/8'), 'private'],
      [cidr('100.64.0.0/10'), 'cgnat'],
      [cidr('127.0.0.0/8'), 'loopback'],
      [cidr('169.254.0.0/16'), 'link-local'],
      [cidr('172.16.0.0/12'), 'private'],
      [cidr('192.0.0.0/24'), 'reserved'], // IETF protocol assignments
      [cidr('192.0.2.0/24'), 'reserved'], // TEST-NET-1
      [cidr('192.88.99.0/24'), 'reserved'], // 6to4 relay anycast (deprecated)
      [cidr('192.168.0.0/16'), 'private'],
      [cidr('198.18.0.0/15'), 'reserved'], // benchmarking
      [cidr('198.51.100.0/24'), 'reserved'], // TEST-NET-2
      [cidr('203.0.113.0/24'), 'reserved'], // TEST-NET-3
      [cidr('224.0.0.0/4'), 'multicast'],
      [cidr('240.0.0.0/4'), 'reserved'], // future use, and 255.255.255.255 broadcast
    ],
    ipv6SingleAddresses: [
      [cidr('fd00:ec2::254/128'), 'metadata'], // AWS Nitro instance metadata
      [cidr('fd00:ec2::23/128'), 'metadata'], // AWS Nitro instance services
      [cidr('::/128'), 'unspecified'],
      [cidr('::1/128'), 'loopback'],
    ],
    ipv6EmbeddingIpv4: [
      { prefix: cidr('::ffff:0:0/96'), firstByte: 12 }, // IPv4-mapped
      { prefix: cidr('::/96'), firstByte: 12 }, // IPv4-compatible (deprecated)
      { prefix: cidr('::ffff:0:0:0/96'), firstByte: 12 }, // SIIT
      { prefix: cidr('64:ff9b::/96'), firstByte: 12 }, // NAT64
      { prefix: cidr('2002::/16'), firstByte: 2 }, // 6to4
    ],
    ipv6Ranges: [
      [cidr('64:ff9b:1::/48'), 'private'], // local-use NAT64
      [cidr('2001::/23'), 'reserved'], // IETF protocol assignments, incl. Teredo 2001::/32
      [cidr('2001:db8::/32'), 'reserved'], // documentation
      [cidr('3fff::/20'), 'reserved'], // documentation
      [cidr('fe80::/10'), 'link-local'],
      [cidr('fec0::/10'), 'private'], // site-local (deprecated)
      [cidr('fc00::/7'), 'private'], // unique local
      [cidr('ff00::/8'), 'multicast'],
      [cidr('2000::/3'), 'public'],
    ],
  });
}

function firstMatch(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: ReadonlyArray<[Cidr, AddressClass]>): AddressClass | undefined {
  return ranges.find(([range]) => range[0].kind() === address.kind() && address.match(range))?.[1];
}

function classifyIpv6(address: ipaddr.IPv6): AddressClass {
  const single = firstMatch(address, policy().ipv6SingleAddresses);
  if (single !== undefined) return single;
  const embedding = policy().ipv6EmbeddingIpv4.find(({ prefix }) => address.match(prefix));
  if (embedding !== undefined) {
    const bytes = address.toByteArray().slice(embedding.firstByte, embedding.firstByte + 4);
    return firstMatch(new ipaddr.IPv4(bytes), policy().ipv4Ranges) ?? 'public';
  }
  return firstMatch(address, policy().ipv6Ranges) ?? 'reserved';
}

/**
 * Classifies a literal IPv4/IPv6 address (canonical dotted/colon form as from
 * `net.isIP` / DNS; an IPv6 zone id is ignored). Anything that is not an
 * address literal is 'reserved', so a caller that forgets to check fails closed.
 */
export function classifyAddress(ip: string): AddressClass {
  switch (isIP(ip)) {
    case 4:
      return firstMatch(ipaddr.IPv4.parse(ip), policy().ipv4Ranges) ?? 'public';
    case 6: {
      // ipaddr.js reads the deprecated `::a.b.c.d` as `::ffff:a.b.c.d` (so `::0.0.0.1`
      // would not be `::1`); WHATWG URL writes every IPv6 address in plain hex.
      const bare = ip.split('%')[0];
      return classifyIpv6(ipaddr.IPv6.parse(new URL(`http://[${bare}]/`).hostname.slice(1, -1)));
    }
    default:
      return 'reserved';
  }
}

/**
 * The BSD `inet_aton` reading of a host: 1 to 4 parts, each decimal, octal
 * (leading 0) or hex (0x), the last part filling the remaining bytes
 * (`127.1`, `0x7f000001`, `0177.0.0.1`), as ipaddr.js reads them. WHATWG URL
 * already applies it to hosts whose last label is numeric; this catches what it
 * leaves as a "name" but a system resolver would still read as an address
 * (`127.0.0.1..`). A bare `0x` is 0 to inet_aton, not to ipaddr.js.
 */
function parseLegacyIpv4(text: string): string | undefined {
  const spelled = text.split('.').map((part) => (/^0x$/i.test(part) ? '0' : part)).join('.');
  return ipaddr.IPv4.isValid(spelled) ? ipaddr.IPv4.parse(spelled).toString() : undefined;
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
  return legacy === undefined ? undefined : { address: legacy, family: 4 };
}

// C0 controls and DEL: WHATWG silently strips or keeps some of them, so a
// stored raw string could read differently elsewhere; refuse them outright.
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's whole purpose
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
  const first = addresses[0].address;
  return { address: first, family: isIP(first) === 6 ? 6 : 4 };
}
