// What an IP address literal reaches, for the SSRF guard (pure: no I/O). Parses every textual
// form of IPv4 and IPv6 and names the address's category. An IPv6 address that embeds an IPv4
// address (mapped, compatible, translated, NAT64, 6to4, Teredo, ISATAP) is classified by the IPv4
// address it embeds, because that is where a translator, a tunnel or the kernel delivers it.
// Sources: RFC 6890 and the IANA special-purpose registries, RFC 4291, RFC 6052, RFC 8215,
// RFC 3056, RFC 4380, RFC 5214, RFC 6145.

export type AddressCategory =
  | 'unspecified' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'multicast'
  | 'broadcast' | 'reserved' | 'documentation' | 'benchmarking' | 'public';

/** How an IPv6 address carries an IPv4 address. */
export type Embedding =
  | 'ipv4-mapped' | 'ipv4-compatible' | 'ipv4-translated' | 'nat64' | 'nat64-local' | '6to4'
  | 'teredo-server' | 'teredo-client' | 'isatap';

export type Family = 4 | 6;

export interface Cidr {
  readonly family: Family;
  /** The network address as an unsigned integer (32 or 128 bits). */
  readonly value: bigint;
  readonly prefix: number;
}

/** One address the literal leads to: itself, or an IPv4 address it embeds. */
export interface Subject {
  readonly family: Family;
  readonly value: bigint;
  readonly address: string;
  readonly category: AddressCategory;
  /** The special-purpose block the address lies in (the most specific one). */
  readonly block: Cidr;
  readonly via: Embedding | null;
}

export interface AddressClass {
  readonly family: Family;
  /** Canonical text (RFC 5952 for IPv6, dotted quad for IPv4). */
  readonly address: string;
  /** The most dangerous category among the subjects. */
  readonly category: AddressCategory;
  /** Every address this one reaches; a guard must accept all of them. */
  readonly subjects: readonly Subject[];
}

/** Worst first: the order in which a category is reported when an address has several. */
export const SEVERITY: readonly AddressCategory[] = [
  'metadata', 'link-local', 'unspecified', 'loopback', 'private', 'multicast', 'broadcast', 'reserved', 'benchmarking', 'documentation', 'public',
];

const width = (family: Family): number => (family === 4 ? 32 : 128);
const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

// ---- parsing ----

/** A decimal octet without leading zeros, as inet_pton and the URL standard take inside IPv6. */
const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function strictDotted(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function legacyNumber(part: string): bigint | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0n : BigInt(part); // "0x" alone is 0, as in the URL standard
  if (/^0[0-7]+$/.test(part)) return BigInt(`0o${part.slice(1)}`);
  if (/^(0|[1-9]\d*)$/.test(part)) return BigInt(part);
  return undefined;
}

/**
 * IPv4 in every form the URL standard and inet_aton accept: one to four parts, each decimal,
 * octal (leading 0) or hex (0x), the last filling the remaining bytes; an optional final dot.
 * A URL's host is normalised this way before it is connected to, so the guard must read it the same.
 */
export function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  if (parts.length < 1 || parts.length > 4) return undefined;
  const numbers: bigint[] = [];
  for (const p of parts) {
    const n = legacyNumber(p);
    if (n === undefined) return undefined;
    numbers.push(n);
  }
  const last = numbers.pop()!;
  if (numbers.some((n) => n > 255n)) return undefined;
  const lastBits = 8 * (4 - numbers.length);
  if (last > mask(lastBits)) return undefined;
  return numbers.reduce((acc, n, i) => acc | (n << BigInt(8 * (3 - i))), 0n) | last;
}

function groupsOf(part: string, ipv4Tail: boolean): number[] | undefined {
  if (part === '') return [];
  const items = part.split(':');
  const out: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (ipv4Tail && i === items.length - 1 && item.includes('.')) {
      const v4 = strictDotted(item);
      if (v4 === undefined) return undefined;
      out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
    } else if (/^[0-9a-f]{1,4}$/.test(item)) {
      out.push(parseInt(item, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

/** IPv6 in every RFC 4291 form: `::` anywhere once, 1-4 hex digits a group, a dotted IPv4 tail, a zone id, brackets, any case. */
export function parseIpv6(text: string): bigint | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) {
    // The zone picks an interface; it does not change which address is reached.
    if (!/^[\w.-]+$/.test(s.slice(zone + 1))) return undefined;
    s = s.slice(0, zone);
  }
  s = s.toLowerCase();
  if (!s.includes(':')) return undefined;
  const halves = s.split('::');
  let groups: number[] | undefined;
  if (halves.length === 1) {
    groups = groupsOf(s, true);
    if (groups?.length !== 8) return undefined;
  } else if (halves.length === 2) {
    const head = groupsOf(halves[0]!, false);
    const tail = groupsOf(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    return undefined;
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Any IPv4 or IPv6 literal; undefined for anything else (a host name, a range, garbage). */
export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

// ---- formatting ----

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`; // RFC 5952 section 5
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function formatIp(family: Family, value: bigint): string {
  return family === 4 ? formatIpv4(value) : formatIpv6(value);
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.family, c.value)}/${c.prefix}`;
}

/** `a.b.c.d/n` or `x::/n`; a bare address is a single-address range. Host bits must be zero. */
export function parseCidr(text: string): Cidr | { error: string } {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  // Ranges are written in the usual dotted form, not the legacy URL forms.
  if (!ip || (ip.family === 4 && strictDotted(slash < 0 ? text : text.slice(0, slash)) === undefined)) return { error: `${text} is not a CIDR range` };
  const bits = slash < 0 ? String(width(ip.family)) : text.slice(slash + 1);
  const prefix = Number(bits);
  if (!/^\d{1,3}$/.test(bits) || prefix > width(ip.family)) return { error: `${text} has a bad prefix length` };
  const hostBits = mask(width(ip.family) - prefix);
  if (ip.value & hostBits) {
    const network = { family: ip.family, value: ip.value & ~hostBits, prefix };
    return { error: `${text} has host bits set; did you mean ${formatCidr(network)}?` };
  }
  return { family: ip.family, value: ip.value, prefix };
}

export function contains(c: Cidr, family: Family, value: bigint): boolean {
  if (c.family !== family) return false;
  const shift = BigInt(width(family) - c.prefix);
  return value >> shift === c.value >> shift;
}

/** Whether range `inner` lies entirely inside range `outer`. */
export function within(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && contains(outer, inner.family, inner.value);
}

// ---- the special-purpose blocks ----

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if ('error' in c) throw new Error(c.error);
  return c;
}

interface Block { readonly range: Cidr; readonly category: AddressCategory }

/** Most specific first, so the first block that contains an address is its category. */
function table(entries: readonly (readonly [string, AddressCategory])[]): Block[] {
  return entries.map(([r, category]) => ({ range: cidr(r), category })).sort((a, b) => b.range.prefix - a.range.prefix);
}

export const IPV4_BLOCKS: readonly Block[] = table([
  ['0.0.0.0/32', 'unspecified'], // connect() to it reaches this host
  ['0.0.0.0/8', 'reserved'], // "this network"
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'], // carrier-grade NAT (RFC 6598): inside a provider's network
  ['100.100.100.200/32', 'metadata'], // Alibaba Cloud
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['169.254.169.254/32', 'metadata'], // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean, ...
  ['169.254.170.2/32', 'metadata'], // AWS ECS task credentials
  ['168.63.129.16/32', 'metadata'], // Azure WireServer: reachable only from Azure VMs, serves their configuration
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // the retired 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['255.255.255.255/32', 'broadcast'],
  ['0.0.0.0/0', 'public'],
]);

/** The IPv6 address itself, when it embeds no IPv4 address. */
export const IPV6_BLOCKS: readonly Block[] = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['100::/64', 'reserved'], // discard-only
  ['2001:2::/48', 'benchmarking'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'], // RFC 9637
  ['2000::/3', 'public'], // global unicast; everything outside it is unassigned, or special below
  ['fc00::/7', 'private'], // unique local
  ['fd00:ec2::254/128', 'metadata'], // AWS (IPv6 instance metadata)
  ['fd20:ce::254/128', 'metadata'], // GCP (IPv6 metadata server)
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // deprecated site-local, still routed inside some sites
  ['ff00::/8', 'multicast'],
  ['::/0', 'reserved'],
]);

export const IPV4_MAPPED_PREFIX: Cidr = cidr('::ffff:0:0/96');

/** The IPv6 prefixes that carry IPv4 addresses; ranges inside them name no IPv6 target of their own. */
export const TRANSITION_PREFIXES: readonly Cidr[] = [IPV4_MAPPED_PREFIX, ...[
  '::/96', '::ffff:0:0:0/96', '64:ff9b::/96', '64:ff9b:1::/48', '2002::/16', '2001::/32',
].map(cidr)];

function blockOf(family: Family, value: bigint): Block {
  return (family === 4 ? IPV4_BLOCKS : IPV6_BLOCKS).find((b) => contains(b.range, family, value))!;
}

/** The most specific block that contains the whole range (a catch-all /0 when no special one does). */
export function blockContaining(range: Cidr): Block {
  return (range.family === 4 ? IPV4_BLOCKS : IPV6_BLOCKS).find((b) => within(range, b.range))!;
}

function subject(family: Family, value: bigint, via: Embedding | null): Subject {
  const b = blockOf(family, value);
  return { family, value, address: formatIp(family, value), category: b.category, block: b.range, via };
}

// ---- IPv4 addresses inside IPv6 ----

/** `len` bits starting at bit `start` (0 = the most significant bit). */
const bitsAt = (v: bigint, start: number, len: number): bigint => (v >> BigInt(128 - start - len)) & mask(len);

const top = (v: bigint, bits: number): bigint => v >> BigInt(128 - bits);
const prefixValue = (text: string, bits: number): bigint => top(cidr(text).value, bits);
const MAPPED = prefixValue('::ffff:0:0/96', 96);
const TRANSLATED = prefixValue('::ffff:0:0:0/96', 96);
const NAT64 = prefixValue('64:ff9b::/96', 96);
const NAT64_LOCAL = prefixValue('64:ff9b:1::/48', 48);

/**
 * RFC 6052 section 2.2: where a prefix of length n puts the IPv4 address. Bits 64..71 (the "u"
 * octet) are skipped and must be zero, and so must the suffix after the address.
 */
function rfc6052(v: bigint, prefix: 48 | 56 | 64 | 96): bigint | undefined {
  if (bitsAt(v, 64, 8) !== 0n) return undefined;
  const pieces: [number, number][] = {
    48: [[48, 16], [72, 16]], 56: [[56, 8], [72, 24]], 64: [[72, 32]], 96: [[96, 32]],
  }[prefix] as [number, number][];
  const end = pieces.at(-1)![0] + pieces.at(-1)![1];
  if (end < 128 && bitsAt(v, end, 128 - end) !== 0n) return undefined;
  return pieces.reduce((acc, [start, len]) => (acc << BigInt(len)) | bitsAt(v, start, len), 0n);
}

function embedded(v: bigint): { transition: Subject[]; isatap: Subject[] } {
  const v4 = (value: bigint, via: Embedding) => subject(4, value, via);
  const low32 = v & 0xffffffffn;
  const transition: Subject[] = [];
  if (top(v, 96) === MAPPED) transition.push(v4(low32, 'ipv4-mapped'));
  else if (top(v, 96) === TRANSLATED) transition.push(v4(low32, 'ipv4-translated'));
  else if (top(v, 96) === 0n && v > 1n) transition.push(v4(low32, 'ipv4-compatible')); // :: and ::1 are themselves
  else if (top(v, 96) === NAT64) transition.push(v4(low32, 'nat64'));
  else if (top(v, 48) === NAT64_LOCAL) {
    // The operator picks the prefix length inside the /48, so every valid reading counts.
    for (const n of [48, 56, 64, 96] as const) {
      const a = rfc6052(v, n);
      if (a !== undefined && !transition.some((s) => s.value === a)) transition.push(v4(a, 'nat64-local'));
    }
  } else if (top(v, 16) === 0x2002n) transition.push(v4(bitsAt(v, 16, 32), '6to4'));
  else if (top(v, 32) === 0x20010000n) {
    transition.push(v4(bitsAt(v, 32, 32), 'teredo-server'));
    transition.push(v4(~low32 & 0xffffffffn, 'teredo-client')); // RFC 4380: the client address is stored inverted
  }
  // RFC 5214: an interface id of 0000:5efe or 0200:5efe (u/g bits may be set) carries the IPv4 tunnel endpoint.
  const iidHigh = bitsAt(v, 64, 32);
  const isatap = (iidHigh & 0xfcffffffn) === 0x00005efen ? [v4(low32, 'isatap')] : [];
  return { transition, isatap };
}

const worst = (subjects: readonly Subject[]): AddressCategory =>
  SEVERITY.find((c) => subjects.some((s) => s.category === c)) ?? 'public';

/** Classifies an IP literal; undefined when `text` is not one. */
export function classifyAddress(text: string): AddressClass | undefined {
  const ip = parseIp(text);
  if (!ip) return undefined;
  let subjects: Subject[];
  if (ip.family === 4) {
    subjects = [subject(4, ip.value, null)];
  } else {
    const { transition, isatap } = embedded(ip.value);
    // A transition prefix is only the way there: the embedded IPv4 address is the target. An
    // ISATAP interface id sits under a real IPv6 prefix, so both count.
    subjects = transition.length ? [...transition, ...isatap] : [subject(6, ip.value, null), ...isatap];
  }
  return { family: ip.family, address: formatIp(ip.family, ip.value), category: worst(subjects), subjects };
}
