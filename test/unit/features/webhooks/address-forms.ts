// Test-side generators of address spellings and IPv4-in-IPv6 embeddings, written from the RFCs
// independently of src/features/webhooks/address-class.ts, so the classifier is checked against
// a second reading of the same specs.

export type Category =
  | 'unspecified' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'multicast'
  | 'broadcast' | 'reserved' | 'documentation' | 'benchmarking' | 'public';

/** IPv4 samples per category: block edges and the famous addresses. */
export const IPV4_SAMPLES: readonly (readonly [string, Category])[] = [
  ['0.0.0.0', 'unspecified'],
  ['0.0.0.1', 'reserved'], ['0.0.0.2', 'reserved'], ['0.0.255.255', 'reserved'], ['0.255.255.255', 'reserved'], ['0.1.2.3', 'reserved'],
  ['127.0.0.1', 'loopback'], ['127.0.0.0', 'loopback'], ['127.255.255.255', 'loopback'], ['127.1.2.3', 'loopback'],
  ['10.0.0.0', 'private'], ['10.255.255.255', 'private'], ['10.1.2.3', 'private'],
  ['172.16.0.0', 'private'], ['172.31.255.255', 'private'], ['172.20.1.1', 'private'],
  ['192.168.0.0', 'private'], ['192.168.255.255', 'private'], ['192.168.1.1', 'private'],
  ['100.64.0.0', 'private'], ['100.127.255.255', 'private'], ['100.100.1.1', 'private'],
  ['169.254.0.0', 'link-local'], ['169.254.255.255', 'link-local'], ['169.254.1.1', 'link-local'], ['169.254.169.253', 'link-local'],
  ['169.254.169.254', 'metadata'], ['169.254.170.2', 'metadata'], ['100.100.100.200', 'metadata'], ['168.63.129.16', 'metadata'],
  ['224.0.0.0', 'multicast'], ['239.255.255.255', 'multicast'], ['224.0.0.251', 'multicast'],
  ['240.0.0.0', 'reserved'], ['255.255.255.254', 'reserved'], ['250.1.2.3', 'reserved'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.0.1', 'reserved'], ['192.0.0.170', 'reserved'], ['192.88.99.1', 'reserved'],
  ['192.0.2.1', 'documentation'], ['198.51.100.7', 'documentation'], ['203.0.113.255', 'documentation'],
  ['198.18.0.0', 'benchmarking'], ['198.19.255.255', 'benchmarking'],
  // Just outside the blocks above.
  ['9.255.255.255', 'public'], ['11.0.0.0', 'public'], ['172.15.255.255', 'public'], ['172.32.0.0', 'public'],
  ['192.167.255.255', 'public'], ['192.169.0.0', 'public'], ['100.63.255.255', 'public'], ['100.128.0.0', 'public'],
  ['169.253.255.255', 'public'], ['169.255.0.0', 'public'], ['126.255.255.255', 'public'], ['128.0.0.0', 'public'],
  ['198.17.255.255', 'public'], ['198.20.0.0', 'public'], ['223.255.255.255', 'public'], ['1.0.0.0', 'public'],
  ['168.63.129.15', 'public'], ['100.100.100.201', 'private'], ['169.254.169.255', 'link-local'],
  ['8.8.8.8', 'public'], ['1.1.1.1', 'public'], ['93.184.216.34', 'public'], ['65.54.227.120', 'public'],
];

export const IPV6_SAMPLES: readonly (readonly [string, Category])[] = [
  ['::', 'unspecified'], ['::1', 'loopback'],
  ['fe80::', 'link-local'], ['fe80::1', 'link-local'], ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local'],
  ['fc00::', 'private'], ['fd12:3456:789a::1', 'private'], ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private'], ['fec0::1', 'private'],
  ['fd00:ec2::254', 'metadata'], ['fd20:ce::254', 'metadata'],
  ['fd00:ec2::253', 'private'],
  ['ff00::', 'multicast'], ['ff02::1', 'multicast'], ['ff05::1:3', 'multicast'],
  ['2001:db8::', 'documentation'], ['2001:db8:ffff::1', 'documentation'], ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'],
  ['100::1', 'reserved'], ['4000::1', 'reserved'], ['::1:0:0:0', 'reserved'], ['1::', 'reserved'],
  ['2001:4860:4860::8888', 'public'], ['2606:4700:4700::1111', 'public'], ['2a00:1450:4001::1', 'public'], ['2001:db9::1', 'public'],
  ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved'], ['fe00::1', 'reserved'],
];

/** Worst first (the guard reports the worst reason). */
export const ORDER: readonly Category[] = [
  'metadata', 'link-local', 'unspecified', 'loopback', 'private', 'multicast', 'broadcast', 'reserved', 'benchmarking', 'documentation', 'public',
];
export const worstOf = (cs: readonly Category[]): Category => ORDER.find((c) => cs.includes(c)) ?? 'public';

const MASK32 = 0xffffffffn;
const MASK128 = (1n << 128n) - 1n;

export function v4Value(dotted: string): bigint {
  return dotted.split('.').reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

export function v4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/** Every spelling of an IPv4 address that the URL standard and inet_aton read as that address. */
export function ipv4Spellings(dotted: string): string[] {
  const v = v4Value(dotted);
  const b = dotted.split('.').map(Number) as [number, number, number, number];
  const n = Number(v);
  return [
    dotted,
    `${dotted}.`, // a final dot
    String(n), // one 32-bit number
    `0x${n.toString(16)}`,
    `0X${n.toString(16).toUpperCase()}`,
    `0x${n.toString(16).padStart(12, '0')}`,
    `0${n.toString(8)}`,
    b.map((x) => `0x${x.toString(16)}`).join('.'),
    b.map((x) => `0${x.toString(8)}`).join('.'),
    b.map((x) => `0x${x.toString(16).padStart(2, '0')}`).join('.'),
    `${b[0]}.${(b[1] << 16) + (b[2] << 8) + b[3]}`, // a.(24 bits)
    `${b[0]}.${b[1]}.${(b[2] << 8) + b[3]}`, // a.b.(16 bits)
    `0x${b[0].toString(16)}.0${b[1].toString(8)}.${(b[2] << 8) + b[3]}`, // mixed radices
  ];
}

function groups(value: bigint): number[] {
  return Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
}

/**
 * Every textual form of an IPv6 address: fully expanded, zero-padded, `::` over each run of zero
 * groups (not only the longest), upper case, a dotted IPv4 tail, brackets and a zone id.
 */
export function ipv6Spellings(value: bigint): string[] {
  const g = groups(value);
  const hex = g.map((x) => x.toString(16));
  const out = new Set<string>();
  out.add(hex.join(':'));
  out.add(g.map((x) => x.toString(16).padStart(4, '0')).join(':'));
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j <= 8; j++) {
      if (!g.slice(i, j).every((x) => x === 0)) break;
      out.add(`${hex.slice(0, i).join(':')}::${hex.slice(j).join(':')}`);
    }
  }
  const tail = `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  out.add(`${hex.slice(0, 6).join(':')}:${tail}`);
  for (let i = 0; i < 6; i++) {
    for (let j = i + 1; j <= 6; j++) {
      if (!g.slice(i, j).every((x) => x === 0)) break;
      out.add(`${hex.slice(0, i).join(':')}::${hex.slice(j, 6).join(':')}${j < 6 ? ':' : ''}${tail}`);
    }
  }
  const base = [...out];
  for (const s of base) {
    out.add(s.toUpperCase());
    out.add(`[${s}]`);
    out.add(`${s}%eth0`);
  }
  return [...out];
}

export interface Embedded {
  readonly form: string;
  readonly value: bigint;
  /** Every IPv4 address the form leads to, and how. */
  readonly carries: readonly { readonly via: string; readonly ipv4: string }[];
  /** The IPv6 prefix's own category when it counts too (ISATAP). */
  readonly own?: Category;
}

const PUBLIC_V4 = v4Value('8.8.4.4');

function bytesOf(value: bigint): number[] {
  return Array.from({ length: 16 }, (_, i) => Number((value >> BigInt(120 - 8 * i)) & 0xffn));
}

/**
 * RFC 6052 section 2.2 read byte by byte: inside 64:ff9b:1::/48 (RFC 8215) the operator may use a
 * /48, /56, /64 or /96 prefix, so every reading whose "u" byte (byte 8) and suffix are zero counts.
 */
export function nat64LocalReadings(value: bigint): string[] {
  const b = bytesOf(value);
  if (b[8] !== 0) return [];
  const layouts: [number[], number][] = [[[6, 7, 9, 10], 11], [[7, 9, 10, 11], 12], [[9, 10, 11, 12], 13], [[12, 13, 14, 15], 16]];
  const out = new Set<string>();
  for (const [at, suffixFrom] of layouts) {
    if (b.slice(suffixFrom).some((x) => x !== 0)) continue;
    out.add(at.map((i) => b[i]).join('.'));
  }
  return [...out];
}

const local = (form: string, value: bigint): Embedded =>
  ({ form, value, carries: nat64LocalReadings(value).map((ipv4) => ({ via: 'nat64-local', ipv4 })) });

/** The IPv6 forms that carry `dotted` (RFC 4291, 6052, 8215, 3056, 4380, 5214, 6145). */
export function embeddingsOf(dotted: string): Embedded[] {
  const v = v4Value(dotted);
  const out: Embedded[] = [
    { form: 'ipv4-mapped', value: (0xffffn << 32n) | v, carries: [{ via: 'ipv4-mapped', ipv4: dotted }] },
    { form: 'ipv4-translated', value: (0xffffn << 48n) | v, carries: [{ via: 'ipv4-translated', ipv4: dotted }] },
    { form: 'nat64', value: (0x64ff9bn << 96n) | v, carries: [{ via: 'nat64', ipv4: dotted }] },
    local('nat64-local/96', (0x64ff9b0001n << 80n) | v),
    local('nat64-local/64', (0x64ff9b0001n << 80n) | (v << 24n)),
    local('nat64-local/56', (0x64ff9b0001n << 80n) | ((v >> 24n) << 64n) | ((v & 0xffffffn) << 32n)),
    local('nat64-local/48', (0x64ff9b0001n << 80n) | ((v >> 16n) << 64n) | ((v & 0xffffn) << 40n)),
    { form: '6to4', value: (0x2002n << 112n) | (v << 80n), carries: [{ via: '6to4', ipv4: dotted }] },
    { form: '6to4 host', value: (0x2002n << 112n) | (v << 80n) | (0xbeefn << 64n) | 0x1234_5678_9abc_def0n, carries: [{ via: '6to4', ipv4: dotted }] },
    {
      form: 'teredo server', value: (0x20010000n << 96n) | (v << 64n) | (0x8000_63bfn << 32n) | (~PUBLIC_V4 & MASK32),
      carries: [{ via: 'teredo-server', ipv4: dotted }, { via: 'teredo-client', ipv4: '8.8.4.4' }],
    },
    {
      form: 'teredo client', value: (0x20010000n << 96n) | (PUBLIC_V4 << 64n) | (0x0000_ffffn << 32n) | (~v & MASK32),
      carries: [{ via: 'teredo-server', ipv4: '8.8.4.4' }, { via: 'teredo-client', ipv4: dotted }],
    },
    { form: 'isatap', value: (0x2600_1f18n << 96n) | (0x5efen << 32n) | v, carries: [{ via: 'isatap', ipv4: dotted }], own: 'public' },
    { form: 'isatap global', value: (0x2600_1f18n << 96n) | (0x0200_5efen << 32n) | v, carries: [{ via: 'isatap', ipv4: dotted }], own: 'public' },
    { form: 'isatap link-local', value: (0xfe80n << 112n) | (0x0200_5efen << 32n) | v, carries: [{ via: 'isatap', ipv4: dotted }], own: 'link-local' },
    { form: 'isatap unique-local', value: (0xfd00n << 112n) | (0x5efen << 32n) | v, carries: [{ via: 'isatap', ipv4: dotted }], own: 'private' },
  ];
  // ::0.0.0.0 and ::0.0.0.1 are :: and ::1, addresses of their own.
  if (v > 1n) out.push({ form: 'ipv4-compatible', value: v, carries: [{ via: 'ipv4-compatible', ipv4: dotted }] });
  for (const e of out) {
    if (e.value < 0n || e.value > MASK128) throw new Error(`bad generator value for ${e.form}`);
    if (!e.carries.some((c) => c.ipv4 === dotted)) throw new Error(`${e.form} of ${dotted} does not carry it`);
  }
  return out;
}

/** The test's own reading of the IPv4 special-purpose registry (RFC 6890 and successors), as inclusive ranges. */
const V4_RANGES: readonly (readonly [string, string, Category])[] = [
  ['0.0.0.0', '0.0.0.0', 'unspecified'],
  ['169.254.169.254', '169.254.169.254', 'metadata'],
  ['169.254.170.2', '169.254.170.2', 'metadata'],
  ['100.100.100.200', '100.100.100.200', 'metadata'],
  ['168.63.129.16', '168.63.129.16', 'metadata'],
  ['255.255.255.255', '255.255.255.255', 'broadcast'],
  ['0.0.0.1', '0.255.255.255', 'reserved'],
  ['10.0.0.0', '10.255.255.255', 'private'],
  ['100.64.0.0', '100.127.255.255', 'private'],
  ['127.0.0.0', '127.255.255.255', 'loopback'],
  ['169.254.0.0', '169.254.255.255', 'link-local'],
  ['172.16.0.0', '172.31.255.255', 'private'],
  ['192.0.0.0', '192.0.0.255', 'reserved'],
  ['192.0.2.0', '192.0.2.255', 'documentation'],
  ['192.88.99.0', '192.88.99.255', 'reserved'],
  ['192.168.0.0', '192.168.255.255', 'private'],
  ['198.18.0.0', '198.19.255.255', 'benchmarking'],
  ['198.51.100.0', '198.51.100.255', 'documentation'],
  ['203.0.113.0', '203.0.113.255', 'documentation'],
  ['224.0.0.0', '239.255.255.255', 'multicast'],
  ['240.0.0.0', '255.255.255.254', 'reserved'],
];

export function v4Category(dotted: string): Category {
  const v = v4Value(dotted);
  return V4_RANGES.find(([a, b]) => v >= v4Value(a) && v <= v4Value(b))?.[2] ?? 'public';
}

/** What an embedding should be classified as: the worst of what it carries (and of its own prefix, for ISATAP). */
export function expectedCategory(e: Embedded): Category {
  return worstOf([...e.carries.map((c) => v4Category(c.ipv4)), ...(e.own ? [e.own] : [])]);
}
