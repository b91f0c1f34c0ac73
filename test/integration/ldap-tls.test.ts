// The LDAP provider over TLS (issue 19) against a real slapd with a self-signed certificate:
// ldaps:// and StartTLS succeed when caFile holds the certificate, and fail (as "unavailable",
// never as a sign-in) without it; a service account with a wrong password is "unavailable" too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LdapProvider } from '../../src/auth/ldap/ldap-provider.ts';
import { ldapProviderSchema } from '../../src/core/config.ts';
import { startSlapd, type Slapd } from '../helpers/slapd.ts';

describe('LDAP over TLS', { timeout: 60_000 }, () => {
  let slapd: Slapd;
  before(async () => { slapd = await startSlapd({ tls: true }); });
  after(async () => { await slapd?.stop(); });

  const provider = (extra: Record<string, unknown>) => new LdapProvider(ldapProviderSchema.parse({
    name: 'corp', type: 'ldap', bindDN: 'cn=admin,dc=example,dc=org', bindPassword: 'secret',
    userBase: 'ou=people,dc=example,dc=org', groupBase: 'ou=groups,dc=example,dc=org', timeoutMs: 3000, ...extra,
  }));

  it('ldaps:// with caFile signs alice in, with her groups', async () => {
    const r = await provider({ url: slapd.ldapsUrl, caFile: slapd.caFile }).authenticate('alice', 'alice-directory-pw');
    assert.equal(r.status, 'ok');
    if (r.status === 'ok') assert.deepEqual(r.user.groups, ['developers', 'guests']);
  });

  it('StartTLS on ldap:// with caFile signs alice in', async () => {
    const r = await provider({ url: slapd.url, startTLS: true, caFile: slapd.caFile }).authenticate('alice', 'alice-directory-pw');
    assert.equal(r.status, 'ok');
  });

  it('without the CA the certificate is refused: unavailable, not a sign-in', async () => {
    const r = await provider({ url: slapd.ldapsUrl }).authenticate('alice', 'alice-directory-pw');
    assert.equal(r.status, 'unavailable');
    const s = await provider({ url: slapd.url, startTLS: true }).authenticate('alice', 'alice-directory-pw');
    assert.equal(s.status, 'unavailable');
  });

  it('a wrong service account password is unavailable; a wrong user password is invalid', async () => {
    assert.equal((await provider({ url: slapd.url, bindPassword: 'wrong' }).authenticate('alice', 'alice-directory-pw')).status, 'unavailable');
    assert.equal((await provider({ url: slapd.ldapsUrl, caFile: slapd.caFile }).authenticate('alice', 'nope')).status, 'invalid');
  });
});
