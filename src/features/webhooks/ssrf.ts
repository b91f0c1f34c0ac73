// The SSRF guard: a webhook reaches only the addresses the policy (ssrf-policy.ts) allows. The
// check runs on the address actually connected to (a DNS lookup hook), so a name that resolves
// to 169.254.169.254 at delivery time is refused even if it looked harmless when configured;
// literal addresses never reach the hook, so callers check them with refusal() first.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { parseIp } from './address-class.ts';
import { compilePolicy, refusalOf, type CompiledPolicy, type SsrfPolicy } from './ssrf-policy.ts';

export type { SsrfPolicy } from './ssrf-policy.ts';

export type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;
export type LookupHook = (hostname: string, options: object, callback: LookupCallback) => void;

/** What the sender needs: a check for literal addresses and a lookup that checks resolved ones. */
export interface AddressCheck {
  /** Why an address is refused, or undefined if it may be reached. */
  refusal(address: string): string | undefined;
  /** A `lookup` for http.request that refuses blocked addresses after resolving. */
  readonly lookup: LookupHook;
}

/** The host of a URL (brackets removed) if it is an IP literal; undefined for a name. */
export function literalHost(hostname: string): string | undefined {
  const host = hostname.replace(/^\[|\]$/g, '');
  return parseIp(host) || isIP(host) ? host : undefined;
}

/** The special-use name localhost (RFC 6761) always means loopback, whatever DNS says. */
export function isLocalhostName(hostname: string): boolean {
  return /(^|\.)localhost\.?$/i.test(hostname);
}

function check(policy: CompiledPolicy, privateTargets: boolean): AddressCheck {
  const refusal = (address: string) => refusalOf(address, policy, privateTargets);
  const lookup: LookupHook = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      if (!list.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      // Every address is checked, not only the first: the connection may fall back to any of them.
      for (const a of list) {
        const why = refusal(a.address);
        if (why) return callback(Object.assign(new Error(`SSRF guard: ${hostname} resolves to ${why}`), { code: 'EBLOCKED' }), '');
      }
      if ((options as { all?: boolean }).all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return { refusal, lookup };
}

export class SsrfGuard implements AddressCheck {
  private readonly policy: CompiledPolicy;
  readonly refusal: (address: string) => string | undefined;
  readonly lookup: LookupHook;
  private readonly granted: AddressCheck;

  /** Throws a ConfigError naming notifications.allowNetworks for an entry that is not a usable range. */
  constructor(policy: SsrfPolicy) {
    this.policy = compilePolicy(policy);
    ({ refusal: this.refusal, lookup: this.lookup } = check(this.policy, false));
    this.granted = check(this.policy, true);
  }

  /** The check for one webhook: with the administrator's exception for private targets, if it has one. */
  forWebhook(allowPrivateTargets: boolean): AddressCheck {
    return allowPrivateTargets ? this.granted : this;
  }
}
