// The address classifier, against every textual form and every IPv4-in-IPv6 embedding of each
// category, generated (address-forms.ts) rather than listed, and cross-checked with Node's own
// parsers (WHATWG URL, net.isIP) where they overlap.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import {
  classifyAddress, contains, formatCidr, parseCidr, parseIp, within, type Cidr,
} from '../../../../src/features/webhooks/address-class.ts';
import {
  embeddingsOf, expectedCategory, IPV4_SAMPLES, ipv4Spellings, IPV6_SAMPLES, ipv6Spellings, nat64LocalReadings, v4Category, v4Value, worstOf,
} from './address-forms.ts';

const urlHost = (host: string): string => new URL(`http://${host}/`).hostname;
const v6Value = (text: string): bigint => {
  const ip = parseIp(text);
  assert.equal(ip?.family, 6, text);
  return ip!.value;
};

describe('address classifier: IPv4', () => {
  it('the test oracle agrees with its own samples', () => {
    for (const [a, c] of IPV4_SAMPLES) assert.equal(v4Category(a), c, a);
  });

  it('classifies each category, at the edges of its blocks', () => {
    for (const [a, c] of IPV4_SAMPLES) {
      const got = classifyAddress(a);
      assert.equal(got?.category, c, a);
      assert.equal(got?.family, 4);
      assert.equal(got?.address, a);
      assert.deepEqual(got?.subjects.map((s) => [s.address, s.via]), [[a, null]]);
    }
  });

  it('reads every legacy spelling (decimal, hex, octal, 1-4 parts, final dot) as the URL standard does', () => {
    let n = 0;
    for (const [a, c] of IPV4_SAMPLES) {
      for (const form of ipv4Spellings(a)) {
        assert.equal(urlHost(form), a, `the generator's ${form} is ${a} for WHATWG URL too`);
        const got = classifyAddress(form);
        assert.equal(got?.address, a, form);
        assert.equal(got?.category, c, form);
        n++;
      }
    }
    assert.ok(n > 500, `${n} spellings`);
  });

  it('classifies 127.0.0.0/8 and 0.0.0.0 in every spelling a URL can carry', () => {
    for (const form of ['127.1', '0x7f.1', '0177.0.0.1', '2130706433', '017700000001', '0x7f000001', '127.0.1', '127.0.0.1.', '0x7F.0.0.0x1']) {
      assert.equal(classifyAddress(form)?.category, 'loopback', form);
    }
    for (const form of ['0', '0.0.0.0', '0x0', '00', '0.0', '0.0.0', '0x00000000']) assert.equal(classifyAddress(form)?.category, 'unspecified', form);
  });

  it('rejects what is not an IPv4 address', () => {
    for (const bad of ['', '.', '1.2.3.4.5', '256.0.0.0', '1.256.0.0', '1.2.3.256', '1.2.65536', '1.16777216', '4294967296', '0x100000000',
      '08.0.0.0', '1.2.3.09', '1..2.3', '.1.2.3', '1.2.3.4..', 'a.b.c.d', '1.2.3.4/24', ' 1.2.3.4', '1.2.3.4 ', '+1.2.3.4', '-1', '0xg', 'example.com', 'localhost']) {
      assert.equal(classifyAddress(bad), undefined, bad);
    }
  });
});

describe('address classifier: IPv6', () => {
  it('classifies each category', () => {
    for (const [a, c] of IPV6_SAMPLES) {
      const got = classifyAddress(a);
      assert.equal(got?.category, c, a);
      assert.equal(got?.family, 6);
    }
  });

  it('reads every spelling of each sample (expanded, zero-padded, any `::`, upper case, dotted tail, brackets, zone id)', () => {
    let n = 0;
    for (const [a, c] of IPV6_SAMPLES) {
      const canonical = classifyAddress(a)!.address;
      for (const form of ipv6Spellings(v6Value(a))) {
        assert.equal(isIP(form.replace(/^\[|\]$/g, '')), 6, `net.isIP agrees that ${form} is IPv6`);
        if (!form.includes('%')) assert.equal(classifyAddress(urlHost(form.startsWith('[') ? form : `[${form}]`))?.address, canonical, `URL reads ${form} as ${a}`);
        const got = classifyAddress(form);
        assert.equal(got?.category, c, form);
        assert.equal(got?.address, canonical, form);
        n++;
      }
    }
    assert.ok(n > 500, `${n} spellings`);
  });

  it('treats :: like 0.0.0.0, in every form the issue named and more', () => {
    for (const form of ['::', '[::]', '[0::]', '0::', '::0', '0::0', '0:0:0:0:0:0:0:0', '0000:0000:0000:0000:0000:0000:0000:0000', '::0.0.0.0', '0:0:0:0:0:0:0.0.0.0', '::%lo', '[::%eth0]']) {
      assert.equal(classifyAddress(form)?.category, 'unspecified', form);
    }
    for (const form of ['::1', '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001', '::0001', '[::1]', '::0.0.0.1', '::1%lo']) {
      assert.equal(classifyAddress(form)?.category, 'loopback', form);
    }
  });

  it('writes addresses canonically (RFC 5952)', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal runs
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group stays
      ['FE80::ABCD%eth0', 'fe80::abcd'],
      ['::ffff:7f00:1', '::ffff:127.0.0.1'],
      ['0::', '::'],
      ['1:0:0:0:0:0:0:0', '1::'],
    ];
    for (const [input, out] of cases) assert.equal(classifyAddress(input)?.address, out, input);
  });

  it('rejects what is not an IPv6 address', () => {
    for (const bad of [':', ':::', '::1::', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', 'g::1',
      '::ffff:01.2.3.4', '::ffff:1.2.3', '::ffff:1.2.3.4.5', '::ffff:256.1.1.1', '::ffff:0x7f.0.0.1', '1.2.3.4::', '::1.2.3.4:5', 'fe80::1%', 'fe80::1%a b',
      '[::1', '::1]', '[[::1]]', ':1::', '1::2:', '1:2:3:4:5:6:7:8%', ' ::1']) {
      assert.equal(classifyAddress(bad), undefined, bad);
      assert.equal(isIP(bad), 0, `net.isIP agrees that ${bad} is not an address`);
    }
  });
});

describe('address classifier: IPv4 inside IPv6', () => {
  it('finds every valid RFC 6052 reading of a local-use NAT64 address', () => {
    assert.deepEqual(nat64LocalReadings(v6Value('64:ff9b:1::a9fe:a9fe')), ['169.254.169.254']);
    // The /48 layout of 169.254.169.254 also reads as other addresses under the /56, /64 and /96
    // layouts; the guard cannot know which one the operator configured, so each must be public.
    assert.deepEqual(nat64LocalReadings(v6Value('64:ff9b:1:a9fe:a9:fe00::')), ['169.254.169.254', '254.169.254.0', '169.254.0.0', '0.0.0.0']);
    // The /64 layout of 10.0.0.1 reads as the public 1.0.0.0 under /96: a /96-only reading would let it through.
    assert.deepEqual(nat64LocalReadings(v6Value('64:ff9b:1:0:a:0:100:0')), ['10.0.0.1', '1.0.0.0']);
    assert.equal(classifyAddress('64:ff9b:1:0:a:0:100:0')?.category, 'private');
    assert.deepEqual(nat64LocalReadings(v6Value('64:ff9b:1:0:ff00::')), [], 'a u byte that is not zero: no reading');
    assert.equal(classifyAddress('64:ff9b:1:0:ff00::')?.category, 'reserved', 'no reading: the local-use prefix itself');
  });

  it('classifies every embedding of every IPv4 sample by the address it carries, in every spelling', () => {
    let n = 0;
    for (const [a] of IPV4_SAMPLES) {
      for (const e of embeddingsOf(a)) {
        const want = expectedCategory(e);
        const spellings = ipv6Spellings(e.value);
        for (const form of spellings) {
          const got = classifyAddress(form);
          assert.equal(got?.category, want, `${form} (${e.form} of ${a})`);
          n++;
        }
        const got = classifyAddress(spellings[0]!)!;
        for (const c of e.carries) {
          assert.ok(got.subjects.some((s) => s.family === 4 && s.address === c.ipv4 && s.via === c.via), `${spellings[0]} (${e.form} of ${a}) carries ${c.ipv4} via ${c.via}: ${JSON.stringify(got.subjects.map((s) => [s.address, s.via]))}`);
        }
        const own = got.subjects.filter((s) => s.family === 6);
        assert.equal(own.length, e.own ? 1 : 0, `${e.form}: the IPv6 prefix counts only for ISATAP`);
      }
    }
    assert.ok(n > 20_000, `${n} forms`);
  });

  it('refuses Teredo when either end is not public', () => {
    // RFC 4380 section 4's example: server 65.54.227.120, client 192.0.2.45 (inverted in the last 32 bits).
    const example = classifyAddress('2001:0000:4136:e378:8000:63bf:3fff:fdd2')!;
    assert.deepEqual(example.subjects.map((s) => [s.via, s.address]), [['teredo-server', '65.54.227.120'], ['teredo-client', '192.0.2.45']]);
    assert.equal(example.category, 'documentation');
    const publicBoth = (0x20010000n << 96n) | (v4Value('65.54.227.120') << 64n) | (~v4Value('8.8.8.8') & 0xffffffffn);
    assert.equal(classifyAddress(ipv6Spellings(publicBoth)[0]!)?.category, 'public');
  });

  it('reproduces the issue: NAT64 and 6to4 forms of 169.254.169.254, mapped loopback', () => {
    for (const form of ['64:ff9b::169.254.169.254', '64:ff9b::a9fe:a9fe', '[64:FF9B::A9FE:A9FE]', '0064:ff9b:0000:0000:0000:0000:a9fe:a9fe',
      '2002:a9fe:a9fe::', '2002:a9fe:a9fe::1', '2002:a9fe:a9fe:1:2:3:4:5', '::ffff:169.254.169.254', '::ffff:a9fe:a9fe', '::169.254.169.254', '::ffff:0:169.254.169.254',
      '64:ff9b:1::169.254.169.254', '2001:0:a9fe:a9fe::', '2001:db8::5efe:169.254.169.254', '2600::200:5efe:a9fe:a9fe']) {
      assert.equal(classifyAddress(form)?.category, 'metadata', form);
    }
    for (const form of ['::ffff:127.0.0.1', '::ffff:7f00:1', '[::FFFF:7F00:0001]', '::127.0.0.1', '::7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', '::ffff:0:7f00:1']) {
      assert.equal(classifyAddress(form)?.category, 'loopback', form);
    }
  });

  it('reports the worst subject as the category', () => {
    assert.equal(worstOf(['public', 'private', 'link-local']), 'link-local');
    assert.equal(classifyAddress('fe80::5efe:10.0.0.1')?.category, 'link-local');
    assert.equal(classifyAddress('fd00::5efe:169.254.169.254')?.category, 'metadata');
  });
});

describe('CIDR ranges', () => {
  const c = (text: string): Cidr => {
    const r = parseCidr(text);
    assert.ok(!('error' in r), `${text}: ${'error' in r ? r.error : ''}`);
    return r;
  };
  it('parses, prints and compares ranges', () => {
    assert.equal(formatCidr(c('10.0.0.0/8')), '10.0.0.0/8');
    assert.equal(formatCidr(c('FD00:0EC2:0000::0254')), 'fd00:ec2::254/128');
    assert.equal(formatCidr(c('169.254.169.254')), '169.254.169.254/32');
    assert.ok(contains(c('10.0.0.0/8'), 4, v4Value('10.255.0.1')));
    assert.ok(!contains(c('10.0.0.0/8'), 4, v4Value('11.0.0.0')));
    assert.ok(!contains(c('::/0'), 4, v4Value('10.0.0.1')), 'families never mix');
    assert.ok(within(c('10.1.0.0/16'), c('10.0.0.0/8')));
    assert.ok(!within(c('10.0.0.0/7'), c('10.0.0.0/8')));
    assert.ok(within(c('0.0.0.0/0'), c('0.0.0.0/0')));
  });
  it('names what is wrong with a bad range', () => {
    const err = (text: string) => {
      const r = parseCidr(text);
      return 'error' in r ? r.error : '';
    };
    assert.match(err('10.1.2.3/8'), /host bits set; did you mean 10\.0\.0\.0\/8/);
    assert.match(err('10.0.0.0/33'), /prefix length/);
    assert.match(err('::/129'), /prefix length/);
    assert.match(err('10.0.0.0/'), /prefix length/);
    assert.match(err('10.0.0.0/-1'), /prefix length/);
    assert.match(err('010.0.0.0/8'), /not a CIDR range/);
    assert.match(err('localhost/8'), /not a CIDR range/);
  });
});
