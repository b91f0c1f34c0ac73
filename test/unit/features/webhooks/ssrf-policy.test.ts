// The SSRF guard's policy matrix: every category, in every IPv4 and IPv6 form, under the default
// policy, allowLoopback, allowPrivateNetworks, both, the per-webhook grant, and allowNetworks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../../src/core/config.ts';
import { compilePolicy, refusalOf, type SsrfPolicy } from '../../../../src/features/webhooks/ssrf-policy.ts';
import { embeddingsOf, IPV4_SAMPLES, IPV6_SAMPLES, ipv6Spellings, v4Category, type Category } from './address-forms.ts';

interface Case {
  readonly address: string;
  /** Every category the address leads to: the guard must accept each. */
  readonly categories: readonly Category[];
}

/** Every sample, and every IPv6 form that embeds an IPv4 sample (two spellings of each). */
function cases(): Case[] {
  const out: Case[] = [];
  for (const [a, c] of IPV4_SAMPLES) out.push({ address: a, categories: [c] });
  for (const [a, c] of IPV6_SAMPLES) out.push({ address: a, categories: [c] });
  for (const [a] of IPV4_SAMPLES) {
    for (const e of embeddingsOf(a)) {
      const categories = [...e.carries.map((x) => v4Category(x.ipv4)), ...(e.own ? [e.own] : [])];
      const spellings = ipv6Spellings(e.value);
      for (const s of [spellings[0]!, spellings.at(-1)!]) out.push({ address: s.replace(/^\[|\]$/g, ''), categories });
    }
  }
  return out;
}

const policy = (p: Partial<SsrfPolicy> = {}) => compilePolicy({ allowLoopback: false, allowPrivateNetworks: false, allowNetworks: [], ...p });

/** The rule, restated: public always; loopback and private by flag or grant; nothing else without allowNetworks. */
function expectAllowed(categories: readonly Category[], p: { allowLoopback: boolean; allowPrivateNetworks: boolean }, grant: boolean): boolean {
  return categories.every((c) => c === 'public'
    || (c === 'loopback' && (p.allowLoopback || grant))
    || (c === 'private' && (p.allowPrivateNetworks || grant)));
}

/** What a refusal must tell the reader to do, by the category refused. */
const REMEDIES: Record<Exclude<Category, 'public'>, RegExp> = {
  loopback: /notifications\.allowLoopback: true.*allowPrivateTargets: true/,
  private: /notifications\.allowPrivateNetworks: true.*notifications\.allowNetworks.*allowPrivateTargets: true/,
  unspecified: /127\.0\.0\.1 or ::1.*notifications\.allowLoopback/,
  metadata: /lists exactly \S+ in notifications\.allowNetworks/,
  'link-local': /lists \S+ \(or a range inside it\) in notifications\.allowNetworks/,
  multicast: /notifications\.allowNetworks/,
  broadcast: /notifications\.allowNetworks/,
  reserved: /notifications\.allowNetworks|outside the IPv6 space assigned/,
  documentation: /notifications\.allowNetworks/,
  benchmarking: /notifications\.allowNetworks/,
};

describe('SSRF policy matrix', () => {
  const all = cases();
  const flags = [
    { allowLoopback: false, allowPrivateNetworks: false },
    { allowLoopback: true, allowPrivateNetworks: false },
    { allowLoopback: false, allowPrivateNetworks: true },
    { allowLoopback: true, allowPrivateNetworks: true },
  ];

  it(`covers every category (${all.length} addresses)`, () => {
    const seen = new Set(all.flatMap((c) => c.categories));
    for (const c of ['unspecified', 'loopback', 'private', 'link-local', 'metadata', 'multicast', 'broadcast', 'reserved', 'documentation', 'benchmarking', 'public'] as const) {
      assert.ok(seen.has(c), c);
    }
  });

  for (const f of flags) {
    for (const grant of [false, true]) {
      it(`allowLoopback ${f.allowLoopback}, allowPrivateNetworks ${f.allowPrivateNetworks}, webhook grant ${grant}`, () => {
        const p = policy(f);
        let refused = 0;
        for (const c of all) {
          const why = refusalOf(c.address, p, grant);
          const want = expectAllowed(c.categories, f, grant);
          assert.equal(why === undefined, want, `${c.address} (${c.categories.join(', ')}): ${why ?? 'allowed'}`);
          if (why) {
            refused++;
            // The message names a way out for one of the categories that refused it.
            const blocking = c.categories.filter((x) => x !== 'public' && !expectAllowed([x], f, grant)) as Exclude<Category, 'public'>[];
            assert.ok(blocking.some((x) => REMEDIES[x].test(why)), `${c.address}: "${why}" should say what to do for ${blocking.join(', ')}`);
          }
        }
        assert.ok(refused > 100, `${refused} refused`);
      });
    }
  }

  it('by default refuses exactly what the issue reported, and says what to do', () => {
    const p = policy();
    for (const a of ['127.0.0.1', '::', '::1', '0.0.0.0', '::ffff:127.0.0.1', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::', '10.0.0.1', '192.168.1.10', 'fd00::1']) {
      assert.ok(refusalOf(a, p), a);
    }
    assert.match(refusalOf('::ffff:127.0.0.1', p)!, /^::ffff:127\.0\.0\.1 embeds 127\.0\.0\.1 \(IPv4-mapped\), which is a loopback address/);
    assert.match(refusalOf('64:ff9b::a9fe:a9fe', p)!, /embeds 169\.254\.169\.254 \(NAT64\), which is a cloud metadata address \(169\.254\.169\.254\/32\); refused unless an administrator lists exactly 169\.254\.169\.254\/32 in notifications\.allowNetworks/);
    assert.match(refusalOf('::', p)!, /unspecified/);
    assert.equal(refusalOf('8.8.8.8', p), undefined);
    assert.equal(refusalOf('2606:4700:4700::1111', p), undefined);
    assert.equal(refusalOf('::ffff:8.8.8.8', p), undefined);
    assert.match(refusalOf('example.com', p)!, /not an IP address/);
  });

  it('never lets allowLoopback, allowPrivateNetworks or the grant open the unspecified address', () => {
    const p = policy({ allowLoopback: true, allowPrivateNetworks: true });
    for (const a of ['::', '0.0.0.0', '::ffff:0.0.0.0', '64:ff9b::', '2002::', '0:0:0:0:0:0:0:0']) assert.match(refusalOf(a, p, true) ?? '', /unspecified/, a);
  });
});

describe('SSRF policy: allowNetworks', () => {
  const opens = (networks: string[], address: string) => refusalOf(address, policy({ allowNetworks: networks })) === undefined;

  it('opens a range, in every form of its addresses, and nothing beside it', () => {
    for (const a of ['10.1.2.3', '::ffff:10.1.2.3', '::ffff:a01:203', '64:ff9b::10.1.2.3', '2002:a01:203::1', '::ffff:0:10.1.2.3']) assert.ok(opens(['10.0.0.0/8'], a), a);
    for (const a of ['172.16.0.1', '192.168.0.1', '127.0.0.1', 'fd00::1']) assert.ok(!opens(['10.0.0.0/8'], a), a);
    assert.ok(opens(['10.1.0.0/16'], '10.1.200.1'));
    assert.ok(!opens(['10.1.0.0/16'], '10.2.0.1'));
    assert.ok(opens(['::ffff:10.0.0.0/104'], '10.9.9.9'), 'a mapped range means its IPv4 range');
    assert.ok(opens(['fc00::/7'], 'fd12::1'));
    assert.ok(opens(['127.0.0.0/8'], '::ffff:127.0.0.1'));
    assert.ok(!opens(['127.0.0.0/8'], '::1'), 'IPv4 loopback is not IPv6 loopback');
    assert.ok(opens(['::1/128'], '::1'));
    assert.ok(opens(['224.0.0.0/4'], '239.1.2.3'));
    assert.ok(opens(['240.0.0.0/4'], '250.0.0.1'));
    assert.ok(opens(['0.0.0.0/32'], '0.0.0.0'), 'the unspecified address only when named');
    assert.ok(!opens(['0.0.0.0/32'], '::'));
  });

  it('needs the metadata address named: its link-local or private block does not open it', () => {
    for (const a of ['169.254.169.254', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe', '2002:a9fe:a9fe::', '64:ff9b:1::a9fe:a9fe']) {
      assert.ok(!opens(['169.254.0.0/16'], a), a);
      assert.ok(opens(['169.254.169.254/32'], a), a);
    }
    assert.ok(opens(['169.254.0.0/16'], '169.254.10.1'));
    assert.ok(!opens(['169.254.169.254/32'], '169.254.10.1'));
    assert.ok(!opens(['169.254.0.0/16'], '169.254.170.2'));
    assert.ok(!opens(['100.64.0.0/10'], '100.100.100.200'));
    assert.equal(refusalOf('100.100.100.200', policy({ allowPrivateNetworks: true })) === undefined, false, 'allowPrivateNetworks does not open it either');
    assert.ok(opens(['100.100.100.200/32'], '100.100.100.200'));
    assert.ok(!opens(['fc00::/7'], 'fd00:ec2::254'));
    assert.ok(opens(['fd00:ec2::254/128'], 'fd00:ec2::254'));
  });

  it('refuses entries that are not ranges, or would open nothing, naming the key', () => {
    const bad: [string, RegExp][] = [
      ['not-a-range', /not a CIDR range/], ['10.0.0.0/33', /prefix length/], ['10.1.2.3/8', /host bits set; did you mean 10\.0\.0\.0\/8/],
      ['0.0.0.0/0', /would open nothing/], ['10.0.0.0/7', /would open nothing/], ['8.8.8.0/24', /would open nothing/], ['::/0', /would open nothing/],
      ['2000::/3', /would open nothing/], ['4000::/3', /would open nothing/], ['::ffff:0:0/96', /would open nothing/],
      ['64:ff9b::/96', /list the IPv4 range/], ['2002::/16', /list the IPv4 range/], ['2001::/32', /list the IPv4 range/], ['::10.0.0.0/104', /list the IPv4 range/],
    ];
    for (const [entry, why] of bad) {
      assert.throws(() => policy({ allowNetworks: [entry] }), (e: Error) => {
        assert.ok(e instanceof ConfigError, entry);
        assert.match(e.message, /^notifications\.allowNetworks: /, entry);
        assert.match(e.message, why, entry);
        return true;
      });
    }
    for (const ok of ['10.0.0.0/8', '169.254.169.254', '169.254.169.254/32', 'fe80::/10', 'fd00:ec2::254/128', '::1/128', '::/128', '198.18.0.0/15', ' 192.168.0.0/16 ']) {
      assert.doesNotThrow(() => policy({ allowNetworks: [ok] }), ok);
    }
  });
});
