// Trust policies over real HTTP (issue 12): the policy and trusted keys API (members and guests
// read, owners and administrators change, every change audited; bad keys, duplicates and enforce
// without a signer refused with a message); the pull gate in each mode (what enforce refuses, and
// what it never does: HEAD, signatures and referrers, an index, a pusher's read by digest, exempt
// accounts, a platform covered by its index's signature; audit mode records trust.unsigned-pull);
// verdicts that change at once when a signature arrives or goes, a key is removed or the policy
// changes; and the verdicts of a wrong key, a payload for another digest and a tampered payload.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { cosignKey, cosignSigTag, signCosign, type CosignKey } from '../helpers/cosign-signer.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { getManifest, layerOf, pushIndex, pushLayers, sha256, uploadBlob, type PushedImage } from './scan-helpers.ts';

interface Entry { actor: string; action: string; project: string | null; reference: string | null; detail: string | null; outcome: string }

describe('trust policies: the API, the pull gate and its verdicts', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let alice: Creds; // owner of team
  let dave: Creds; // developer (may push)
  let gina: Creds; // guest (may pull)
  let mallory: Creds; // not a member
  let robot: Creds; // pull robot, exempted later
  const release = cosignKey('p256');
  const backup = cosignKey('ed25519');
  const stranger = cosignKey('p256');
  let n = 0;

  const policy = (as: Creds, body: unknown) => call(server, 'PATCH', '/projects/team/trust-policy', { as, body });
  const addKey = (as: Creds, name: string, key: string, kind?: string) => call(server, 'POST', '/projects/team/trust-keys', { as, body: { name, key, ...(kind ? { kind } : {}) } });
  const verdict = async (ref: string, as: Creds = alice) => expectStatus(await call(server, 'GET', `/repositories/team/app/trust/${ref}`, { as }), 200).body;
  const sign = (image: PushedImage, key: CosignKey, options = {}) => signCosign(server.url, alice, 'team/app', image.digest, key, options);
  const push = (tag = `t${++n}`) => pushLayers(server, alice, 'team/app', tag, [layerOf({ [`f${n}.txt`]: `${tag}-${Math.random()}` })]);
  /** The status of a manifest GET (or HEAD), and the body's error message when it is refused. */
  async function pull(as: Creds | undefined, ref: string, method: 'GET' | 'HEAD' = 'GET'): Promise<{ status: number; code?: string; message?: string }> {
    const res = await getManifest(server, as, 'team/app', ref, method);
    const text = await res.text();
    if (res.status === 200 || method === 'HEAD') return { status: res.status };
    const e = JSON.parse(text).errors?.[0];
    return { status: res.status, code: e?.code, message: e?.message };
  }
  async function audit(query: string): Promise<Entry[]> {
    return expectStatus(await call(server, 'GET', `/audit?limit=1000&project=team${query}`, { as: ADMIN }), 200).body.entries;
  }
  /** Waits (bounded: the log is written in batches) for an entry. */
  async function expectEntry(query: string, match: (e: Entry) => boolean, what: string): Promise<Entry> {
    for (let i = 0; i < 50; i++) {
      const found = (await audit(query)).find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    return assert.fail(`no audit entry for ${what}: ${JSON.stringify((await audit('')).slice(0, 20).map((e) => `${e.actor} ${e.action} ${e.reference}`))}`);
  }

  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    dave = await addUser(server, 'dave');
    gina = await addUser(server, 'gina');
    mallory = await addUser(server, 'mallory');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'team' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/team/members/dave', { as: alice, body: { role: 'developer' } }), 200);
    expectStatus(await call(server, 'PUT', '/projects/team/members/gina', { as: alice, body: { role: 'guest' } }), 200);
    const r = expectStatus(await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'mirror', permissions: 'pull' } }), 201);
    robot = [r.body.robot.name, r.body.secret];
  });
  after(async () => { await server?.stop(); });

  it('members and guests read the policy and keys; only owners and administrators change them', async () => {
    for (const who of [alice, dave, gina, ADMIN]) {
      const p = expectStatus(await call(server, 'GET', '/projects/team/trust-policy', { as: who }), 200).body;
      assert.equal(p.project, 'team');
      assert.equal(p.mode, 'off');
      assert.deepEqual(p.exempt, []);
      assert.deepEqual(p.signers, []);
      assert.deepEqual(expectStatus(await call(server, 'GET', '/projects/team/trust-keys', { as: who }), 200).body, { signers: [] });
    }
    expectStatus(await call(server, 'GET', '/projects/team/trust-policy', { as: mallory }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/projects/team/trust-keys'), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/projects/nothing/trust-policy', { as: ADMIN }), 404, 'NOT_FOUND');

    for (const who of [dave, gina]) {
      expectStatus(await policy(who, { mode: 'audit' }), 403, 'DENIED');
      expectStatus(await addKey(who, 'mine', release.publicPem), 403, 'DENIED');
    }
    assert.equal((await policy(mallory, { mode: 'audit' })).status, 404, 'not a member: the project is not even there');
    expectStatus(await call(server, 'PATCH', '/projects/team/trust-policy', { body: { mode: 'audit' } }), 401, 'UNAUTHORIZED');
    expectStatus(await call(server, 'GET', '/projects/team/trust-policy', { as: alice }), 200);
    assert.equal(expectStatus(await call(server, 'GET', '/projects/team/trust-policy', { as: alice }), 200).body.mode, 'off', 'nothing changed');
  });

  it('refuses bad keys, bad names and duplicates with a message, and enforce without a trusted signer', async () => {
    const e = expectStatus(await policy(alice, { mode: 'enforce' }), 400, 'INVALID_REQUEST');
    assert.match(e.body.errors[0].message, /enforcing needs a trusted signer first/);
    expectStatus(await policy(alice, { mode: 'strict' }), 400, 'INVALID_REQUEST');
    expectStatus(await policy(alice, { mode: 'audit', colour: 'red' }), 400, 'INVALID_REQUEST');

    const cases: [string, string, string, string | undefined, RegExp][] = [
      ['not a key at all', 'junk', 'hello, I am a key', undefined, /give a PEM public key/],
      ['a PEM block holding garbage', 'broken', '-----BEGIN PUBLIC KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ==\n-----END PUBLIC KEY-----\n', undefined, /not a readable PEM public key/],
      ['a private key', 'secret', release.privatePem, undefined, /this is a private key, which must stay secret/],
      ['an OpenPGP private key', 'pgpsecret', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PRIVATE KEY BLOCK-----\n', undefined, /this is a private key, which must stay secret/],
      ['two keys as one signer (only the first would count)', 'pair', release.publicPem + backup.publicPem, undefined, /one public key per signer/],
      ['a key with something after it', 'trailing', `${release.publicPem}-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n`, undefined, /one public key per signer/],
      ['a PEM key said to be OpenPGP', 'liar', release.publicPem, 'pgp', /not an ASCII-armored OpenPGP public key/],
      ['an OpenPGP block holding garbage', 'pgpjunk', '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n', undefined, /not a readable OpenPGP public key/],
      ['a keyless identity without an issuer', 'keyless', '{"subject":"a@b"}', undefined, /no issuer/],
      ['a bad name', 'a/b', release.publicPem, undefined, /name is 1 to 64/],
    ];
    for (const [what, name, key, kind, message] of cases) {
      const res = await addKey(alice, name, key, kind);
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
      assert.equal(res.body.errors[0].code, 'INVALID_REQUEST', what);
      assert.ok(res.body.errors[0].message.length > 10, `${what}: a message that says why: ${res.text}`);
      assert.match(res.body.errors[0].message, message, what);
    }
    assert.deepEqual(expectStatus(await call(server, 'GET', '/projects/team/trust-keys', { as: alice }), 200).body.signers, [], 'nothing stored');

    const added = expectStatus(await addKey(alice, 'release', release.publicPem), 201).body;
    assert.equal(added.name, 'release');
    assert.equal(added.kind, 'key');
    assert.equal(added.createdBy, 'alice');
    assert.match(added.fingerprint, /^sha256:[0-9a-f]{40}$/);
    const dup = expectStatus(await addKey(alice, 'release', backup.publicPem), 409, 'CONFLICT');
    assert.match(dup.body.errors[0].message, /already trusts a signer named release/);
    expectStatus(await addKey(ADMIN, 'backup', backup.publicPem, 'key'), 201);
    const listed = expectStatus(await call(server, 'GET', '/projects/team/trust-keys', { as: gina }), 200).body.signers;
    assert.deepEqual(listed.map((s: { name: string }) => s.name), ['backup', 'release']);
    assert.ok(!JSON.stringify(listed).includes('PRIVATE'), 'no key material beyond the fingerprint');

    // The same name added many times at once: one is stored, the others are told why.
    const racing = await Promise.all(Array.from({ length: 6 }, () => addKey(alice, 'racer', stranger.publicPem)));
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409], racing.map((r) => r.text).join('\n'));
    // A name with a space, removed through its URL-encoded path.
    expectStatus(await addKey(alice, 'ci key', stranger.publicPem), 201);
    expectStatus(await call(server, 'DELETE', '/projects/team/trust-keys/ci%20key', { as: alice }), 204);
    expectStatus(await call(server, 'DELETE', '/projects/team/trust-keys/racer', { as: alice }), 204);
    expectStatus(await call(server, 'DELETE', '/projects/team/trust-keys/nothing', { as: alice }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'DELETE', '/projects/team/trust-keys/backup', { as: dave }), 403, 'DENIED');
    expectStatus(await call(server, 'DELETE', '/projects/team/trust-keys/backup', { as: gina }), 403, 'DENIED');
  });

  it('every change is in the audit log, and bumps the policy version', async () => {
    const v0 = expectStatus(await call(server, 'GET', '/projects/team/trust-policy', { as: alice }), 200).body.version;
    expectStatus(await addKey(alice, 'temp', stranger.publicPem), 201);
    const v1 = expectStatus(await policy(alice, { mode: 'audit', exempt: [robot[0]] }), 200).body;
    assert.equal(v1.mode, 'audit');
    assert.deepEqual(v1.exempt, [robot[0]]);
    expectStatus(await call(server, 'DELETE', '/projects/team/trust-keys/temp', { as: ADMIN }), 204);
    const v2 = expectStatus(await policy(ADMIN, { mode: 'off' }), 200).body;
    assert.equal(v2.version, v0 + 4, 'one version per change');

    const add = await expectEntry('&action=trust.key.add', (e) => e.reference === 'temp', 'adding temp');
    assert.equal(add.actor, 'alice');
    assert.equal(add.outcome, 'success');
    assert.equal(JSON.parse(add.detail!).kind, 'key');
    const remove = await expectEntry('&action=trust.key.remove', (e) => e.reference === 'temp', 'removing temp');
    assert.equal(remove.actor, 'admin');
    const modes = (await audit('&action=trust.policy')).map((e) => [e.actor, JSON.parse(e.detail!)]);
    assert.deepEqual(modes.slice(0, 2), [['admin', { mode: 'off' }], ['alice', { mode: 'audit', exempt: [robot[0]] }]]);
    for (const name of ['release', 'backup']) await expectEntry('&action=trust.key.add', (e) => e.reference === name, `adding ${name}`);
    // Refusals are audited as such too.
    await expectEntry('&action=denied', (e) => e.actor === 'dave', 'the developer refused');
  });

  it('off lets everything through; audit lets it through and records trust.unsigned-pull', async () => {
    const image = await push('audited');
    assert.equal((await pull(gina, 'audited')).status, 200);
    expectStatus(await policy(alice, { mode: 'audit', exempt: [] }), 200);
    assert.equal((await pull(gina, 'audited')).status, 200);
    const e = await expectEntry('&action=trust.unsigned-pull', (x) => x.reference === `team/app@${image.digest}`, 'the unsigned pull');
    assert.equal(JSON.parse(e.detail!).account, 'gina');
    assert.match(JSON.stringify(JSON.parse(e.detail!).problems), /the image has no signature/);
    // Audit records what enforce would refuse: not a signer's read by digest before signing.
    const presign = await push('audited-presign');
    assert.equal((await pull(alice, presign.digest)).status, 200);
    assert.equal((await pull(dave, presign.digest)).status, 200);
    const byGuest = await push('audited-guest-digest');
    assert.equal((await pull(gina, byGuest.digest)).status, 200);
    await expectEntry('&action=trust.unsigned-pull', (x) => x.reference === `team/app@${byGuest.digest}`, 'a guest\'s unsigned pull by digest');
    assert.ok(!(await audit('&action=trust.unsigned-pull')).some((x) => x.reference === `team/app@${presign.digest}`), 'a pusher\'s read by digest is not an unsigned pull');
    // A signed image is not recorded.
    const signed = await push('audited-signed');
    await sign(signed, release);
    assert.equal((await pull(gina, 'audited-signed')).status, 200);
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(!(await audit('&action=trust.unsigned-pull')).some((x) => x.reference === `team/app@${signed.digest}`), 'a signed pull is not an unsigned one');
  });

  it('enforce refuses an unsigned image with a message naming the policy and the problems, but never what signing, scanning and replication need', async () => {
    const unsigned = await push('unsigned');
    const signed = await push('signed');
    const sig = await sign(signed, release);
    // An SBOM referrer of the unsigned image (an artifact, not an image).
    const empty = Buffer.from('{}');
    const sbom = Buffer.from('{"spdxVersion":"SPDX-2.3"}');
    for (const b of [empty, sbom]) await uploadBlob(server, alice, 'team/app', b);
    const referrer = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/spdx+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: empty.length },
      layers: [{ mediaType: 'application/spdx+json', digest: sha256(sbom), size: sbom.length }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: unsigned.digest, size: unsigned.manifest.length },
    }));
    const put = await fetch(`${server.url}/v2/team/app/manifests/${sha256(referrer)}`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: referrer });
    assert.equal(put.status, 201, await put.text());

    const p = expectStatus(await policy(alice, { mode: 'enforce', exempt: [robot[0]] }), 200).body;
    assert.equal(p.mode, 'enforce');

    const refused = await pull(gina, 'unsigned');
    assert.equal(refused.status, 403);
    assert.equal(refused.code, 'DENIED');
    assert.match(refused.message!, /trust policy of project team/);
    assert.match(refused.message!, new RegExp(`team/app@${unsigned.digest}`));
    assert.match(refused.message!, /not signed by a trusted signer \((backup, release|release, backup)\)/);
    assert.match(refused.message!, /the image has no signature/);
    assert.equal((await pull(alice, 'unsigned')).status, 403, 'the owner, by tag, too');
    assert.equal((await pull(gina, unsigned.digest)).status, 403, 'a guest by digest');
    assert.equal((await pull(ADMIN, 'unsigned')).status, 403, 'an administrator by tag');

    assert.equal((await pull(gina, 'unsigned', 'HEAD')).status, 200, 'HEAD is never gated');
    assert.equal((await pull(alice, unsigned.digest)).status, 200, 'the owner, who may push, by digest (a signer before signing)');
    assert.equal((await pull(dave, unsigned.digest)).status, 200, 'a developer, who may push, by digest');
    assert.equal((await pull(dave, 'unsigned')).status, 403, 'the same developer by tag');
    assert.equal((await pull(robot, 'unsigned')).status, 200, 'an exempt account');
    assert.equal((await pull(gina, 'signed')).status, 200, 'signed by a trusted signer');
    assert.equal((await pull(gina, signed.digest)).status, 200);
    assert.equal((await pull(gina, sig.tag)).status, 200, 'the .sig manifest (cosign reads it to add a signature)');
    assert.equal((await pull(gina, sig.manifestDigest)).status, 200);
    assert.equal((await pull(gina, sha256(referrer))).status, 200, 'a referrer artifact');
    const refs = await fetch(`${server.url}/v2/team/app/referrers/${unsigned.digest}`, { headers: { authorization: basic(gina) } });
    assert.equal(refs.status, 200, 'the referrers API');
    // (Berth's scanner adds its own SBOM referrer too.)
    assert.ok(((await refs.json()) as { manifests: { digest: string }[] }).manifests.some((m) => m.digest === sha256(referrer)));
    // The blobs are not gated either (they are not manifests); the gate is on the manifest.
    const blob = await fetch(`${server.url}/v2/team/app/blobs/${unsigned.layers[0]}`, { headers: { authorization: basic(gina) } });
    await blob.arrayBuffer();
    assert.equal(blob.status, 200);

    // A Docker schema 2 image is an image too.
    const layer = layerOf({ 'docker.txt': 'docker' });
    const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
    for (const b of [layer, config]) await uploadBlob(server, alice, 'team/app', b);
    const docker = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha256(layer), size: layer.length }],
    }));
    const dput = await fetch(`${server.url}/v2/team/app/manifests/docker`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' }, body: docker });
    assert.equal(dput.status, 201, await dput.text());
    const dget = await fetch(`${server.url}/v2/team/app/manifests/docker`, { headers: { authorization: basic(gina), accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    await dget.arrayBuffer();
    assert.equal(dget.status, 403, 'an unsigned Docker image');

    // Removing the exemption takes effect at once.
    expectStatus(await policy(alice, { exempt: [] }), 200);
    assert.equal((await pull(robot, 'unsigned')).status, 403, 'no longer exempt');
  });

  it('an index is never refused, and its signature covers the platforms it lists', async () => {
    const amd = await push('amd64');
    const arm = await push('arm64');
    const index = await pushIndex(server, alice, 'team/app', 'multi', [{ image: amd, os: 'linux', architecture: 'amd64' }, { image: arm, os: 'linux', architecture: 'arm64' }]);
    const lone = await push('lone');
    const other = await pushIndex(server, alice, 'team/app', 'multi-unsigned', [{ image: lone, os: 'linux', architecture: 'amd64' }]);

    assert.equal((await pull(gina, 'multi')).status, 200, 'an unsigned index');
    assert.equal((await pull(gina, amd.digest)).status, 403, 'its platform, before the index is signed');
    await signCosign(server.url, alice, 'team/app', index, release);
    assert.equal((await pull(gina, amd.digest)).status, 200, 'covered by the index signature');
    assert.equal((await pull(gina, arm.digest)).status, 200);
    assert.equal((await pull(gina, 'arm64')).status, 200);
    const v = await verdict(amd.digest, gina);
    assert.equal(v.signed, true);
    assert.deepEqual(v.signers, ['release']);
    assert.equal(v.signedVia, index);
    // The index's signature deleted: its platforms are unsigned again at once.
    const sigs = await fetch(`${server.url}/v2/team/app/manifests/${cosignSigTag(index)}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    assert.equal(sigs.status, 202, await sigs.text());
    assert.equal((await pull(gina, amd.digest)).status, 403, 'the index signature gone');
    await signCosign(server.url, alice, 'team/app', index, release);
    assert.equal((await pull(gina, amd.digest)).status, 200);
    assert.equal((await pull(gina, 'multi-unsigned')).status, 200);
    assert.equal((await pull(gina, lone.digest)).status, 403, 'a platform of an unsigned index');
    assert.equal((await verdict(other)).signed, false);
  });

  it('verdicts follow at once: a signature arrives, is deleted, its key removed, the policy changed', async () => {
    const image = await push('moving');
    assert.equal((await pull(gina, 'moving')).status, 403);
    const before = await verdict('moving');
    assert.equal(before.signed, false);
    assert.deepEqual(before.problems, ['the image has no signature']);
    assert.equal(before.mode, 'enforce');

    const sig = await sign(image, backup);
    assert.equal((await pull(gina, 'moving')).status, 200, 'signed: at once');
    assert.deepEqual((await verdict('moving')).signers, ['backup']);

    const del = await fetch(`${server.url}/v2/team/app/manifests/${sig.manifestDigest}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    assert.equal(del.status, 202, await del.text());
    assert.equal((await pull(gina, 'moving')).status, 403, 'the .sig manifest deleted: unsigned again at once');
    assert.equal((await verdict('moving')).signed, false);

    await sign(image, backup);
    assert.equal((await pull(gina, 'moving')).status, 200);
    expectStatus(await call(server, 'DELETE', '/projects/team/trust-keys/backup', { as: alice }), 204);
    const refused = await pull(gina, 'moving');
    assert.equal(refused.status, 403, 'its key removed: unsigned at once');
    assert.match(refused.message!, /cosign signature: the cosign signature does not verify with any trusted key \("release"\)/, 'the refusal says why');
    const v = await verdict('moving');
    assert.equal(v.signatures[0].problem.code, 'wrong-key');
    expectStatus(await addKey(alice, 'backup', backup.publicPem), 201);
    assert.equal((await pull(gina, 'moving')).status, 200, 'trusted again');

    // A signature by a second trusted key is added to the .sig manifest: both are listed.
    const second = await sign(image, release);
    assert.equal(second.signatures, 2);
    assert.deepEqual([...(await verdict('moving')).signers].sort(), ['backup', 'release']);

    const unsigned = await push('moving-unsigned');
    assert.equal((await pull(gina, 'moving-unsigned')).status, 403);
    expectStatus(await policy(alice, { mode: 'off' }), 200);
    assert.equal((await pull(gina, 'moving-unsigned')).status, 200, 'mode off: at once');
    assert.equal((await verdict(unsigned.digest)).mode, 'off');
    expectStatus(await policy(alice, { mode: 'enforce' }), 200);
    assert.equal((await pull(gina, 'moving-unsigned')).status, 403, 'enforce again: at once');
  });

  it('a wrong key, a payload for another image and a tampered payload: each verdict says which', async () => {
    const image = await push('bad-signatures');
    const other = await push('bad-other');
    await sign(image, stranger);
    let v = await verdict('bad-signatures');
    assert.equal(v.signed, false);
    assert.equal(v.signatures.length, 1);
    assert.equal(v.signatures[0].format, 'cosign');
    assert.equal(v.signatures[0].source.kind, 'cosign-tag');
    assert.equal(v.signatures[0].ok, false);
    assert.equal(v.signatures[0].signer, null);
    assert.equal(v.signatures[0].problem.code, 'wrong-key');
    assert.match(v.problems[0], /does not verify with any trusted key/);

    await sign(image, release, { signedDigest: other.digest });
    v = await verdict('bad-signatures');
    assert.equal(v.signed, false);
    assert.equal(v.signatures.length, 2);
    assert.equal(v.signatures[1].problem.code, 'digest-mismatch');
    assert.match(v.signatures[1].problem.message, new RegExp(`it signs ${other.digest}, but this image is ${image.digest}`));
    const refused = await pull(gina, 'bad-signatures');
    assert.equal(refused.status, 403);
    assert.match(refused.message!, /does not verify with any trusted key/, 'the refusal names each problem');
    assert.match(refused.message!, /is for another image/);

    const signedPayload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': `${server.host}/team/app` }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' }, optional: null }));
    const tampered = Buffer.from(signedPayload.toString().replace('team/app', 'team/evil'));
    await sign(image, release, { payload: signedPayload, tamperedPayload: tampered });
    v = await verdict('bad-signatures');
    assert.equal(v.signed, false);
    assert.equal(v.signatures.length, 3);
    assert.equal(v.signatures[2].problem.code, 'wrong-key', 'the payload no longer matches its signature');
    assert.equal(v.signatures[2].claims.dockerReference, `${server.host}/team/evil`);

    // The trust summaries of the tags view say the same.
    const s = expectStatus(await call(server, 'GET', `/repositories/team/app/trust-summaries?digests=${image.digest},${other.digest}`, { as: gina }), 200).body;
    assert.equal(s.mode, 'enforce');
    const codes = [...new Set(v.signatures.map((x: { problem: { code: string } }) => x.problem.code))];
    assert.deepEqual(s.summaries[image.digest], { signed: false, signers: [], signatures: 3, problems: v.problems, problemCodes: codes });
    assert.ok(codes.includes('wrong-key') && codes.includes('digest-mismatch'), codes.join());
    assert.deepEqual(s.summaries[other.digest], { signed: false, signers: [], signatures: 0, problems: ['the image has no signature'], problemCodes: [] });
    expectStatus(await call(server, 'GET', `/repositories/team/app/trust-summaries?digests=${image.digest}`, { as: mallory }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'GET', '/repositories/team/app/trust/bad-signatures', { as: mallory }), 404, 'NOT_FOUND');

    // And a good signature added next to the bad ones is enough.
    await sign(image, release);
    v = await verdict('bad-signatures');
    assert.equal(v.signed, true);
    assert.deepEqual(v.signers, ['release']);
    assert.equal(v.signatures.length, 4);
    assert.equal((await pull(gina, 'bad-signatures')).status, 200);
  });

  it('a public project: anonymous pulls are refused (403, not 401) and the last signer stays while enforcing', async () => {
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'pub', visibility: 'public' } }), 201);
    const image = await pushLayers(server, alice, 'pub/app', '1', [layerOf({ 'p.txt': 'public' })]);
    expectStatus(await call(server, 'POST', '/projects/pub/trust-keys', { as: alice, body: { name: 'only', key: release.publicPem } }), 201);
    // Anyone reads a public project's policy.
    assert.equal(expectStatus(await call(server, 'GET', '/projects/pub/trust-policy'), 200).body.signers[0].name, 'only');
    expectStatus(await call(server, 'PATCH', '/projects/pub/trust-policy', { as: alice, body: { mode: 'enforce' } }), 200);
    const anonymous = await getManifest(server, undefined, 'pub/app', '1');
    const body = await anonymous.json() as { errors: { code: string; message: string }[] };
    assert.equal(anonymous.status, 403);
    assert.equal(body.errors[0].code, 'DENIED');
    assert.match(body.errors[0].message, /trust policy of project pub/);
    assert.equal((await getManifest(server, undefined, 'pub/app', image.digest)).status, 403, 'anonymous by digest');
    assert.equal((await getManifest(server, mallory, 'pub/app', image.digest)).status, 403, 'a stranger by digest (may not push)');
    assert.equal((await getManifest(server, undefined, 'pub/app', '1', 'HEAD')).status, 200);

    // Removing the only trusted signer while enforcing would refuse every pull for want of a
    // signer, which enforce refuses to start with: it is refused too, saying what to do.
    const last = expectStatus(await call(server, 'DELETE', '/projects/pub/trust-keys/only', { as: alice }), 400, 'INVALID_REQUEST');
    assert.match(last.body.errors[0].message, /enforc/);
    assert.equal(expectStatus(await call(server, 'GET', '/projects/pub/trust-keys', { as: alice }), 200).body.signers.length, 1);
    await signCosign(server.url, alice, 'pub/app', image.digest, release);
    assert.equal((await getManifest(server, undefined, 'pub/app', '1')).status, 200, 'signed: anonymous pulls work');
    expectStatus(await call(server, 'PATCH', '/projects/pub/trust-policy', { as: alice, body: { mode: 'audit' } }), 200);
    expectStatus(await call(server, 'DELETE', '/projects/pub/trust-keys/only', { as: alice }), 204); // not enforcing: the last signer may go
  });
});
