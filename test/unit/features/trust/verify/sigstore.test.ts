// Sigstore bundles as cosign v3 attaches them: DSSE in-toto statements about the image digest,
// signed with a trusted key or keyless (Fulcio certificate + Rekor entry, checked offline against
// an imported trusted_root.json).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { verifySignature, type SignatureVerdict, type TrustedSigner } from '../../../../../src/features/trust/verify/index.ts';
import { parseStatement } from '../../../../../src/features/trust/verify/sigstore.ts';
import { keyPair, Pki, DAY, CA_EXTENSIONS, type Issued } from './pki.ts';
import { cosignStatement, dsseBundle, fixtureTlog, fulcioLeaf, signBytes, trustedRootJson, type Tlog } from './sigstore-fixtures.ts';

const DIGEST = `sha256:${createHash('sha256').update('the image manifest').digest('hex')}`;
const OTHER = `sha256:${createHash('sha256').update('another manifest').digest('hex')}`;
const NOW = new Date();
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';

const check = (bundle: Buffer, signers: TrustedSigner[]) => verifySignature({ format: 'sigstore-bundle', bundle }, DIGEST, signers, NOW);
const code = (v: SignatureVerdict) => (v.ok ? 'ok' : v.problem!.code);

describe('sigstore bundles signed with a key', () => {
  const key = keyPair('p256');
  const signer: TrustedSigner = { name: 'release key', kind: 'key', material: key.publicPem };

  it('verify with the trusted key when the statement is about this image', async () => {
    const v = await check(dsseBundle({ payload: cosignStatement(DIGEST), key }), [signer]);
    assert.deepEqual(v, { format: 'sigstore-bundle', ok: true, signer: 'release key', claims: { predicateType: 'https://sigstore.dev/cosign/sign/v1' } });
  });

  it('verify P-384 (SHA-384), P-521 and Ed25519 keys as sigstore-go signs with them', async () => {
    for (const kind of ['p384', 'p521', 'ed25519', 'rsa2048'] as const) {
      const k = keyPair(kind);
      const v = await check(dsseBundle({ payload: cosignStatement(DIGEST), key: k }), [{ name: kind, kind: 'key', material: k.publicPem }]);
      assert.equal(v.ok && v.signer, kind, `${kind}: ${v.problem?.message}`);
    }
  });

  it('another key: wrong-key, naming the keys tried', async () => {
    const v = await check(dsseBundle({ payload: cosignStatement(DIGEST), key: keyPair('p256') }), [signer]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /does not verify with any trusted key \("release key"\)/);
  });

  it('a changed payload: wrong-key', async () => {
    const b = dsseBundle({ payload: cosignStatement(OTHER), key, tamper: () => cosignStatement(DIGEST) });
    assert.equal(code(await check(b, [signer])), 'wrong-key');
  });

  it('a statement about another image: digest-mismatch', async () => {
    const v = await check(dsseBundle({ payload: cosignStatement(OTHER), key }), [signer]);
    assert.equal(code(v), 'digest-mismatch');
    assert.match(v.problem!.message, new RegExp(`signed by "release key" is for another image: its statement is about ${OTHER}, but this image is ${DIGEST}`));
  });

  it('an attestation about this image counts, as in cosign verify; its predicate type is reported', async () => {
    const v = await check(dsseBundle({ payload: cosignStatement(DIGEST, { predicateType: 'https://slsa.dev/provenance/v1', predicate: { buildType: 'x' } }), key }), [signer]);
    assert.equal(v.ok, true);
    assert.equal(v.claims?.predicateType, 'https://slsa.dev/provenance/v1');
  });

  it('a statement with several subjects counts when one is this image', async () => {
    const [, hex] = DIGEST.split(':');
    const payload = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'p', predicate: {}, subject: [{ name: 'x', digest: { sha256: 'ab'.repeat(32) } }, { name: 'y', digest: { sha512: 'cd'.repeat(64), sha256: hex } }] }));
    assert.equal((await check(dsseBundle({ payload, key }), [signer])).ok, true);
  });

  it('no trusted key: says to add one', async () => {
    const v = await check(dsseBundle({ payload: cosignStatement(DIGEST), key }), []);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /no trusted public key is configured: add the signer's cosign\.pub/);
  });
});

describe('sigstore bundles that cannot be checked', () => {
  const key = keyPair('p256');
  const signer: TrustedSigner = { name: 'k', kind: 'key', material: key.publicPem };

  it('not JSON, not a bundle, no in-toto statement: malformed', async () => {
    assert.equal(code(await check(Buffer.from('{'), [signer])), 'malformed');
    const v = await check(Buffer.from(JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' })), [signer]);
    assert.equal(code(v), 'malformed');
    assert.match(v.problem!.message, /not a valid Sigstore bundle/);
    const notStatement = await check(dsseBundle({ payload: Buffer.from('{"hello":1}'), key }), [signer]);
    assert.equal(code(notStatement), 'malformed');
    assert.match(notStatement.problem!.message, /not an in-toto statement/);
  });

  it('a DSSE envelope of another payload type, and message signatures: unsupported', async () => {
    assert.equal(code(await check(dsseBundle({ payload: cosignStatement(DIGEST), payloadType: 'text/plain', key }), [signer])), 'unsupported');
    const payload = Buffer.from('{"critical":{}}');
    const ms = Buffer.from(JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'x' }, tlogEntries: [] },
      messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') }, signature: signBytes(key, payload).toString('base64') },
    }));
    const v = await check(ms, [signer]);
    assert.equal(code(v), 'unsupported');
    assert.match(v.problem!.message, /message signature, which carries only the digest/);
  });

  it('parseStatement reads v1 and v0.1 statements and refuses others', () => {
    assert.equal(parseStatement(cosignStatement(DIGEST)).subjects[0]!.digest.sha256, DIGEST.slice(7));
    assert.equal(parseStatement(Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'p', subject: [{ name: 'n', digest: { sha256: 'aa' } }] }))).subjects[0]!.name, 'n');
    assert.throws(() => parseStatement(Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'p', subject: [] }))), /no subject/);
    assert.throws(() => parseStatement(Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: {} }] }))), /no predicateType/);
  });
});

describe('keyless sigstore bundles (Fulcio certificate, Rekor entry, offline trusted root)', () => {
  let pki: Pki;
  let root: Issued;
  let fulcio: Issued;
  let log: Tlog;
  let trustedRoot: string;
  const t0 = new Date(NOW.getTime() - 3 * DAY);
  const keyless = (identity: Record<string, string>, rootText = trustedRoot, name = 'ci'): TrustedSigner => ({ name, kind: 'keyless', material: JSON.stringify({ issuer: ISSUER, ...identity, trustedRoot: rootText }) });

  before(() => {
    pki = new Pki();
    root = pki.root('/O=Berth tests/CN=sigstore root', new Date(NOW.getTime() - 365 * DAY), new Date(NOW.getTime() + 365 * DAY));
    fulcio = pki.issue({ subject: '/O=Berth tests/CN=sigstore-intermediate', key: keyPair('p384'), issuer: root, notBefore: new Date(NOW.getTime() - 300 * DAY), notAfter: new Date(NOW.getTime() + 300 * DAY), extensions: CA_EXTENSIONS });
    log = fixtureTlog();
    trustedRoot = trustedRootJson({ ca: [fulcio, root], tlog: log });
  });
  after(() => pki.close());

  // A signature as `cosign sign` makes it in CI: a 10-minute certificate, logged a minute in.
  function signed(o: { san?: string; issuer?: string; payload?: Buffer; loggedAfterMinutes?: number; tamper?: (p: Buffer) => Buffer; log?: Tlog; ca?: Issued; noTlog?: boolean; keyKind?: 'p256' | 'p384' } = {}): Buffer {
    const key = keyPair(o.keyKind ?? 'p256');
    const cert = fulcioLeaf(pki, { ca: o.ca ?? fulcio, san: o.san ?? `URI:${WORKFLOW}`, issuer: o.issuer ?? ISSUER, notBefore: t0, key });
    return dsseBundle({
      payload: o.payload ?? cosignStatement(DIGEST), key, certificate: cert, ...(o.tamper ? { tamper: o.tamper } : {}),
      ...(o.noTlog ? {} : { tlog: { log: o.log ?? log, integratedTime: new Date(t0.getTime() + (o.loggedAfterMinutes ?? 1) * 60_000) } }),
    });
  }

  it('good: verifies against the trusted root, identity and issuer, reporting them', async () => {
    const v = await check(signed(), [keyless({ subject: WORKFLOW })]);
    assert.equal(v.ok, true, v.problem?.message);
    assert.equal(v.signer, 'ci');
    assert.equal(v.claims?.subject, WORKFLOW);
    assert.equal(v.claims?.issuer, ISSUER);
    assert.equal(v.claims?.signedAt, new Date(Math.floor((t0.getTime() + 60_000) / 1000) * 1000).toISOString());
  });

  it('good with a P-384 certificate key (signed over SHA-384, as sigstore-go does)', async () => {
    const v = await check(signed({ keyKind: 'p384' }), [keyless({ subject: WORKFLOW })]);
    assert.equal(v.ok, true, v.problem?.message);
  });

  it('good with an email identity and with subjectRegExp', async () => {
    assert.equal((await check(signed({ san: 'email:alice@example.com' }), [keyless({ subject: 'alice@example.com' })])).ok, true);
    assert.equal((await check(signed(), [keyless({ subjectRegExp: '^https://github\\.com/acme/app/' })])).ok, true);
  });

  it('wrong identity: identity-mismatch; an exact subject is not a pattern', async () => {
    const v = await check(signed({ san: 'email:mallory@example.com' }), [keyless({ subject: 'alice@example.com' })]);
    assert.equal(code(v), 'identity-mismatch');
    assert.match(v.problem!.message, /its identity is "mallory@example\.com", not "alice@example\.com"/);
    assert.equal(code(await check(signed({ san: 'email:aliceXexample.com@evil.test' }), [keyless({ subject: 'alice.example.com' })])), 'identity-mismatch');
    assert.equal(code(await check(signed(), [keyless({ subjectRegExp: '^https://github\\.com/other/' })])), 'identity-mismatch');
  });

  it('wrong issuer: identity-mismatch', async () => {
    const v = await check(signed({ issuer: 'https://accounts.google.com' }), [keyless({ subject: WORKFLOW })]);
    assert.equal(code(v), 'identity-mismatch');
    assert.match(v.problem!.message, /its OIDC issuer is "https:\/\/accounts\.google\.com", not "https:\/\/token\.actions\.githubusercontent\.com"/);
  });

  it('expired certificate: logged after the certificate expired', async () => {
    const v = await check(signed({ loggedAfterMinutes: 15 }), [keyless({ subject: WORKFLOW })]);
    assert.equal(code(v), 'expired-certificate');
    assert.match(v.problem!.message, /not valid when the signature was made/);
  });

  it('tampered payload: wrong-key', async () => {
    const v = await check(signed({ payload: cosignStatement(OTHER), tamper: () => cosignStatement(DIGEST) }), [keyless({ subject: WORKFLOW })]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /changed after signing/);
  });

  it('wrong digest: digest-mismatch', async () => {
    const v = await check(signed({ payload: cosignStatement(OTHER) }), [keyless({ subject: WORKFLOW })]);
    assert.equal(code(v), 'digest-mismatch');
    assert.match(v.problem!.message, /keyless signer "ci" is for another image/);
  });

  it('a certificate from another CA: untrusted-chain', async () => {
    const otherRoot = pki.root('/CN=other sigstore', new Date(NOW.getTime() - 30 * DAY), new Date(NOW.getTime() + 30 * DAY));
    const v = await check(signed({ ca: otherRoot }), [keyless({ subject: WORKFLOW })]);
    assert.equal(code(v), 'untrusted-chain');
    assert.match(v.problem!.message, /does not chain to a certificate authority of the trusted root/);
  });

  it('a Rekor entry from a log the root does not list: untrusted-chain', async () => {
    const v = await check(signed({ log: fixtureTlog('rekor.elsewhere') }), [keyless({ subject: WORKFLOW })]);
    assert.equal(code(v), 'untrusted-chain');
    assert.match(v.problem!.message, /transparency log entry cannot be verified/);
  });

  it('no Rekor entry nor timestamp: untrusted-chain (no verified signing time)', async () => {
    const v = await check(signed({ noTlog: true }), [keyless({ subject: WORKFLOW })]);
    assert.equal(code(v), 'untrusted-chain');
  });

  it('an RFC 3161 timestamp instead of a Rekor entry: enough for a root without logs, not for one with logs', async () => {
    const tsaRoot = pki.root('/O=Berth tests/CN=tsa root', new Date(NOW.getTime() - 30 * DAY), new Date(NOW.getTime() + 30 * DAY));
    const tsa = pki.issue({ subject: '/O=Berth tests/CN=tsa', key: keyPair('p256'), issuer: tsaRoot, notBefore: new Date(NOW.getTime() - 30 * DAY), notAfter: new Date(NOW.getTime() + 30 * DAY), extensions: ['keyUsage = critical, digitalSignature', 'extendedKeyUsage = critical, timeStamping', 'authorityKeyIdentifier = keyid'] });
    // openssl ts stamps the current time: a certificate valid now.
    const key = keyPair('p256');
    const cert = fulcioLeaf(pki, { ca: fulcio, san: `URI:${WORKFLOW}`, issuer: ISSUER, notBefore: new Date(Date.now() - 5 * 60_000), key });
    const bundle = dsseBundle({ payload: cosignStatement(DIGEST), key, certificate: cert, timestamp: (sig) => pki.timestamp(tsa, sig) });
    const noLogs = trustedRootJson({ ca: [fulcio, root], tsa: [tsa, tsaRoot] });
    const v = await check(bundle, [keyless({ subject: WORKFLOW }, noLogs)]);
    assert.equal(v.ok, true, v.problem?.message);
    // A root without logs ignores a Rekor entry it cannot check (and the time it claims), and relies on the timestamp.
    const both = dsseBundle({ payload: cosignStatement(DIGEST), key, certificate: cert, timestamp: (sig) => pki.timestamp(tsa, sig), tlog: { log, integratedTime: new Date() } });
    assert.equal((await check(both, [keyless({ subject: WORKFLOW }, noLogs)])).ok, true);
    const withLogs = trustedRootJson({ ca: [fulcio, root], tsa: [tsa, tsaRoot], tlog: log });
    assert.equal((await check(both, [keyless({ subject: WORKFLOW }, withLogs)])).ok, true);
    const w = await check(bundle, [keyless({ subject: WORKFLOW }, withLogs)]);
    assert.equal(code(w), 'untrusted-chain');
    assert.match(w.problem!.message, /expected 1 tlog entries, got 0/);
    // A timestamp from a TSA the root does not list proves nothing.
    assert.equal(code(await check(bundle, [keyless({ subject: WORKFLOW }, trustedRootJson({ ca: [fulcio, root] }))])), 'untrusted-chain');
  });

  it('a keyless bundle with only key signers configured says a keyless signer is needed', async () => {
    const v = await check(signed(), [{ name: 'k', kind: 'key', material: keyPair('p256').publicPem }]);
    assert.equal(code(v), 'wrong-key');
    assert.match(v.problem!.message, /no keyless signer .* is configured/);
  });

  it('with several keyless signers, the one that matches wins; otherwise the most specific problem', async () => {
    const otherRoot = trustedRootJson({ ca: [pki.root('/CN=x', new Date(NOW.getTime() - DAY), new Date(NOW.getTime() + DAY))], tlog: log });
    const v = await check(signed(), [keyless({ subject: WORKFLOW }, otherRoot, 'elsewhere'), keyless({ subject: 'someone' }, trustedRoot, 'someone'), keyless({ subject: WORKFLOW }, trustedRoot, 'release')]);
    assert.equal(v.ok && v.signer, 'release');
    const w = await check(signed(), [keyless({ subject: WORKFLOW }, otherRoot, 'elsewhere'), keyless({ subject: 'someone' }, trustedRoot, 'someone')]);
    assert.equal(code(w), 'identity-mismatch');
  });
});
