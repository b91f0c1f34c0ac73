// parseSigner: each kind's material is checked, and a bad one is refused with a message that says
// what is wrong and what to give instead.
import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import { parseSigner, SignerError } from '../../../../../src/features/trust/verify/types.ts';
import { keyPair, Pki, DAY } from './pki.ts';
import { trustedRootJson, fixtureTlog } from './sigstore-fixtures.ts';

const rejects = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: unknown) => e instanceof SignerError && re.test(e.message));

describe('parseSigner', () => {
  const pki = new Pki();
  after(() => pki.close());

  it('key: accepts the public keys cosign supports, with their algorithm', async () => {
    for (const [kind, algorithm] of [['p256', 'ecdsa-p256'], ['p384', 'ecdsa-p384'], ['p521', 'ecdsa-p521'], ['ed25519', 'ed25519'], ['rsa2048', 'rsa']] as const) {
      const s = await parseSigner('key', keyPair(kind).publicPem);
      assert.equal(s.kind, 'key');
      assert.equal(s.kind === 'key' && s.algorithm, algorithm, kind);
    }
  });

  it('key: refuses private keys, certificates, other text and unsupported keys, saying what to give', async () => {
    await rejects(parseSigner('key', keyPair('p256').privatePem), /private key.*cosign\.pub/);
    await rejects(parseSigner('key', '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n'), /private key/);
    await rejects(parseSigner('key', 'ssh-ed25519 AAAAC3Nza... alice@host'), /^not a PEM public key: give the cosign\.pub file that cosign generate-key-pair wrote/);
    await rejects(parseSigner('key', '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n'), /not a readable PEM public key/);
    await rejects(parseSigner('key', keyPair('secp256k1').publicPem), /unsupported EC curve secp256k1: cosign signs with ECDSA P-256/);
    await rejects(parseSigner('key', keyPair('rsa1024').publicPem), /1024 bits is too weak/);
    const root = pki.root('/CN=r', new Date(Date.now() - DAY), new Date(Date.now() + DAY));
    await rejects(parseSigner('key', root.pem), /certificate, not a public key: for a Notation trust store use kind x509/);
    await rejects(parseSigner('key', '   '), /no key material/);
  });

  it('x509: accepts one or more PEM certificates and refuses keys and junk', async () => {
    const a = pki.root('/CN=a', new Date(Date.now() - DAY), new Date(Date.now() + DAY));
    const b = pki.root('/CN=b', new Date(Date.now() - DAY), new Date(Date.now() + DAY));
    const s = await parseSigner('x509', `${a.pem}\n${b.pem}`);
    assert.equal(s.kind === 'x509' && s.certificates.length, 2);
    await rejects(parseSigner('x509', keyPair('p256').publicPem), /public key, not a certificate/);
    await rejects(parseSigner('x509', keyPair('p256').privatePem), /private key/);
    await rejects(parseSigner('x509', 'hello'), /not a PEM certificate: give the PEM root \(or intermediate\) certificate/);
    await rejects(parseSigner('x509', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'), /certificate 1 is not a readable X\.509 certificate/);
  });

  it('keyless: needs an issuer, exactly one of subject and subjectRegExp, and a trusted root with a CA', async () => {
    const ca = pki.root('/CN=fulcio', new Date(Date.now() - DAY), new Date(Date.now() + DAY));
    const trustedRoot = trustedRootJson({ ca: [ca], tlog: fixtureTlog() });
    const ok = await parseSigner('keyless', JSON.stringify({ issuer: 'https://issuer.test', subject: 'alice@example.com', trustedRoot }));
    assert.ok(ok.kind === 'keyless' && ok.identity.subject === 'alice@example.com' && ok.trust.certificateAuthorities.length === 1 && ok.trust.tlogs.length === 1);
    const re = await parseSigner('keyless', JSON.stringify({ issuer: 'https://issuer.test', subjectRegExp: '^https://github\\.com/acme/', trustedRoot: JSON.parse(trustedRoot) }));
    assert.ok(re.kind === 'keyless' && re.identity.subjectRegExp?.test('https://github.com/acme/x'));
    await rejects(parseSigner('keyless', 'issuer=x'), /^not JSON: give a JSON object \{"issuer"/);
    await rejects(parseSigner('keyless', JSON.stringify({ subject: 'a', trustedRoot })), /no issuer: give the OIDC issuer/);
    await rejects(parseSigner('keyless', JSON.stringify({ issuer: 'i', trustedRoot })), /exactly one of subject .* and subjectRegExp/);
    await rejects(parseSigner('keyless', JSON.stringify({ issuer: 'i', subject: 'a', subjectRegExp: 'b', trustedRoot })), /exactly one of/);
    await rejects(parseSigner('keyless', JSON.stringify({ issuer: 'i', subjectRegExp: '(', trustedRoot })), /not a valid regular expression/);
    await rejects(parseSigner('keyless', JSON.stringify({ issuer: 'i', subject: 'a' })), /no trustedRoot: give the trusted_root\.json/);
    await rejects(parseSigner('keyless', JSON.stringify({ issuer: 'i', subject: 'a', trustedRoot: '{' })), /trustedRoot is not JSON/);
    await rejects(parseSigner('keyless', JSON.stringify({ issuer: 'i', subject: 'a', trustedRoot: { mediaType: 'application/json' } })), /not a Sigstore trusted root/);
    const noCa = JSON.stringify({ ...JSON.parse(trustedRoot), certificateAuthorities: [] });
    await rejects(parseSigner('keyless', JSON.stringify({ issuer: 'i', subject: 'a', trustedRoot: noCa })), /names no certificate authority/);
  });

  it('pgp: accepts an armored public key block and refuses private keys and other text', async () => {
    const { generateKey } = await import('openpgp');
    const { publicKey, privateKey } = await generateKey({ userIDs: [{ name: 'Alice', email: 'alice@example.com' }], format: 'armored' });
    const s = await parseSigner('pgp', publicKey);
    assert.equal(s.kind === 'pgp' && s.keys.length, 1);
    await rejects(parseSigner('pgp', privateKey), /private key.*gpg --armor --export/);
    // A private key under a public key's armor header is still refused.
    await rejects(parseSigner('pgp', privateKey.replace(/PRIVATE KEY BLOCK/g, 'PUBLIC KEY BLOCK')), /holds a private key/);
    await rejects(parseSigner('pgp', keyPair('p256').publicPem), /not an ASCII-armored OpenPGP public key block/);
    await rejects(parseSigner('pgp', '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n'), /not a readable OpenPGP public key/);
  });

  it('refuses an unknown kind', async () => {
    await rejects(parseSigner('ssh' as never, 'x'), /unknown signer kind "ssh": use key, pgp, x509 or keyless/);
  });
});
