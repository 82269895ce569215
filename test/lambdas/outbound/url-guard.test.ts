import { NetworkError, UnsafeTargetError } from '../../../lambdas/outbound/errors';
import {
  checkUrlStatic,
  classifyAddress,
  resolveSafeAddress,
  systemResolver,
  type AddressClass,
  type Resolver,
  type UrlPolicy,
} from '../../../lambdas/outbound/url-guard';

const PUBLIC_ONLY: UrlPolicy = { allowPrivate: false };
const ALLOW_PRIVATE: UrlPolicy = { allowPrivate: true };

/** A resolver backed by a fixed table, recording every name it is asked for. */
function tableResolver(table: Record<string, string[]>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolver = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (addresses === undefined) {
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    }
    return addresses.map((address) => {
      const family: 4 | 6 = address.includes(':') ? 6 : 4;
      return { address, family };
    });
  };
  return Object.assign(resolver, { asked });
}

describe('checkUrlStatic', () => {
  // Each row: what the trick is, and the URL. All must be rejected without DNS.
  const hostileUrls: Array<[string, string]> = [
    // schemes
    ['plain http', 'http://example.com/'],
    ['ftp', 'ftp://example.com/file'],
    ['file', 'file:///etc/passwd'],
    ['javascript', 'javascript:alert(1)'],
    ['gopher', 'gopher://example.com:70/_GET%20/'],
    ['data', 'data:text/plain,hello'],
    ['websocket', 'wss://example.com/'],
    // IPv4 loopback in every spelling
    ['loopback dotted', 'https://127.0.0.1/'],
    ['loopback with port', 'https://127.0.0.1:8080/admin'],
    ['loopback decimal', 'https://2130706433/'],
    ['loopback hex', 'https://0x7f000001/'],
    ['loopback hex upper-case prefix', 'https://0X7F.1/'],
    ['loopback octal whole', 'https://017700000001/'],
    ['loopback octal first part', 'https://0177.0.0.1/'],
    ['loopback short two parts', 'https://127.1/'],
    ['loopback short three parts', 'https://127.0.1/'],
    ['loopback mixed hex parts', 'https://0x7f.0.0.1/'],
    ['loopback mixed hex short', 'https://0x7f.1/'],
    ['loopback octal short', 'https://0177.1/'],
    ['loopback trailing dot', 'https://127.0.0.1./'],
    ['loopback two trailing dots', 'https://127.0.0.1../'],
    ['loopback percent-encoded', 'https://%31%32%37.0.0.1/'],
    ['loopback fullwidth digits', 'https://１２７.０.０.１/'],
    ['loopback backslashes', 'https:\\\\127.0.0.1\\'],
    ['unspecified zero', 'https://0/'],
    ['unspecified dotted', 'https://0.0.0.0/'],
    // private, CGNAT, reserved, multicast
    ['10/8 dotted', 'https://10.0.0.1/'],
    ['10/8 octal', 'https://012.0.0.1/'],
    ['10/8 decimal', 'https://167772161/'],
    ['172.16/12', 'https://172.16.0.1/'],
    ['172.16/12 hex', 'https://0xac100001/'],
    ['192.168/16', 'https://192.168.1.1/'],
    ['192.168/16 octal parts', 'https://0300.0250.1.1/'],
    ['192.168/16 decimal', 'https://3232235777/'],
    ['CGNAT', 'https://100.64.0.1/'],
    ['TEST-NET-1', 'https://192.0.2.1/'],
    ['benchmarking', 'https://198.18.0.1/'],
    ['multicast', 'https://224.0.0.1/'],
    ['broadcast', 'https://255.255.255.255/'],
    // cloud metadata
    ['AWS metadata', 'https://169.254.169.254/latest/meta-data/'],
    ['AWS metadata decimal', 'https://2852039166/'],
    ['AWS metadata hex', 'https://0xa9fea9fe/'],
    ['AWS metadata octal', 'https://0251.0376.0251.0376/'],
    ['ECS credentials', 'https://169.254.170.2/v2/credentials'],
    ['Alibaba metadata', 'https://100.100.100.200/latest/meta-data'],
    ['GCP metadata name', 'https://metadata.google.internal/computeMetadata/v1/'],
    ['GCP metadata name trailing dot', 'https://metadata.google.internal./'],
    ['AWS IPv6 metadata', 'https://[fd00:ec2::254]/'],
    ['metadata IPv4-mapped', 'https://[::ffff:169.254.169.254]/'],
    ['metadata NAT64', 'https://[64:ff9b::a9fe:a9fe]/'],
    // IPv6
    ['IPv6 loopback', 'https://[::1]/'],
    ['IPv6 loopback expanded', 'https://[0:0:0:0:0:0:0:1]/'],
    ['IPv6 unspecified', 'https://[::]/'],
    ['IPv4-mapped dotted', 'https://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped hex', 'https://[::ffff:7f00:1]/'],
    ['IPv4-mapped expanded', 'https://[0:0:0:0:0:ffff:10.0.0.1]/'],
    ['IPv4-compatible', 'https://[::127.0.0.1]/'],
    ['IPv4-translated (SIIT)', 'https://[::ffff:0:7f00:1]/'],
    ['NAT64 loopback', 'https://[64:ff9b::127.0.0.1]/'],
    ['6to4 loopback', 'https://[2002:7f00:1::]/'],
    ['6to4 192.168', 'https://[2002:c0a8:101::1]/'],
    ['link-local', 'https://[fe80::1]/'],
    ['unique local', 'https://[fd12:3456:789a::1]/'],
    ['IPv6 multicast', 'https://[ff02::1]/'],
    ['IPv6 documentation', 'https://[2001:db8::1]/'],
    ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
    // local names
    ['localhost', 'https://localhost/'],
    ['localhost upper-case', 'https://LOCALHOST/'],
    ['localhost trailing dot', 'https://localhost./'],
    ['localhost subdomain', 'https://api.localhost/'],
    ['localhost enclosed letters', 'https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/'],
    ['localhost percent-encoded', 'https://%6c%6f%63%61%6c%68%6f%73%74/'],
    ['mDNS name', 'https://printer.local/'],
    ['.internal name', 'https://db.internal/'],
    ['single-label name', 'https://intranet/'],
    // userinfo
    ['userinfo before private host', 'https://good.com@127.0.0.1/'],
    ['user and password', 'https://user:pass@example.com/'],
    ['user only', 'https://user@example.com/'],
    ['password only', 'https://:pass@example.com/'],
    // length, emptiness, garbage
    ['over-long', `https://example.com/${'a'.repeat(2100)}`],
    ['over-long after percent-encoding', `https://example.com/${'é'.repeat(1000)}`],
    ['empty host', 'https://'],
    ['dot host', 'https://./'],
    ['empty label', 'https://a..example.com/'],
    ['empty string', ''],
    ['no scheme', 'example.com/hook'],
    ['protocol-relative', '//example.com/hook'],
    ['control character', 'https://exa\tmple.com/'],
  ];

  it('has a corpus of at least 40 hostile URLs', () => {
    expect(hostileUrls.length).toBeGreaterThanOrEqual(40);
  });

  it.each(hostileUrls)('rejects %s: %s', (_trick, url) => {
    // Act
    const result = checkUrlStatic(url, PUBLIC_ONLY);

    // Assert
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason.length).toBeGreaterThan(0);
      expect(result.reason.length).toBeLessThanOrEqual(200);
    }
  });

  it.each([
    'https://example.com/',
    'https://hooks.example.com/jobs',
    'https://example.com:8443/webhook?x=1#frag',
    'https://example.com./',
    'https://8.8.8.8/',
    'https://1.1.1.1/dns-query',
    'https://172.32.0.1/',
    'https://100.128.0.1/',
    'https://192.169.0.1/',
    'https://[2606:4700:4700::1111]/',
    'https://[2001:4860:4860::8888]/',
    'https://[::ffff:8.8.8.8]/',
    'https://bücher.example/',
    'https://a_b.example.com/path',
  ])('accepts the public URL %s', (url) => {
    // Act
    const result = checkUrlStatic(url, PUBLIC_ONLY);

    // Assert
    expect(result).toEqual({ ok: true, url: new URL(url) });
  });

  it.each<[string, RegExp]>([
    ['https://127.0.0.1/', /host 127\.0\.0\.1 is a loopback address/],
    ['https://2130706433/', /host 127\.0\.0\.1 is a loopback address/],
    ['https://10.1.2.3/', /private address/],
    ['https://100.64.0.1/', /carrier-grade NAT address/],
    ['https://169.254.169.254/', /cloud metadata address/],
    ['https://localhost/', /loopback name/],
    ['http://example.com/', /scheme http: is not allowed; use https/],
    ['https://u:p@example.com/', /credentials/],
    [`https://example.com/${'a'.repeat(2048)}`, /longer than 2048/],
  ])('explains why %s is rejected', (url, reason) => {
    // Act
    const result = checkUrlStatic(url, PUBLIC_ONLY);

    // Assert
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('honours a custom maxLength', () => {
    // Arrange
    const url = 'https://example.com/0123456789';

    // Act / Assert
    expect(checkUrlStatic(url, { allowPrivate: false, maxLength: url.length }).ok).toBe(true);
    expect(checkUrlStatic(url, { allowPrivate: false, maxLength: url.length - 1 }).ok).toBe(false);
  });

  describe('with allowPrivate (developer laptop)', () => {
    it.each([
      'http://127.0.0.1:3000/hook',
      'http://localhost:8080/',
      'http://10.0.0.1/',
      'http://[::1]:9000/',
      'https://192.168.1.10/',
      'http://intranet/',
      'http://0x7f.1/',
    ])('accepts %s', (url) => {
      expect(checkUrlStatic(url, ALLOW_PRIVATE).ok).toBe(true);
    });

    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/',
      'http://169.254.170.2/v2/credentials',
      'http://100.100.100.200/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:169.254.169.254]/',
      'http://metadata.google.internal/',
      'ftp://127.0.0.1/',
      'http://user:pass@127.0.0.1/',
    ])('still rejects %s', (url) => {
      expect(checkUrlStatic(url, ALLOW_PRIVATE).ok).toBe(false);
    });
  });
});

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['8.8.8.8', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.255.255.255', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.168.0.1', 'private'],
    ['169.254.0.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['100.64.0.0', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.0', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.251', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:808:808::1', 'public'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00::1', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['2606:4700::1111', 'public'],
    ['1:2:3:4:5:6:1.2.3.4', 'reserved'],
    ['not-an-address', 'reserved'],
    ['127.1', 'reserved'],
  ])('classifies %s as %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });
});

describe('resolveSafeAddress', () => {
  const resolverTable = {
    'public.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    'rebind.example.com': ['127.0.0.1'],
    'internal.example.com': ['10.0.0.5'],
    'cgnat.example.com': ['100.64.1.1'],
    'v6-loopback.example.com': ['::1'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
    'ula.example.com': ['fd00::5'],
    'meta.example.com': ['169.254.169.254'],
    'meta6.example.com': ['fd00:ec2::254'],
    'public-then-private.example.com': ['93.184.215.14', '10.0.0.1'],
    'private-then-public.example.com': ['192.168.0.1', '93.184.215.14'],
    'empty.example.com': [],
  };

  it('returns the first address of a public name', async () => {
    // Arrange
    const resolver = tableResolver(resolverTable);

    // Act
    const pinned = await resolveSafeAddress(new URL('https://public.example.com/hook'), PUBLIC_ONLY, resolver);

    // Assert
    expect(pinned).toEqual({ address: '93.184.215.14', family: 4 });
    expect(resolver.asked).toEqual(['public.example.com']);
  });

  it.each([
    'rebind.example.com',
    'internal.example.com',
    'cgnat.example.com',
    'v6-loopback.example.com',
    'mapped.example.com',
    'ula.example.com',
    'meta.example.com',
    'meta6.example.com',
    'public-then-private.example.com',
    'private-then-public.example.com',
  ])('rejects %s, which resolves to a non-public address', async (host) => {
    // Arrange
    const resolver = tableResolver(resolverTable);

    // Act
    const attempt = resolveSafeAddress(new URL(`https://${host}/`), PUBLIC_ONLY, resolver);

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(UnsafeTargetError);
    await expect(attempt).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('resolves to') });
  });

  it('allows private names under allowPrivate', async () => {
    const pinned = await resolveSafeAddress(new URL('http://internal.example.com/'), ALLOW_PRIVATE, tableResolver(resolverTable));

    expect(pinned).toEqual({ address: '10.0.0.5', family: 4 });
  });

  it.each(['meta.example.com', 'meta6.example.com'])('rejects %s (metadata) even under allowPrivate', async (host) => {
    const attempt = resolveSafeAddress(new URL(`http://${host}/`), ALLOW_PRIVATE, tableResolver(resolverTable));

    await expect(attempt).rejects.toThrow(/cloud metadata address/);
  });

  it.each<[string, { address: string; family: 4 | 6 }]>([
    ['https://8.8.8.8/', { address: '8.8.8.8', family: 4 }],
    ['https://[2606:4700::1111]/', { address: '2606:4700::1111', family: 6 }],
  ])('uses the literal %s without asking DNS', async (url, expected) => {
    // Arrange
    const resolver = tableResolver({});

    // Act
    const pinned = await resolveSafeAddress(new URL(url), PUBLIC_ONLY, resolver);

    // Assert
    expect(pinned).toEqual(expected);
    expect(resolver.asked).toEqual([]);
  });

  it('pins a legacy-spelled literal to the address it stands for', async () => {
    const pinned = await resolveSafeAddress(new URL('http://127.0.0.1../'), ALLOW_PRIVATE, tableResolver({}));

    expect(pinned).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it('rejects a URL that fails the static check without asking DNS', async () => {
    // Arrange
    const resolver = tableResolver(resolverTable);

    // Act
    const attempt = resolveSafeAddress(new URL('http://public.example.com/'), PUBLIC_ONLY, resolver);

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(UnsafeTargetError);
    expect(resolver.asked).toEqual([]);
  });

  it('turns a DNS failure into a retryable NetworkError', async () => {
    const attempt = resolveSafeAddress(new URL('https://nxdomain.example.com/'), PUBLIC_ONLY, tableResolver(resolverTable));

    await expect(attempt).rejects.toBeInstanceOf(NetworkError);
    await expect(attempt).rejects.toMatchObject({ retryable: true, code: 'ENOTFOUND' });
  });

  it('treats a name without addresses as a retryable NetworkError', async () => {
    const attempt = resolveSafeAddress(new URL('https://empty.example.com/'), PUBLIC_ONLY, tableResolver(resolverTable));

    await expect(attempt).rejects.toMatchObject({ name: 'NetworkError', retryable: true });
  });

  it('uses the system resolver by default', async () => {
    // localhost comes from the hosts file: no network needed.
    const pinned = await resolveSafeAddress(new URL('http://localhost:8080/'), ALLOW_PRIVATE);

    expect(['127.0.0.1', '::1']).toContain(pinned.address);
  });
});

describe('systemResolver', () => {
  it('returns every address of a name with its family', async () => {
    const addresses = await systemResolver('localhost');

    expect(addresses.length).toBeGreaterThan(0);
    for (const { address, family } of addresses) expect(family).toBe(address.includes(':') ? 6 : 4);
  });
});
