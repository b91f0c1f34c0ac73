// cosign-format signatures against Berth (issue 12, "Real clients"). Debian's skopeo and podman are
// built with sigstore disabled, so the signatures are made by test/helpers/cosign-signer.ts in
// cosign's exact legacy layout (a sha256-<hex>.sig tag whose layers are simple-signing payloads,
// the signature in an annotation), pushed over /v2 as cosign pushes them; the images themselves
// are pushed and pulled with skopeo and podman. `berth trust key add` trusts the cosign.pub PEMs;
// `berth trust verify` says which verify: one signature, then a second one appended to the .sig
// tag (both verify, both signers named), and the ones that must not (an untrusted key, a payload
// for another image). One image carries both kinds, GPG (skopeo --sign-by) and cosign. In enforce
// mode podman and skopeo pull the cosign-signed image and are refused the others with Berth's
// message, while alice can still sign: cosign's reads (a HEAD, a GET by digest with a pull-only
// token, the .sig tag) are let through, and the image pulls once signed.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ok } from '../helpers/berth-cli.ts';
import { cosignKey, cosignSigTag, COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIMPLESIGNING_MEDIA_TYPE, signCosign, type CosignKey, type RegistryCreds } from '../helpers/cosign-signer.ts';
import { createKeyring, type Keyring } from './helpers/gpg.ts';
import { requireTools } from './helpers/tools.ts';
import { ALICE, BOB, PULL_CLIENTS, refusalLine, startTrustWorld, type TrustWorld } from './helpers/trust-world.ts';

const T = { timeout: 120_000 };
const AS_ALICE: RegistryCreds = [ALICE.user, ALICE.password];
const log = (line: string) => process.stderr.write(`[trust e2e] ${line}\n`);

describe('cosign signatures (made by the test helper) verified by Berth, and enforced on the pulls of podman and skopeo', { timeout: 10 * 60_000 }, () => {
  let w: TrustWorld;
  let keyring: Keyring;
  /** Trusted first (P-256, what cosign generate-key-pair makes). */
  let aliceKey: CosignKey;
  /** Signs second (Ed25519); trusted later. */
  let ciKey: CosignKey;
  /** Never trusted. */
  let malloryKey: CosignKey;
  const digest: Record<'signed' | 'untrusted' | 'mismatch' | 'both' | 'later', string> = { signed: '', untrusted: '', mismatch: '', both: '', later: '' };
  const pemFile = async (name: string, key: CosignKey) => {
    const file = join(w.client.dir, `${name}.pub`);
    await writeFile(file, key.publicPem);
    return file;
  };
  const sigManifest = async (name: string) => JSON.parse(ok(await w.client.run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `${BOB.user}:${BOB.password}`, `docker://${w.server.host}/${name}`])).stdout) as { layers: { mediaType: string; digest: string; annotations?: Record<string, string> }[] };

  before(async () => {
    requireTools('skopeo', 'podman', 'gpg', 'gpgconf', 'tar', 'busybox');
    w = await startTrustWorld();
    keyring = await createKeyring(w.client.dir);
    aliceKey = cosignKey('p256');
    ciKey = cosignKey('ed25519');
    malloryKey = cosignKey('rsa');
    for (const name of Object.keys(digest) as (keyof typeof digest)[]) {
      digest[name] = await w.skopeoPush((await w.image(`cosign ${name}`)).source, `alice/cosign:${name}`);
    }
    assert.equal(new Set(Object.values(digest)).size, 5, 'five distinct images');
  });

  after(async () => {
    await keyring?.close();
    await w?.cleanup();
  });

  it('a cosign signature in the legacy layout (sha256-<hex>.sig) verifies against the trusted cosign.pub: "signed by alice-cosign"', T, async () => {
    const added = ok(await w.cli(['trust', 'key', 'add', 'alice', 'alice-cosign', '--key', await pemFile('alice-cosign', aliceKey)]));
    assert.match(added.stdout, /^project alice trusts alice-cosign \(key, \S+\)$/m);
    assert.match(ok(await w.cli(['trust', 'key', 'list', 'alice'])).stdout, /^alice-cosign\s+key\s/m);

    const sig = await signCosign(w.server.url, AS_ALICE, 'alice/cosign', digest.signed, aliceKey);
    assert.equal(sig.tag, cosignSigTag(digest.signed));
    assert.equal(sig.signatures, 1);
    // What a registry client sees: the .sig tag, and a manifest of one simple-signing layer with the signature annotation.
    const tags = JSON.parse(ok(await w.client.run('skopeo', ['list-tags', '--tls-verify=false', '--creds', `${BOB.user}:${BOB.password}`, `docker://${w.server.host}/alice/cosign`])).stdout) as { Tags: string[] };
    assert.ok(tags.Tags.includes(sig.tag), `skopeo list-tags shows ${sig.tag}: ${tags.Tags.join(' ')}`);
    const m = await sigManifest(`alice/cosign:${sig.tag}`);
    assert.deepEqual(m.layers.map((l) => l.mediaType), [COSIGN_SIMPLESIGNING_MEDIA_TYPE]);
    assert.equal(m.layers[0]!.annotations?.[COSIGN_SIGNATURE_ANNOTATION], sig.signature);

    const v = await w.verify('alice/cosign:signed');
    assert.equal(v.digest, digest.signed);
    assert.equal(v.signed, true, JSON.stringify(v));
    assert.deepEqual(v.signers, ['alice-cosign']);
    assert.deepEqual(v.problems, []);
    assert.deepEqual(v.signatures.map((s) => [s.format, s.source.kind, s.source.ref, s.ok]), [['cosign', 'cosign-tag', sig.manifestDigest, true]]);
    assert.match(ok(await w.cli(['trust', 'verify', `${w.server.host}/alice/cosign:signed`])).stdout, new RegExp(`^alice/cosign@${digest.signed} \\(signed\\): signed by alice-cosign; trust mode off$`, 'm'));
  });

  it('a second cosign signature appended to the .sig tag: both are stored, and with its key trusted both verify', T, async () => {
    const second = await signCosign(w.server.url, AS_ALICE, 'alice/cosign', digest.signed, ciKey);
    assert.equal(second.signatures, 2, 'a layer was added to the .sig manifest');
    const m = await sigManifest(`alice/cosign:${second.tag}`);
    assert.equal(m.layers.length, 2, 'the tag now names a manifest with both signatures');

    const half = await w.verdict('alice/cosign:signed');
    assert.equal(half.signed, true);
    assert.deepEqual(half.signers, ['alice-cosign'], 'the Ed25519 key is not trusted yet');
    assert.deepEqual(half.signatures.map((s) => s.ok), [true, false]);
    assert.equal(half.signatures[1]!.problem?.code, 'wrong-key');

    ok(await w.cli(['trust', 'key', 'add', 'alice', 'ci-cosign', '--key', await pemFile('ci-cosign', ciKey)]));
    const both = await w.verify('alice/cosign:signed');
    assert.equal(both.signed, true);
    assert.deepEqual(both.signers, ['alice-cosign', 'ci-cosign']);
    assert.deepEqual(both.signatures.map((s) => [s.format, s.source.ref, s.ok]), [['cosign', second.manifestDigest, true], ['cosign', second.manifestDigest, true]]);
    assert.deepEqual(both.problems, []);
  });

  it('cosign signatures that must not verify: an untrusted key, and a trusted key\'s signature of another image', T, async () => {
    await signCosign(w.server.url, AS_ALICE, 'alice/cosign', digest.untrusted, malloryKey);
    const untrusted = await w.verdict('alice/cosign:untrusted');
    assert.equal(untrusted.signed, false);
    assert.equal(untrusted.signatures[0]?.problem?.code, 'wrong-key');
    assert.match(untrusted.problems.join('\n'), /the cosign signature does not verify with any trusted key \("alice-cosign", "ci-cosign"\)/);

    // A valid signature by alice's key whose payload names the signed image, stored under the mismatch image's .sig tag.
    await signCosign(w.server.url, AS_ALICE, 'alice/cosign', digest.mismatch, aliceKey, { signedDigest: digest.signed });
    const mismatch = await w.verify('alice/cosign:mismatch');
    assert.equal(mismatch.signed, false);
    assert.equal(mismatch.signatures[0]?.problem?.code, 'digest-mismatch');
    assert.match(mismatch.problems.join('\n'), new RegExp(`is for another image: it signs ${digest.signed}, but this image is ${digest.mismatch}`));
  });

  it('both kinds on one image, a GPG signature from skopeo copy --sign-by and a cosign one: both verify, both signers named', T, async () => {
    const gpgKey = await keyring.generate('Alice GPG <alice-gpg@example.org>', join(w.client.dir, 'alice-gpg.asc'));
    ok(await w.cli(['trust', 'key', 'add', 'alice', 'alice-gpg', '--key', gpgKey.publicFile]));
    const again = await w.skopeoPush(`docker://${w.server.host}/alice/cosign@${digest.both}`, 'alice/cosign:both', ['--sign-by', gpgKey.fingerprint], keyring.env);
    assert.equal(again, digest.both);
    await signCosign(w.server.url, AS_ALICE, 'alice/cosign', digest.both, ciKey);
    const v = await w.verify('alice/cosign:both');
    assert.equal(v.signed, true, JSON.stringify(v));
    assert.deepEqual([...v.signers].sort(), ['alice-gpg', 'ci-cosign']);
    assert.deepEqual(v.signatures.map((s) => `${s.format} ${s.ok}`).sort(), ['cosign true', 'gpg true']);
  });

  it('berth trust policy --mode enforce: podman and skopeo pull the cosign-signed image, and are refused the others with Berth\'s message', T, async () => {
    const set = ok(await w.cli(['trust', 'policy', 'alice', '--mode', 'enforce']));
    assert.match(set.stdout, /^project alice: trust mode enforce; 3 trusted signers: /m);
    for (const client of PULL_CLIENTS) {
      for (const who of [BOB, w.robot]) {
        // Debian's clients cannot check cosign signatures themselves: the client policy accepts anything, and Berth decides.
        for (const name of ['alice/cosign:signed', 'alice/cosign:both']) {
          const r = await w.pull(client, who, name, w.acceptAnything);
          assert.equal(r.code, 0, `${client} as ${who.user} of the signed ${name}:\n${r.stderr}`);
        }
        const line = refusalLine(await w.pull(client, who, 'alice/cosign:untrusted', w.acceptAnything), `${client} as ${who.user} of alice/cosign:untrusted`);
        assert.match(line, new RegExp(`alice/cosign@${digest.untrusted} is not signed by a trusted signer \\(alice-cosign, alice-gpg, ci-cosign\\): cosign signature: the cosign signature does not verify with any trusted key`));
        log(`enforce, ${client} as ${who.user}, cosign signature by an untrusted key: ${line}`);
      }
      const line = refusalLine(await w.pull(client, BOB, 'alice/cosign:mismatch', w.acceptAnything), `${client} of alice/cosign:mismatch`);
      assert.match(line, /is for another image/);
      log(`enforce, ${client} as bob, cosign signature of another image: ${line}`);
    }
  });

  it('in enforce mode alice can still sign with cosign\'s reads (HEAD, GET by digest with a pull-only token, the .sig tag); the image then pulls', T, async () => {
    refusalLine(await w.pull('skopeo copy', BOB, 'alice/cosign:later', w.acceptAnything), 'skopeo copy of alice/cosign:later before it is signed');
    const url = `${w.server.url}/v2/alice/cosign/manifests`;
    const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
    // cosign resolves the tag with a HEAD, then reads the image by digest with a token scoped to pull.
    const head = await fetch(`${url}/later`, { method: 'HEAD', headers: { ...accept, authorization: `Basic ${Buffer.from(`${ALICE.user}:${ALICE.password}`).toString('base64')}` } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), digest.later);
    const challenge = (await fetch(`${w.server.url}/v2/`)).headers.get('www-authenticate') ?? '';
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
    const service = /service="([^"]+)"/.exec(challenge)?.[1];
    assert.ok(realm && service, `a token challenge: ${challenge}`);
    const tokenUrl = `${realm}?service=${encodeURIComponent(service)}&scope=${encodeURIComponent('repository:alice/cosign:pull')}`;
    const issued = await fetch(tokenUrl, { headers: { authorization: `Basic ${Buffer.from(`${ALICE.user}:${ALICE.password}`).toString('base64')}` } });
    assert.equal(issued.status, 200);
    const { token } = await issued.json() as { token: string };
    const byDigest = await fetch(`${url}/${digest.later}`, { headers: { ...accept, authorization: `Bearer ${token}` } });
    assert.equal(byDigest.status, 200, `alice's read by digest before signing, with a pull-only token: ${await byDigest.clone().text()}`);
    const byTag = await fetch(`${url}/later`, { headers: { ...accept, authorization: `Bearer ${token}` } });
    assert.equal(byTag.status, 403, 'a read by tag is a pull, refused even to alice');

    const first = await signCosign(w.server.url, AS_ALICE, 'alice/cosign', digest.later, aliceKey);
    const second = await signCosign(w.server.url, AS_ALICE, 'alice/cosign', digest.later, ciKey);
    assert.equal(first.signatures, 1);
    assert.equal(second.signatures, 2, 'the .sig tag gained a second signature in enforce mode');
    const v = await w.verdict('alice/cosign:later');
    assert.equal(v.signed, true);
    assert.equal(v.mode, 'enforce');
    assert.deepEqual(v.signers, ['alice-cosign', 'ci-cosign']);
    for (const client of PULL_CLIENTS) {
      const r = await w.pull(client, BOB, 'alice/cosign:later', w.acceptAnything);
      assert.equal(r.code, 0, `${client} of alice/cosign:later once signed:\n${r.stderr}`);
    }
  });
});
