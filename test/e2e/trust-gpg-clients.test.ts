// GPG simple signing with Debian's real clients against Berth (issue 12, "Real clients"): keys
// made by gpg in a throwaway GNUPGHOME; `skopeo copy --sign-by` and `podman push --sign-by` store
// their signatures in Berth through the X-Registry-Supports-Signatures extension (not in the
// lookaside directory registries.d names); `berth trust key add` trusts the armored public key,
// and `berth trust verify` says "signed by <name>"; podman pull and skopeo copy under a policy.json
// signedBy (GPGKeys) requirement pass the signed images and fail the unsigned one and the one
// signed with another key; a second `skopeo copy --sign-by` of a signed image adds a second
// signature and both verify; in enforce mode Berth itself refuses the unsigned image (its message
// printed by podman and skopeo) to a guest and to a pull-only robot, pulls the signed ones, and
// still lets alice sign an image by digest with `skopeo copy --sign-by`.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ok } from '../helpers/berth-cli.ts';
import { createKeyring, type GpgKey, type Keyring } from './helpers/gpg.ts';
import type { LayoutImage } from './helpers/scan-images.ts';
import { requireTools } from './helpers/tools.ts';
import { ALICE, BOB, PULL_CLIENTS, refusalLine, startTrustWorld, type TrustWorld } from './helpers/trust-world.ts';

const T = { timeout: 120_000 };
const log = (line: string) => process.stderr.write(`[trust e2e] ${line}\n`);

describe('GPG signatures with skopeo and podman, verified by Berth and by the clients', { timeout: 10 * 60_000 }, () => {
  let w: TrustWorld;
  let keyring: Keyring;
  /** Trusted by alice's project from the first test on. */
  let release: GpgKey;
  /** Signs a second time; trusted later. */
  let second: GpgKey;
  /** Never trusted. */
  let mallory: GpgKey;
  let signedImage: LayoutImage;
  /** Digests as pushed. */
  const digest: Record<'signed' | 'podman' | 'unsigned' | 'mallory' | 'later', string> = { signed: '', podman: '', unsigned: '', mallory: '', later: '' };
  let requireRelease: string;
  let requireSecond: string;

  before(async () => {
    requireTools('skopeo', 'podman', 'gpg', 'gpgconf', 'tar', 'busybox');
    w = await startTrustWorld();
    keyring = await createKeyring(w.client.dir);
    release = await keyring.generate('Alice Release <release@example.org>', join(w.client.dir, 'release.asc'));
    second = await keyring.generate('Second Signer <second@example.org>', join(w.client.dir, 'second.asc'));
    mallory = await keyring.generate('Mallory <mallory@example.org>', join(w.client.dir, 'mallory.asc'));
    requireRelease = await w.signedByPolicy('release', [release.publicFile]);
    requireSecond = await w.signedByPolicy('second', [second.publicFile]);
    signedImage = await w.image('signed');
    const sign = (key: GpgKey) => ['--sign-by', key.fingerprint];
    digest.unsigned = await w.skopeoPush((await w.image('unsigned')).source, 'alice/app:unsigned');
    digest.mallory = await w.skopeoPush((await w.image('mallory')).source, 'alice/app:mallory', sign(mallory), keyring.env);
    digest.later = await w.skopeoPush((await w.image('later')).source, 'alice/app:later');
  });

  after(async () => {
    await keyring?.close();
    await w?.cleanup();
  });

  it('skopeo copy --sign-by stores the signature in Berth; with the public key trusted, berth trust verify says "signed by alice-release"', T, async () => {
    const added = ok(await w.cli(['trust', 'key', 'add', 'alice', 'alice-release', '--key', release.publicFile]));
    assert.match(added.stdout, new RegExp(`project alice trusts alice-release \\(pgp, ${release.fingerprint}\\)`));
    assert.match(ok(await w.cli(['trust', 'key', 'list', 'alice'])).stdout, new RegExp(`^alice-release\\s+pgp\\s+${release.fingerprint}\\s`, 'm'));

    digest.signed = await w.skopeoPush(signedImage.source, 'alice/app:signed', ['--sign-by', release.fingerprint], keyring.env);
    assert.equal(digest.signed, signedImage.manifestDigest);
    const stored = await w.extensionSignatures('alice/app', digest.signed);
    assert.equal(stored.length, 1, 'skopeo stored one signature through the extension');
    assert.match(stored[0]!.name, new RegExp(`^${digest.signed}@[0-9a-f]{32}$`));
    assert.deepEqual(await w.lookasideFiles(), [], 'nothing went to the lookaside directory registries.d names');

    const v = await w.verify('alice/app:signed');
    assert.equal(v.digest, digest.signed);
    assert.equal(v.signed, true, JSON.stringify(v));
    assert.deepEqual(v.signers, ['alice-release']);
    assert.deepEqual(v.problems, []);
    assert.equal(v.signatures.length, 1);
    assert.equal(v.signatures[0]!.format, 'gpg');
    assert.equal(v.signatures[0]!.source.kind, 'extension');
    assert.equal(v.signatures[0]!.claims?.dockerReference, `${w.server.host}/alice/app:signed`);
    const plain = ok(await w.cli(['trust', 'verify', `${w.server.host}/alice/app:signed`]));
    assert.match(plain.stdout, new RegExp(`^alice/app@${digest.signed} \\(signed\\): signed by alice-release; trust mode off$`, 'm'));

    // The API the CLI calls gives the same verdict.
    const res = await fetch(`${w.server.url}/api/v1/repositories/alice/app/trust/signed`, { headers: { authorization: `Basic ${Buffer.from(`${BOB.user}:${BOB.password}`).toString('base64')}` } });
    assert.equal(res.status, 200);
    const api = await res.json() as { signed: boolean; signers: string[] };
    assert.equal(api.signed, true);
    assert.deepEqual(api.signers, ['alice-release']);
  });

  it('podman push --sign-by (GNUPGHOME in its env) stores a signature Berth verifies', T, async () => {
    const img = await w.image('podman');
    const local = 'localhost/berth-e2e/podman-signed:1';
    await w.client.run('skopeo', ['--policy', w.acceptAnything, 'copy', '--retry-times=0', img.source, `containers-storage:${local}`], { env: w.clientEnv() });
    const digestFile = join(w.client.dir, 'podman-digest');
    await w.client.run('podman', [
      'push', '--tls-verify=false', '--creds', `${ALICE.user}:${ALICE.password}`, '--signature-policy', w.acceptAnything,
      '--sign-by', release.fingerprint, '--digestfile', digestFile, local, `${w.server.host}/alice/podman:1`,
    ], { env: w.clientEnv(keyring.env) });
    digest.podman = (await readFile(digestFile, 'utf8')).trim();
    assert.match(digest.podman, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await w.extensionSignatures('alice/podman', digest.podman)).length, 1);
    assert.deepEqual(await w.lookasideFiles(), []);
    const v = await w.verify('alice/podman:1');
    assert.equal(v.digest, digest.podman);
    assert.equal(v.signed, true, JSON.stringify(v));
    assert.deepEqual(v.signers, ['alice-release']);
  });

  it('an unsigned image, and one signed with an untrusted key, are not signed in Berth\'s verdict', T, async () => {
    const unsigned = await w.verify('alice/app:unsigned');
    assert.equal(unsigned.signed, false);
    assert.deepEqual(unsigned.signers, []);
    assert.deepEqual(unsigned.problems, ['the image has no signature']);
    const plain = await w.cli(['trust', 'verify', `${w.server.host}/alice/app:unsigned`]);
    assert.equal(plain.code, 1, 'verify without --json exits 1 for an unsigned image');
    assert.match(plain.stdout, /: NOT signed by a trusted signer; trust mode off$/m);

    const other = await w.verdict('alice/app:mallory');
    assert.equal(other.digest, digest.mallory);
    assert.equal(other.signed, false);
    assert.equal(other.signatures.length, 1);
    assert.equal(other.signatures[0]!.problem?.code, 'wrong-key');
    assert.match(other.problems.join('\n'), new RegExp(`signed by OpenPGP key ${mallory.keyId}, which is none of the trusted keys \\(.*alice-release`));
  });

  for (const client of PULL_CLIENTS) {
    it(`${client} under a policy.json signedBy the release key: the signed images pass, the unsigned one and the one signed by another key fail`, T, async () => {
      for (const name of ['alice/app:signed', 'alice/podman:1']) {
        const r = await w.pull(client, BOB, name, requireRelease);
        assert.equal(r.code, 0, `${client} ${name}:\n${r.command}\n${r.stderr}`);
        if (client === 'skopeo copy') assert.deepEqual(r.signatureFiles, ['signature-1'], 'the signature came from Berth along with the image');
      }
      const unsigned = await w.pull(client, BOB, 'alice/app:unsigned', requireRelease);
      assert.notEqual(unsigned.code, 0, `${client} of the unsigned image must fail:\n${unsigned.stderr}`);
      assert.match(unsigned.stderr, /Source image rejected: A signature was required, but no signature exists/);
      const other = await w.pull(client, BOB, 'alice/app:mallory', requireRelease);
      assert.notEqual(other.code, 0, `${client} of the image signed by another key must fail:\n${other.stderr}`);
      assert.match(other.stderr, /Source image rejected: Invalid GPG signature: /, 'gpgme has no public key for it in the policy\'s keyring');
      log(`${client}, release key required: unsigned -> ${unsigned.stderr.trim().split('\n').at(-1)}`);
      log(`${client}, release key required: signed by another key -> ${other.stderr.trim().split('\n').at(-1)}`);
    });
  }

  it('a second skopeo copy --sign-by of the signed image adds a second signature; with both keys trusted, both verify', T, async () => {
    const before = await w.pull('skopeo copy', BOB, 'alice/app:signed', requireSecond);
    assert.notEqual(before.code, 0, `not yet signed by the second key:\n${before.stderr}`);

    // Copied from Berth to the same repository and tag: the release signature comes along, and the new one is added.
    const again = await w.skopeoPush(`docker://${w.server.host}/alice/app@${digest.signed}`, 'alice/app:signed', ['--sign-by', second.fingerprint], keyring.env);
    assert.equal(again, digest.signed, 'the same image');
    const stored = await w.extensionSignatures('alice/app', digest.signed);
    assert.equal(stored.length, 2, `two signatures: ${JSON.stringify(stored.map((s) => s.name))}`);
    assert.deepEqual(await w.lookasideFiles(), []);

    const half = await w.verdict('alice/app:signed');
    assert.equal(half.signed, true);
    assert.deepEqual(half.signers, ['alice-release'], 'the second key is not trusted yet');
    assert.deepEqual(half.signatures.map((s) => s.ok).sort(), [false, true]);

    ok(await w.cli(['trust', 'key', 'add', 'alice', 'second-signer', '--key', second.publicFile]));
    const both = await w.verify('alice/app:signed');
    assert.equal(both.signed, true);
    assert.deepEqual([...both.signers].sort(), ['alice-release', 'second-signer']);
    assert.deepEqual(both.signatures.map((s) => s.ok), [true, true]);
    assert.deepEqual(both.problems, []);

    for (const policy of [requireRelease, requireSecond]) {
      const r = await w.pull('skopeo copy', BOB, 'alice/app:signed', policy);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.signatureFiles, ['signature-1', 'signature-2']);
    }
    const r = await w.pull('podman pull', BOB, 'alice/app:signed', requireSecond);
    assert.equal(r.code, 0, r.stderr);
  });

  it('berth trust policy --mode enforce: Berth refuses the unsigned image to a guest and to a pull-only robot (podman and skopeo print why); the signed ones pull', T, async () => {
    const set = ok(await w.cli(['trust', 'policy', 'alice', '--mode', 'enforce']));
    assert.match(set.stdout, /^project alice: trust mode enforce; 2 trusted signers: alice-release, second-signer$/m);
    const accept = w.acceptAnything;
    for (const client of PULL_CLIENTS) {
      for (const who of [BOB, w.robot]) {
        const line = refusalLine(await w.pull(client, who, 'alice/app:unsigned', accept), `${client} as ${who.user} of alice/app:unsigned`);
        assert.match(line, new RegExp(`alice/app@${digest.unsigned} is not signed by a trusted signer \\(alice-release, second-signer\\): the image has no signature`));
        log(`enforce, ${client} as ${who.user}, unsigned: ${line}`);
      }
      const line = refusalLine(await w.pull(client, BOB, 'alice/app:mallory', accept), `${client} of alice/app:mallory`);
      assert.match(line, new RegExp(`signed by OpenPGP key ${mallory.keyId}, which is none of the trusted keys`));
      log(`enforce, ${client} as bob, signed by an untrusted key: ${line}`);
      for (const name of ['alice/app:signed', 'alice/podman:1']) {
        // Under the client's own signedBy policy too: Berth lets it through and podman/skopeo verify it.
        const r = await w.pull(client, w.robot, name, requireRelease);
        assert.equal(r.code, 0, `${client} of the signed ${name} in enforce mode:\n${r.stderr}`);
      }
    }
  });

  it('in enforce mode alice can still sign an unsigned image: skopeo copy --sign-by of it by digest succeeds, and it then pulls', T, async () => {
    refusalLine(await w.pull('podman pull', BOB, 'alice/app:later', w.acceptAnything), 'podman pull of alice/app:later before it is signed');
    const signedNow = await w.skopeoPush(`docker://${w.server.host}/alice/app@${digest.later}`, 'alice/app:later', ['--sign-by', release.fingerprint], keyring.env);
    assert.equal(signedNow, digest.later);
    const v = await w.verdict('alice/app:later');
    assert.equal(v.signed, true, JSON.stringify(v));
    assert.deepEqual(v.signers, ['alice-release']);
    assert.equal(v.mode, 'enforce');
    for (const client of PULL_CLIENTS) {
      const r = await w.pull(client, BOB, 'alice/app:later', requireRelease);
      assert.equal(r.code, 0, `${client} of alice/app:later once signed:\n${r.stderr}`);
    }
  });
});
