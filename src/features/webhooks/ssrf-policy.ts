// The SSRF guard's policy (pure): which addresses a webhook may reach and, when one is refused,
// what an administrator can do about it. Only public addresses are reachable by default: a
// webhook that any project owner can aim anywhere must not become a way to probe the server's
// own network. Loopback and private ranges are exceptions an administrator grants; the other
// special-purpose ranges (link-local, cloud metadata, multicast, reserved, ...) open only through
// an allowNetworks range that names them.
import { ConfigError } from '../../core/config.ts';
import {
  blockContaining, classifyAddress, contains, formatCidr, IPV4_MAPPED_PREFIX, parseCidr, SEVERITY, TRANSITION_PREFIXES, within,
  type AddressCategory, type AddressClass, type Cidr, type Embedding, type Subject,
} from './address-class.ts';

export interface SsrfPolicy {
  /** Loopback receivers: 127.0.0.0/8, ::1 (notifications.allowLoopback). */
  readonly allowLoopback: boolean;
  /** 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10 (notifications.allowPrivateNetworks). */
  readonly allowPrivateNetworks: boolean;
  /** CIDR ranges to open; each must lie inside one special-purpose block (notifications.allowNetworks). */
  readonly allowNetworks: readonly string[];
}

export interface CompiledPolicy {
  readonly allowLoopback: boolean;
  readonly allowPrivateNetworks: boolean;
  readonly networks: readonly Cidr[];
}

const NETWORKS_KEY = 'notifications.allowNetworks';
/** :: and ::1 lie in ::/96 but are IPv6 addresses in their own right, not IPv4-compatible forms. */
const UNSPECIFIED_AND_LOOPBACK = parseCidr('::/127') as Cidr;

/** Checks allowNetworks up front: an entry that could never open anything is a mistake worth naming. */
export function compilePolicy(policy: SsrfPolicy): CompiledPolicy {
  const networks = policy.allowNetworks.map((text): Cidr => {
    const parsed = parseCidr(text.trim());
    if ('error' in parsed) throw new ConfigError(`${NETWORKS_KEY}: ${parsed.error}`);
    let range = parsed;
    // Mapped ranges mean their IPv4 range: the guard checks the IPv4 address an IPv6 form embeds.
    if (range.family === 6 && range.prefix >= 96 && within(range, IPV4_MAPPED_PREFIX)) range = { family: 4, value: range.value & 0xffffffffn, prefix: range.prefix - 96 };
    if (range.family === 6 && !within(range, UNSPECIFIED_AND_LOOPBACK) && TRANSITION_PREFIXES.some((t) => within(range, t))) {
      throw new ConfigError(`${NETWORKS_KEY}: ${text} lies in an IPv6 prefix that carries IPv4 addresses; Berth checks the IPv4 address such a form embeds, so list the IPv4 range instead`);
    }
    const block = blockContaining(range);
    if (block.category === 'public' || block.range.prefix === 0) {
      throw new ConfigError(`${NETWORKS_KEY}: ${text} does not lie inside one special-purpose range, so it would open nothing (public addresses are always allowed); list the range to open, e.g. 10.0.0.0/8 or 169.254.169.254/32`);
    }
    return range;
  });
  return { allowLoopback: policy.allowLoopback, allowPrivateNetworks: policy.allowPrivateNetworks, networks };
}

/**
 * Whether one address may be reached. `privateTargets` is the administrator's exception for one
 * webhook, worth as much as allowLoopback plus allowPrivateNetworks for that webhook alone.
 */
export function isAllowed(s: Subject, p: CompiledPolicy, privateTargets: boolean): boolean {
  if (s.category === 'public') return true;
  if (s.category === 'loopback' && (p.allowLoopback || privateTargets)) return true;
  if (s.category === 'private' && (p.allowPrivateNetworks || privateTargets)) return true;
  // An entry opens an address only from inside the address's own block: 169.254.0.0/16 opens
  // link-local addresses but not 169.254.169.254, which needs 169.254.169.254/32 itself.
  return p.networks.some((n) => within(n, s.block) && contains(n, s.family, s.value));
}

const EMBEDDINGS: Record<Embedding, string> = {
  'ipv4-mapped': 'IPv4-mapped', 'ipv4-compatible': 'IPv4-compatible', 'ipv4-translated': 'IPv4-translated', nat64: 'NAT64',
  'nat64-local': 'local-use NAT64', '6to4': '6to4', 'teredo-server': 'Teredo server', 'teredo-client': 'Teredo client', isatap: 'ISATAP',
};

const KINDS: Record<Exclude<AddressCategory, 'public'>, string> = {
  unspecified: 'the unspecified address (a connection to it reaches this host)',
  loopback: 'a loopback address',
  private: 'a private-network address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  documentation: 'a documentation address',
  benchmarking: 'a benchmarking address',
};

const GRANT = 'or sets allowPrivateTargets: true on this webhook';

function remedy(category: AddressCategory, block: Cidr): string {
  const range = formatCidr(block);
  if (block.prefix === 0) return 'refused: the address lies outside the IPv6 space assigned to hosts';
  switch (category) {
    case 'loopback':
      return `refused unless an administrator allows loopback receivers (notifications.allowLoopback: true in the config file) ${GRANT}`;
    case 'private':
      return `refused unless an administrator allows private networks (notifications.allowPrivateNetworks: true, or ${range} in ${NETWORKS_KEY}, in the config file) ${GRANT}`;
    case 'unspecified':
      return 'refused: address a receiver on this host as 127.0.0.1 or ::1, which an administrator can allow with notifications.allowLoopback: true';
    case 'metadata':
      return `refused unless an administrator lists exactly ${range} in ${NETWORKS_KEY}`;
    default:
      return `refused unless an administrator lists ${range} (or a range inside it) in ${NETWORKS_KEY}`;
  }
}

function explain(c: AddressClass, s: Subject): string {
  const what = s.via ? `${c.address} embeds ${s.address} (${EMBEDDINGS[s.via]}), which` : c.address;
  return `${what} is ${KINDS[s.category as Exclude<AddressCategory, 'public'>]} (${formatCidr(s.block)}); ${remedy(s.category, s.block)}`;
}

/** Why an address is refused (naming the key or grant that would allow it), or undefined. */
export function refusalOf(address: string, p: CompiledPolicy, privateTargets = false): string | undefined {
  const c = classifyAddress(address);
  if (!c) return `${address} is not an IP address`;
  const refused = c.subjects.filter((s) => !isAllowed(s, p, privateTargets));
  if (!refused.length) return undefined;
  // Report the most dangerous reason when several apply (Teredo carries two addresses).
  refused.sort((a, b) => SEVERITY.indexOf(a.category) - SEVERITY.indexOf(b.category));
  return explain(c, refused[0]!);
}
