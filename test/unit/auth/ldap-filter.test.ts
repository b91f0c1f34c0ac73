// LDAP filter values are escaped as RFC 4515 says, so a user name cannot change a filter's shape.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeFilterValue, expandFilter, ldapUsernameProblem } from '../../../src/auth/ldap/filter.ts';

describe('LDAP filter escaping (RFC 4515)', () => {
  it('escapes the specials: * ( ) \\ and NUL', () => {
    assert.equal(escapeFilterValue('*'), '\\2a');
    assert.equal(escapeFilterValue('('), '\\28');
    assert.equal(escapeFilterValue(')'), '\\29');
    assert.equal(escapeFilterValue('\\'), '\\5c');
    assert.equal(escapeFilterValue('\u0000'), '\\00');
  });

  it('the injection *)(uid=* becomes one literal value', () => {
    assert.equal(expandFilter('(uid={username})', { username: '*)(uid=*' }), '(uid=\\2a\\29\\28uid=\\2a)');
    assert.equal(expandFilter('(&(objectClass=person)(uid={username}))', { username: 'a)(|(uid=*' }), '(&(objectClass=person)(uid=a\\29\\28|\\28uid=\\2a))');
  });

  it('leaves ordinary names alone and escapes non-ASCII as UTF-8 bytes', () => {
    assert.equal(escapeFilterValue('alice.smith-2'), 'alice.smith-2');
    assert.equal(escapeFilterValue('jörg'), 'j\\c3\\b6rg');
    assert.equal(escapeFilterValue('a\nb'), 'a\\0ab');
  });

  it('fills {dn} and {username}, wraps a bare filter in parentheses, and refuses unknown placeholders', () => {
    assert.equal(expandFilter('(member={dn})', { dn: 'uid=a*,ou=people,dc=example,dc=org' }), '(member=uid=a\\2a,ou=people,dc=example,dc=org)');
    assert.equal(expandFilter('memberUid={username}', { username: 'bob' }), '(memberUid=bob)');
    assert.throws(() => expandFilter('(uid={user})', { username: 'x' }), /unknown placeholder \{user\}/);
  });

  it('refuses empty, huge and control-character names before the directory is asked', () => {
    assert.ok(ldapUsernameProblem(''));
    assert.ok(ldapUsernameProblem('a'.repeat(257)));
    assert.ok(ldapUsernameProblem('a\u0000b'));
    assert.equal(ldapUsernameProblem('*)(uid=*'), undefined, 'escaped, not refused: it simply matches nobody');
  });
});
