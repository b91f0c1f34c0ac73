// GPG "atomic" signatures, as skopeo/podman --sign-by make them: signed (not detached) OpenPGP
// messages over the simple-signing JSON. Keys and signatures are made by the real gpg (Debian's
// gnupg) in a temporary GNUPGHOME, and by openpgp itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { verifySignature, type SignatureVerdict, type TrustedSigner } from '../../../../../src/features/trust/verify/index.ts';
import { requireTool } from './pki.ts';

const DIGEST = `sha256:${createHash('sha256').update('the image manifest').digest('hex')}`;
const OTHER = `sha256:${createHash('sha256').update('another manifest').digest('hex')}`;
const NOW = new Date();

// What containers/image writes (signature/simple.go): the critical object and optional creator/timestamp.
const atomic = (digest: string, ref = 'registry.example/team/app:1.0') => Buffer.from(JSON.stringify({
  critical: { type: 'atomic container signature', image: { 'docker-manifest-digest': digest }, identity: { 'docker-reference': ref } },
  optional: { creator: 'atomic 2.0.0', timestamp: 1735689600 },
}));

const check = (content: Buffer, signers: TrustedSigner[], now = new Date()) => verifySignature({ format: 'gpg', content }, DIGEST, signers, now);
const code = (v: SignatureVerdict) => (v.ok ? 'ok' : v.problem!.code);

describe('GPG atomic signatures made with gpg', () => {
  let home: string;
  let alice: TrustedSigner;
  let bob: TrustedSigner;
  let old: TrustedSigner;
  const gpg = (...args: string[]) => execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const file = (name: string, data: Buffer) => { const p = join(home, name); writeFileSync(p, data); return p; };
  const gpgSign = (user: string, data: Buffer, extra: string[] = []) => {
    const out = join(home, `sig-${Math.random().toString(36).slice(2)}`);
    gpg(...extra, '--local-user', user, '--output', out, '--sign', file('payload.json', data));
    return readFileSync(out);
  };

  before(() => {
    requireTool('gpg', 'gnupg');
    home = mkdtempSync(join(tmpdir(), 'berth-gnupg-'));
    gpg('--quick-gen-key', 'Alice Releaser <alice@example.com>', 'default', 'default', '1y');
    gpg('--quick-gen-key', 'Bob <bob@example.com>', 'ed25519', 'sign', '1y');
    // A key made (and used) in 2020 that expired the day after.
    gpg('--faked-system-time', '20200101T000000', '--quick-gen-key', 'Old <old@example.com>', 'ed25519', 'sign', '1d');
    const exported = (who: string) => gpg('--armor', '--export', who).toString();
    alice = { name: 'alice', kind: 'pgp', material: exported('alice@example.com') };
    bob = { name: 'bob', kind: 'pgp', material: exported('bob@example.com') };
    old = { name: 'old', kind: 'pgp', material: exported('old@example.com') };
  });
  after(() => {
    try { execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' }); } catch { /* no agent */ }
    rmSync(home, { recursive: true, force: true });
  });

  it('verifies gpg --sign over the simple-signing JSON with the trusted key, reporting the identity', async () => {
    const v = await check(gpgSign('alice@example.com', atomic(DIGEST)), [bob, alice]);
    assert.equal(v.ok, true, v.problem?.message);
    assert.equal(v.signer, 'alice');
    assert.equal(v.claims?.dockerReference, 'registry.example/team/app:1.0');
    assert.equal(v.claims?.subject, 'Alice Releaser <alice@example.com>');
    assert.ok(v.claims?.signedAt && Math.abs(Date.parse(v.claims.signedAt) - Date.now()) < 600_000);
  });

  it('verifies an armored (gpg --armor --sign) and an uncompressed message too', async () => {
    assert.equal((await check(gpgSign('alice@example.com', atomic(DIGEST), ['--armor']), [alice])).ok, true);
    assert.equal((await check(gpgSign('alice@example.com', atomic(DIGEST), ['--compress-algo', 'none']), [alice])).ok, true);
  });

  it('a signature by another key: wrong-key, naming the key', async () => {
    const v = await check(gpgSign('bob@example.com', atomic(DIGEST)), [alice]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /^signed by OpenPGP key [0-9A-F]{16}, which is none of the trusted keys \("alice"\)/);
  });

  it('tampered content: wrong-key', async () => {
    const sig = gpgSign('alice@example.com', atomic(DIGEST), ['--compress-algo', 'none']);
    const at = sig.indexOf('team/app');
    assert.ok(at > 0);
    const tampered = Buffer.from(sig);
    tampered.write('evil/app', at);
    const v = await check(tampered, [alice]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /does not verify with OpenPGP key .* the signed content was changed/);
  });

  it('a key that has expired: expired-certificate', async () => {
    const sig = gpgSign('old@example.com', atomic(DIGEST), ['--faked-system-time', '20200101T060000']);
    const v = await check(sig, [old]);
    assert.equal(code(v), 'expired-certificate');
    assert.match(v.problem!.message, /which has expired/);
    // While the key was valid, the same signature verifies.
    assert.equal((await check(sig, [old], new Date('2020-01-01T12:00:00Z'))).ok, true);
  });

  it('a signature that has expired (--default-sig-expire): expired-signature', async () => {
    const sig = gpgSign('old@example.com', atomic(DIGEST), ['--faked-system-time', '20200101T010000', '--default-sig-expire', 'seconds=3600']);
    assert.equal((await check(sig, [old], new Date('2020-01-01T01:30:00Z'))).ok, true);
    const v = await check(sig, [old], new Date('2020-01-01T12:00:00Z'));
    assert.equal(code(v), 'expired-signature');
    assert.match(v.problem!.message, /has expired: its signer gave it an expiry date/);
  });

  it('another image: digest-mismatch; not simple signing: malformed', async () => {
    const v = await check(gpgSign('alice@example.com', atomic(OTHER)), [alice]);
    assert.equal(code(v), 'digest-mismatch');
    assert.match(v.problem!.message, new RegExp(`it signs ${OTHER}, but this image is ${DIGEST}`));
    assert.equal(code(await check(gpgSign('alice@example.com', Buffer.from('hello')), [alice])), 'malformed');
    const cosignTyped = Buffer.from(atomic(DIGEST).toString().replace('atomic container signature', 'cosign container image signature'));
    assert.equal(code(await check(gpgSign('alice@example.com', cosignTyped), [alice])), 'malformed');
  });

  it('a detached signature or junk is not a signed message: malformed', async () => {
    const detached = join(home, 'detached.sig');
    gpg('--local-user', 'alice@example.com', '--output', detached, '--detach-sign', file('d.json', atomic(DIGEST)));
    assert.equal(code(await check(readFileSync(detached), [alice])), 'malformed');
    assert.equal(code(await check(Buffer.from('not openpgp'), [alice])), 'malformed');
  });

  it('no trusted OpenPGP key: says to add one', async () => {
    const v = await check(gpgSign('alice@example.com', atomic(DIGEST)), []);
    assert.match(v.problem!.message, /no trusted OpenPGP key is configured/);
  });
});

describe('GPG atomic signatures made with openpgp', () => {
  it('verify; a revoked key and tampering are refused', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [{ name: 'CI', email: 'ci@example.com' }], format: 'object' });
    const trusted: TrustedSigner = { name: 'ci', kind: 'pgp', material: publicKey.armor() };
    const signed = Buffer.from(await openpgp.sign({ message: await openpgp.createMessage({ binary: atomic(DIGEST) }), signingKeys: privateKey, format: 'binary' }));
    assert.equal((await check(signed, [trusted])).ok, true);

    const tampered = Buffer.from(signed);
    tampered.write('evil/app', tampered.indexOf('team/app'));
    assert.equal(code(await check(tampered, [trusted])), 'wrong-key');

    const { publicKey: revoked } = await openpgp.revokeKey({ key: privateKey, format: 'object' });
    const v = await check(signed, [{ name: 'ci', kind: 'pgp', material: revoked.armor() }]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /revoked/);
  });

  it('tolerates a signer clock a few minutes ahead, not more', async () => {
    const made = new Date(Date.now() - 86400_000);
    const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [{ email: 'clock@example.com' }], date: made, format: 'object' });
    const signer: TrustedSigner = { name: 'clock', kind: 'pgp', material: publicKey.armor() };
    const at = async (ms: number) => check(Buffer.from(await openpgp.sign({ message: await openpgp.createMessage({ binary: atomic(DIGEST) }), signingKeys: privateKey, date: new Date(Date.now() + ms), format: 'binary' })), [signer]);
    assert.equal((await at(60_000)).ok, true);
    const v = await at(3600_000);
    assert.equal(code(v), 'malformed');
    assert.match(v.problem!.message, /made in the future, more than 5 minutes from now/);
  });

  it('a key that expired after signing: expired-certificate', async () => {
    const made = new Date(NOW.getTime() - 10 * 86400_000);
    const { privateKey, publicKey } = await openpgp.generateKey({ userIDs: [{ email: 'temp@example.com' }], date: made, keyExpirationTime: 86400, format: 'object' });
    const signed = Buffer.from(await openpgp.sign({ message: await openpgp.createMessage({ binary: atomic(DIGEST), date: made }), signingKeys: privateKey, date: new Date(made.getTime() + 3600_000), format: 'binary' }));
    const signer: TrustedSigner = { name: 'temp', kind: 'pgp', material: publicKey.armor() };
    assert.equal(code(await check(signed, [signer])), 'expired-certificate');
    assert.equal((await check(signed, [signer], new Date(made.getTime() + 7200_000))).ok, true);
  });
});
