// The SSRF guard: a webhook URL must not reach link-local or cloud metadata addresses. The
// check runs on the address actually connected to (a DNS lookup hook), so a name that resolves
// to 169.254.169.254 at delivery time is refused even if it looked harmless when configured.
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

export interface SsrfPolicy {
  readonly allowLoopback: boolean;
  /** CIDR ranges allowed even though they are blocked by default. */
  readonly allowNetworks: readonly string[];
}

function addCidr(list: BlockList, cidr: string): void {
  const [net, bits] = cidr.split('/');
  const type = isIP(net ?? '') === 6 ? 'ipv6' : 'ipv4';
  if (!net || !isIP(net)) throw new Error(`not a CIDR range: ${cidr}`);
  if (bits === undefined) list.addAddress(net, type);
  else list.addSubnet(net, Number(bits), type);
}

export class SsrfGuard {
  private readonly blocked = new BlockList();
  private readonly loopback = new BlockList();
  private readonly allowed = new BlockList();

  constructor(private readonly policy: SsrfPolicy) {
    for (const c of ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '0.0.0.0/8', '100.100.100.200/32']) addCidr(this.blocked, c);
    for (const c of ['127.0.0.0/8', '::1/128']) addCidr(this.loopback, c);
    for (const c of policy.allowNetworks) addCidr(this.allowed, c);
  }

  /** Why an address is refused, or undefined if it may be reached. */
  refusal(address: string): string | undefined {
    let a = address;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
    if (mapped) a = mapped[1]!;
    const type = isIP(a) === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(a)) return `${address} is not an IP address`;
    if (this.allowed.check(a, type)) return undefined;
    if (this.blocked.check(a, type)) return `${address} is a link-local or cloud metadata address (notifications.allowNetworks can allow it)`;
    if (!this.policy.allowLoopback && this.loopback.check(a, type)) return `${address} is a loopback address (notifications.allowLoopback is false)`;
    return undefined;
  }

  /** A `lookup` for http.request that refuses blocked addresses after resolving. */
  readonly lookup = (hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const why = this.refusal(a.address);
        if (why) return callback(Object.assign(new Error(`SSRF guard: ${hostname} resolves to ${why}`), { code: 'EBLOCKED' }), '');
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
