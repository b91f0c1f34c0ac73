// Each signature format Berth verifies, pushed over real HTTP the way its tool stores it (issue 12),
// with the verdict the API gives: cosign's legacy .sig tag (P-256, Ed25519 and RSA keys, and a
// second signature appended to the tag); Sigstore bundles as OCI referrers, with a key and keyless
// (identity and issuer checked against an imported trusted_root.json); Notation JWS referrers
// against an x509 trust store; GPG atomic signatures (made by the real gpg) through the signature
// API extension; and enforce mode over referrer and extension signatures. (The CLI is in
// trust-cli.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { cosignKey, cosignSigTag, signCosign } from '../helpers/cosign-signer.ts';
import { CA_EXTENSIONS, DAY, keyPair, Pki, requireTool, type Issued, type KeyPair } from '../unit/features/trust/verify/pki.ts';
import { cosignStatement, dsseBundle, fixtureTlog, fulcioLeaf, trustedRootJson, type Tlog } from '../unit/features/trust/verify/sigstore-fixtures.ts';
import { addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { getManifest, layerOf, pushLayers, sha256, uploadBlob, type PushedImage } from './scan-helpers.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const EMPTY = Buffer.from('{}');
const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const NOTATION = 'application/vnd.cncf.notary.signature';
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const LEAF = ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = codeSigning', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'];

/** A temporary GNUPGHOME and the real gpg, as skopeo's and podman's --sign-by use it. */
class Gpg {
  readonly home: string;
  constructor() {
    requireTool('gpg', 'gnupg');
    this.home = mkdtempSync(join(tmpdir(), 'berth-gpg-'));
  }
  private run(args: string[], input?: Buffer): Buffer {
    return execFileSync('gpg', ['--homedir', this.home, '--batch', ...args], { ...(input ? { input } : {}), stdio: ['pipe', 'pipe', 'pipe'] });
  }
  /** A new ed25519 signing key; its fingerprint. */
  generate(uid: string): string {
    this.run(['--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', '1d']);
    const colons = this.run(['--list-keys', '--with-colons', uid]).toString();
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
    assert.ok(fpr, `no fingerprint for ${uid}: ${colons}`);
    return fpr;
  }
  armored(fpr: string): string {
    return this.run(['--armor', '--export', fpr]).toString();
  }
  /** gpg --sign (a signed message, binary, not detached), as containers/image's gpgme signing makes it. */
  sign(fpr: string, data: Buffer): Buffer {
    return this.run(['--local-user', fpr, '--sign', '--output', '-'], data);
  }
  close(): void {
    spawnSync('gpgconf', ['--homedir', this.home, '--kill', 'all'], { stdio: 'ignore' });
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The simple-signing JSON of a GPG "atomic" signature (containers/image's format). */
const atomicPayload = (digest: string, ref: string) => Buffer.from(JSON.stringify({
  critical: { identity: { 'docker-reference': ref }, image: { 'docker-manifest-digest': digest }, type: 'atomic container signature' },
  optional: { creator: 'containers/image', timestamp: Math.floor(Date.now() / 1000) },
}));

/** notation-go's JWS envelope (flattened JSON, x5c chain in the unprotected header), ES256 with a P-256 leaf. */
function notationEnvelope(chain: readonly Issued[], digest: string, size: number): Buffer {
  const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
  const header = b64url(JSON.stringify({
    alg: 'ES256', cty: 'application/vnd.cncf.notary.payload.v1+json', crit: ['io.cncf.notary.signingScheme'],
    'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  }));
  const payload = b64url(JSON.stringify({ targetArtifact: { mediaType: OCI_MANIFEST, digest, size } }));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: createPrivateKey(chain[0]!.key.privatePem), dsaEncoding: 'ieee-p1363' });
  return Buffer.from(JSON.stringify({
    payload, protected: header, signature: b64url(signature),
    header: { 'io.cncf.notary.signingAgent': 'notation-go/1.3.0', x5c: chain.map((c) => c.der.toString('base64')) },
  }));
}

describe('signature formats: cosign, Sigstore bundles, Notation and GPG', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  let gina: Creds;
  let pki: Pki;
  let gpg: Gpg;

  const project = async (name: string) => {
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name } }), 201);
    expectStatus(await call(server, 'PUT', `/projects/${name}/members/gina`, { as: alice, body: { role: 'guest' } }), 200);
  };
  const trust = async (p: string, name: string, key: unknown, kind?: string) => expectStatus(await call(server, 'POST', `/projects/${p}/trust-keys`, { as: alice, body: { name, key: typeof key === 'string' ? key : JSON.stringify(key), ...(kind ? { kind } : {}) } }), 201).body;
  const verdict = async (repo: string, ref: string, as: Creds = alice) => {
    const [p, ...rest] = repo.split('/');
    return expectStatus(await call(server, 'GET', `/repositories/${p}/${encodeURIComponent(rest.join('/'))}/trust/${ref}`, { as }), 200).body;
  };
  let n = 0;
  const push = (repo: string, tag = `t${++n}`) => pushLayers(server, alice, repo, tag, [layerOf({ [`f${n}`]: `${repo}:${tag}:${randomBytes(4).toString('hex')}` })]);
  /** Pushes an OCI referrer of `image` with one layer of this media type; returns its digest. */
  async function pushReferrer(repo: string, image: PushedImage, artifactType: string, layerType: string, content: Buffer, annotations: Record<string, string> = {}): Promise<string> {
    for (const b of [EMPTY, content]) await uploadBlob(server, alice, repo, b);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(EMPTY), size: EMPTY.length },
      layers: [{ mediaType: layerType, digest: sha256(content), size: content.length }],
      subject: { mediaType: OCI_MANIFEST, digest: image.digest, size: image.manifest.length },
      annotations: { 'org.opencontainers.image.created': new Date().toISOString(), ...annotations },
    }));
    const digest = sha256(manifest);
    const res = await fetch(`${server.url}/v2/${repo}/manifests/${digest}`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': OCI_MANIFEST }, body: manifest });
    assert.equal(res.status, 201, await res.text());
    assert.equal(res.headers.get('oci-subject'), image.digest);
    return digest;
  }
  const pushBundle = (repo: string, image: PushedImage, bundle: Buffer) => pushReferrer(repo, image, SIGSTORE_BUNDLE, SIGSTORE_BUNDLE, bundle, { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' });
  /** PUTs a GPG signature through the signature API extension, as containers/image does. */
  async function putGpgSignature(repo: string, digest: string, content: Buffer): Promise<string> {
    const name = `${digest}@${randomBytes(16).toString('hex')}`;
    const res = await fetch(`${server.url}/extensions/v2/${repo}/signatures/${digest}`, {
      method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/json' },
      body: JSON.stringify({ schemaVersion: 2, type: 'atomic', name, content: content.toString('base64') }),
    });
    assert.equal(res.status, 201, await res.text());
    return name;
  }

  before(async () => {
    pki = new Pki();
    gpg = new Gpg();
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    gina = await addUser(server, 'gina');
  });
  after(async () => {
    await server?.stop();
    pki?.close();
    gpg?.close();
  });

  it('cosign legacy: P-256, Ed25519 and RSA keys verify, and a second signature appended to the .sig tag verifies with the first', async () => {
    await project('cos');
    const keys = { p256: cosignKey('p256'), ed25519: cosignKey('ed25519'), rsa: cosignKey('rsa') };
    for (const [kind, key] of Object.entries(keys)) assert.equal((await trust('cos', `cosign-${kind}`, key.publicPem)).kind, 'key');

    for (const [kind, key] of Object.entries(keys)) {
      const image = await push('cos/app', kind);
      const r = await signCosign(server.url, alice, 'cos/app', image.digest, key);
      assert.equal(r.tag, cosignSigTag(image.digest));
      const v = await verdict('cos/app', kind, gina);
      assert.equal(v.signed, true, `${kind}: ${JSON.stringify(v.problems)}`);
      assert.deepEqual(v.signers, [`cosign-${kind}`]);
      assert.deepEqual(v.signatures.map((s: { format: string; ok: boolean; source: { kind: string; ref: string } }) => [s.format, s.ok, s.source.kind, s.source.ref]), [['cosign', true, 'cosign-tag', r.manifestDigest]]);
      assert.equal(v.signatures[0].claims.dockerReference, `${server.host}/cos/app`);
    }

    // A second (and third) signature, as a second cosign sign adds it: the same tag, one more layer.
    const image = await push('cos/app', 'twice');
    const first = await signCosign(server.url, alice, 'cos/app', image.digest, keys.p256);
    const second = await signCosign(server.url, alice, 'cos/app', image.digest, keys.ed25519);
    assert.equal(second.signatures, 2);
    assert.notEqual(second.manifestDigest, first.manifestDigest);
    const sigManifest = await getManifest(server, alice, 'cos/app', cosignSigTag(image.digest));
    const body = (await sigManifest.json()) as { layers: { mediaType: string; annotations: Record<string, string> }[]; config: { mediaType: string } };
    assert.equal(body.config.mediaType, 'application/vnd.oci.image.config.v1+json');
    assert.deepEqual(body.layers.map((l) => l.mediaType), ['application/vnd.dev.cosign.simplesigning.v1+json', 'application/vnd.dev.cosign.simplesigning.v1+json']);
    assert.deepEqual(body.layers.map((l) => l.annotations['dev.cosignproject.cosign/signature']), [first.signature, second.signature]);
    let v = await verdict('cos/app', 'twice');
    assert.equal(v.signed, true);
    assert.deepEqual([...v.signers].sort(), ['cosign-ed25519', 'cosign-p256']);
    assert.equal(v.signatures.length, 2);
    assert.ok(v.signatures.every((s: { ok: boolean; source: { ref: string } }) => s.ok && s.source.ref === second.manifestDigest), 'both from the .sig manifest as it is now');
    // The same signature again is not stored twice (cosign dedupes); a third key adds a third.
    assert.equal((await signCosign(server.url, alice, 'cos/app', image.digest, keys.p256, { payload: first.payload, signature: first.signature })).signatures, 2);
    assert.equal((await signCosign(server.url, alice, 'cos/app', image.digest, keys.rsa)).signatures, 3);
    v = await verdict('cos/app', 'twice');
    assert.deepEqual([...v.signers].sort(), ['cosign-ed25519', 'cosign-p256', 'cosign-rsa']);
    // An untrusted signature next to them is listed with its problem, and does not spoil the others.
    await signCosign(server.url, alice, 'cos/app', image.digest, cosignKey('p256'));
    v = await verdict('cos/app', 'twice');
    assert.equal(v.signed, true);
    assert.equal(v.signatures.length, 4);
    assert.deepEqual(v.signatures.map((s: { ok: boolean }) => s.ok), [true, true, true, false]);
    assert.equal(v.signatures[3].problem.code, 'wrong-key');
  });

  it('Sigstore bundles as OCI referrers, signed with a trusted key: verified; another key, another digest and a changed payload are not', async () => {
    await project('bundle');
    const key = keyPair('p256');
    await trust('bundle', 'release', key.publicPem);
    const good = await push('bundle/app', 'good');
    const other = await push('bundle/app', 'other');
    const ref = await pushBundle('bundle/app', good, dsseBundle({ payload: cosignStatement(good.digest), key }));
    const listed = await fetch(`${server.url}/v2/bundle/app/referrers/${good.digest}?artifactType=${encodeURIComponent(SIGSTORE_BUNDLE)}`, { headers: { authorization: basic(gina) } });
    assert.deepEqual(((await listed.json()) as { manifests: { digest: string; artifactType: string }[] }).manifests.map((m) => [m.digest, m.artifactType]), [[ref, SIGSTORE_BUNDLE]]);
    let v = await verdict('bundle/app', 'good', gina);
    assert.equal(v.signed, true, JSON.stringify(v.problems));
    assert.deepEqual(v.signers, ['release']);
    assert.deepEqual(v.signatures.map((s: { format: string; source: { kind: string; ref: string } }) => [s.format, s.source.kind, s.source.ref]), [['sigstore-bundle', 'referrer', ref]]);
    assert.equal(v.signatures[0].claims.predicateType, 'https://sigstore.dev/cosign/sign/v1');

    const cases: [string, Buffer, string][] = [
      ['another key', dsseBundle({ payload: cosignStatement(other.digest), key: keyPair('p256') }), 'wrong-key'],
      ['a statement about another image', dsseBundle({ payload: cosignStatement(good.digest), key }), 'digest-mismatch'],
      ['a payload changed after signing', dsseBundle({ payload: cosignStatement(good.digest), key, tamper: () => cosignStatement(other.digest) }), 'wrong-key'],
    ];
    for (const [what, bundle, code] of cases) {
      await pushBundle('bundle/app', other, bundle);
      v = await verdict('bundle/app', 'other');
      assert.equal(v.signed, false, what);
      assert.equal(v.signatures.at(-1) && v.signatures.length > 0, true);
      const codes = v.signatures.map((s: { problem: { code: string } }) => s.problem.code);
      assert.ok(codes.includes(code), `${what}: ${code} among ${codes}`);
    }
    assert.equal(v.signatures.length, 3, 'each referrer is one signature');
    assert.match(v.problems.join('\n'), /sigstore-bundle signature: .*is for another image/);
  });

  it('keyless Sigstore bundles: the certificate identity and issuer are checked against the imported trusted root', async () => {
    await project('keyless');
    const t0 = new Date(Date.now() - 3 * DAY);
    const root = pki.root('/O=Berth tests/CN=sigstore root', new Date(Date.now() - 365 * DAY), new Date(Date.now() + 365 * DAY));
    const fulcio = pki.issue({ subject: '/O=Berth tests/CN=sigstore-intermediate', key: keyPair('p384'), issuer: root, notBefore: new Date(Date.now() - 300 * DAY), notAfter: new Date(Date.now() + 300 * DAY), extensions: CA_EXTENSIONS });
    const log: Tlog = fixtureTlog();
    const trustedRoot = JSON.parse(trustedRootJson({ ca: [fulcio, root], tlog: log }));
    const signer = await trust('keyless', 'ci', { issuer: ISSUER, subject: WORKFLOW, trustedRoot });
    assert.equal(signer.kind, 'keyless');
    assert.match(signer.fingerprint, new RegExp(`^${ISSUER.replace(/[./]/g, '\\$&')} `));
    const keylessBundle = (digest: string, o: { san?: string; issuer?: string; loggedAfterMinutes?: number } = {}) => {
      const key: KeyPair = keyPair('p256');
      const certificate = fulcioLeaf(pki, { ca: fulcio, san: o.san ?? `URI:${WORKFLOW}`, issuer: o.issuer ?? ISSUER, notBefore: t0, key });
      return dsseBundle({ payload: cosignStatement(digest), key, certificate, tlog: { log, integratedTime: new Date(t0.getTime() + (o.loggedAfterMinutes ?? 1) * 60_000) } });
    };

    const cases: [string, { san?: string; issuer?: string; loggedAfterMinutes?: number } | undefined, string, RegExp][] = [
      ['the trusted identity', undefined, 'ok', /./],
      ['another identity', { san: 'URI:https://github.com/mallory/app/.github/workflows/release.yml@refs/heads/main' }, 'identity-mismatch', /its identity is "https:\/\/github\.com\/mallory\//],
      ['another issuer', { issuer: 'https://accounts.google.com' }, 'identity-mismatch', /its OIDC issuer is "https:\/\/accounts\.google\.com"/],
      ['a certificate expired when it was logged', { loggedAfterMinutes: 15 }, 'expired-certificate', /not valid when the signature was made/],
    ];
    for (const [what, o, code, message] of cases) {
      const image = await push('keyless/app');
      await pushBundle('keyless/app', image, keylessBundle(image.digest, o));
      const v = await verdict('keyless/app', image.digest);
      assert.equal(v.signatures.length, 1, what);
      if (code === 'ok') {
        assert.equal(v.signed, true, `${what}: ${JSON.stringify(v.problems)}`);
        assert.deepEqual(v.signers, ['ci']);
        assert.equal(v.signatures[0].claims.subject, WORKFLOW);
        assert.equal(v.signatures[0].claims.issuer, ISSUER);
      } else {
        assert.equal(v.signed, false, what);
        assert.equal(v.signatures[0].problem.code, code, `${what}: ${v.signatures[0].problem.message}`);
        assert.match(v.signatures[0].problem.message, message, what);
      }
    }
    // A trusted root that is not one is refused when the identity is added.
    const bad = await call(server, 'POST', '/projects/keyless/trust-keys', { as: alice, body: { name: 'bad', key: JSON.stringify({ issuer: ISSUER, subject: WORKFLOW, trustedRoot: { mediaType: 'text/plain' } }) } });
    expectStatus(bad, 400, 'INVALID_REQUEST');
    assert.match(bad.body.errors[0].message, /not a Sigstore trusted root/);
  });

  it('Notation JWS referrers verify against the project\'s x509 trust store, and enforce lets them through', async () => {
    await project('nv');
    const root = pki.root('/C=US/O=Acme/CN=acme root', new Date(Date.now() - 365 * DAY), new Date(Date.now() + 365 * DAY));
    const leaf = pki.issue({ subject: '/C=US/O=Acme/CN=acme release', key: keyPair('p256'), issuer: root, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() + 30 * DAY), extensions: LEAF });
    const otherRoot = pki.root('/CN=other root', new Date(Date.now() - 10 * DAY), new Date(Date.now() + 10 * DAY));
    const otherLeaf = pki.issue({ subject: '/CN=other signer', key: keyPair('p256'), issuer: otherRoot, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + DAY), extensions: LEAF });
    assert.equal((await trust('nv', 'acme', root.pem)).kind, 'x509');

    const signed = await push('nv/app', 'signed');
    const ref = await pushReferrer('nv/app', signed, NOTATION, 'application/jose+json', notationEnvelope([leaf, root], signed.digest, signed.manifest.length));
    let v = await verdict('nv/app', 'signed', gina);
    assert.equal(v.signed, true, JSON.stringify(v.problems));
    assert.deepEqual(v.signers, ['acme']);
    assert.deepEqual(v.signatures.map((s: { format: string; source: { kind: string; ref: string } }) => [s.format, s.source.kind, s.source.ref]), [['notation', 'referrer', ref]]);
    assert.match(v.signatures[0].claims.subject, /CN=acme release/);

    // As notation pushes to registries without artifactType (OCI 1.0 style): the config's media
    // type says what it is, and the referrers API reports it as the artifactType.
    const legacy = await push('nv/app', 'legacy');
    const envelope = notationEnvelope([leaf, root], legacy.digest, legacy.manifest.length);
    await uploadBlob(server, alice, 'nv/app', envelope);
    const legacyManifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: NOTATION, digest: await uploadBlob(server, alice, 'nv/app', EMPTY), size: EMPTY.length },
      layers: [{ mediaType: 'application/jose+json', digest: sha256(envelope), size: envelope.length }],
      subject: { mediaType: OCI_MANIFEST, digest: legacy.digest, size: legacy.manifest.length },
    }));
    const put = await fetch(`${server.url}/v2/nv/app/manifests/${sha256(legacyManifest)}`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': OCI_MANIFEST }, body: legacyManifest });
    assert.equal(put.status, 201, await put.text());
    v = await verdict('nv/app', 'legacy');
    assert.equal(v.signed, true, JSON.stringify(v.signatures));
    assert.equal(v.signatures[0].source.ref, sha256(legacyManifest));

    const untrusted = await push('nv/app', 'untrusted');
    await pushReferrer('nv/app', untrusted, NOTATION, 'application/jose+json', notationEnvelope([otherLeaf, otherRoot], untrusted.digest, untrusted.manifest.length));
    v = await verdict('nv/app', 'untrusted');
    assert.equal(v.signed, false);
    assert.equal(v.signatures[0].problem.code, 'untrusted-chain');
    assert.match(v.signatures[0].problem.message, /does not lead to a trusted certificate of "acme"/);

    const elsewhere = await push('nv/app', 'elsewhere');
    await pushReferrer('nv/app', elsewhere, NOTATION, 'application/jose+json', notationEnvelope([leaf, root], signed.digest, signed.manifest.length));
    v = await verdict('nv/app', 'elsewhere');
    assert.equal(v.signed, false);
    assert.equal(v.signatures[0].problem.code, 'digest-mismatch');

    expectStatus(await call(server, 'PATCH', '/projects/nv/trust-policy', { as: alice, body: { mode: 'enforce' } }), 200);
    assert.equal((await getManifest(server, gina, 'nv/app', 'signed')).status, 200, 'signed through a referrer');
    assert.equal((await getManifest(server, gina, 'nv/app', ref)).status, 200, 'the signature itself');
    const refused = await getManifest(server, gina, 'nv/app', 'untrusted');
    assert.equal(refused.status, 403);
    assert.match(((await refused.json()) as { errors: { message: string }[] }).errors[0]!.message, /notation signature: .*does not lead to a trusted certificate/);
  });

  it('GPG atomic signatures (the real gpg) through the signature extension: verified, a second one by another key too, and enforce obeys them', async () => {
    await project('gpg');
    const ci = gpg.generate('CI <ci@example.com>');
    const release = gpg.generate('Release <release@example.com>');
    const stranger = gpg.generate('Stranger <stranger@example.com>');
    const signer = await trust('gpg', 'ci', gpg.armored(ci));
    assert.equal(signer.kind, 'pgp');
    assert.equal(signer.fingerprint, ci);
    await trust('gpg', 'release', gpg.armored(release));

    const image = await push('gpg/app', '1');
    const ref = `${server.host}/gpg/app:1`;
    const name = await putGpgSignature('gpg/app', image.digest, gpg.sign(ci, atomicPayload(image.digest, ref)));
    let v = await verdict('gpg/app', '1', gina);
    assert.equal(v.signed, true, JSON.stringify(v.problems));
    assert.deepEqual(v.signers, ['ci']);
    assert.equal(v.signatures[0].format, 'gpg');
    assert.deepEqual(v.signatures[0].source, { kind: 'extension', ref: name });
    assert.equal(v.signatures[0].claims.dockerReference, ref);
    assert.equal(v.signatures[0].claims.subject, 'CI <ci@example.com>');

    await putGpgSignature('gpg/app', image.digest, gpg.sign(release, atomicPayload(image.digest, ref)));
    v = await verdict('gpg/app', '1');
    assert.deepEqual([...v.signers].sort(), ['ci', 'release'], 'a second signature, by another key');
    assert.equal(v.signatures.length, 2);

    const other = await push('gpg/app', '2');
    await putGpgSignature('gpg/app', other.digest, gpg.sign(stranger, atomicPayload(other.digest, `${server.host}/gpg/app:2`)));
    v = await verdict('gpg/app', '2');
    assert.equal(v.signed, false);
    assert.equal(v.signatures[0].problem.code, 'wrong-key');
    assert.match(v.signatures[0].problem.message, new RegExp(`signed by OpenPGP key [0-9A-F]*${stranger.slice(-16)}, which is none of the trusted keys`));
    // A signature by a trusted key, of another image's digest, stored under this one.
    await putGpgSignature('gpg/app', other.digest, gpg.sign(ci, atomicPayload(image.digest, ref)));
    v = await verdict('gpg/app', '2');
    assert.equal(v.signed, false);
    assert.deepEqual(v.signatures.map((s: { problem: { code: string } }) => s.problem.code).sort(), ['digest-mismatch', 'wrong-key']);
    // A cosign-type payload signed with GPG is not an atomic signature.
    const cosignTyped = Buffer.from(atomicPayload(other.digest, ref).toString().replace('atomic container signature', 'cosign container image signature'));
    await putGpgSignature('gpg/app', other.digest, gpg.sign(ci, cosignTyped));
    v = await verdict('gpg/app', '2');
    assert.equal(v.signed, false);
    assert.ok(v.signatures.some((s: { problem: { code: string; message: string } }) => s.problem.code === 'malformed' && /atomic container signature/.test(s.problem.message)), JSON.stringify(v.signatures));

    expectStatus(await call(server, 'PATCH', '/projects/gpg/trust-policy', { as: alice, body: { mode: 'enforce' } }), 200);
    assert.equal((await getManifest(server, gina, 'gpg/app', '1')).status, 200);
    assert.equal((await getManifest(server, gina, 'gpg/app', '2')).status, 403);
    // And a trusted signature arriving through the extension is seen at once.
    await putGpgSignature('gpg/app', other.digest, gpg.sign(release, atomicPayload(other.digest, `${server.host}/gpg/app:2`)));
    assert.equal((await getManifest(server, gina, 'gpg/app', '2')).status, 200);
  });
});
