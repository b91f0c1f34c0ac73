// The registry signature API extension (containers/image's X-Registry-Supports-Signatures): GET
// and PUT /extensions/v2/<name>/signatures/<digest>, with the image's own rights (reading needs
// pull, adding push), every class of bad body refused; and what follows an image goes with it:
// deleting it deletes its referrers, its cosign sha256-<hex>.sig/.att/.sbom tags, and its stored
// signatures, and nothing of another image.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { getManifest, layerOf, pushLayers, sha256, uploadBlob, type PushedImage } from './scan-helpers.ts';

describe('the signature API extension, and deletes that take an image\'s attachments along', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  let bob: Creds;
  let guest: Creds;
  let image: PushedImage;
  let other: PushedImage;
  const url = (repo: string, digest: string) => `${server.url}/extensions/v2/${repo}/signatures/${digest}`;
  const put = (creds: Creds, repo: string, digest: string, body: unknown) => fetch(url(repo, digest), { method: 'PUT', headers: { authorization: basic(creds), 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const get = (creds: Creds | undefined, repo: string, digest: string) => fetch(url(repo, digest), { headers: creds ? { authorization: basic(creds) } : {} });
  const sig = (digest: string, name = randomBytes(16).toString('hex'), content = randomBytes(300).toString('base64')) => ({ schemaVersion: 2, type: 'atomic', name: `${digest}@${name}`, content });

  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    bob = await addUser(server, 'bob');
    guest = await addUser(server, 'gina');
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'team' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/team/members/gina', { as: alice, body: { role: 'guest' } }), 200);
    image = await pushLayers(server, alice, 'team/app', '1', [layerOf({ 'a.txt': 'a' })]);
    other = await pushLayers(server, alice, 'team/app', '2', [layerOf({ 'b.txt': 'b' })]);
  });
  after(async () => { await server?.stop(); });

  it('says so on /v2/, as containers/image looks for it', async () => {
    const res = await fetch(`${server.url}/v2/`);
    assert.equal(res.headers.get('x-registry-supports-signatures'), '1');
  });

  it('stores signatures one at a time and lists them; an existing name is kept as it was', async () => {
    assert.deepEqual(await (await get(alice, 'team/app', image.digest)).json(), { signatures: [] });
    const one = sig(image.digest);
    assert.equal((await put(alice, 'team/app', image.digest, one)).status, 201);
    assert.equal((await put(alice, 'team/app', image.digest, { ...one, content: randomBytes(10).toString('base64') })).status, 201);
    const two = sig(image.digest);
    assert.equal((await put(alice, 'team/app', image.digest, two)).status, 201);
    const listed = (await (await get(guest, 'team/app', image.digest)).json()) as { signatures: { name: string; content: string; schemaVersion: number; type: string }[] };
    assert.deepEqual(listed.signatures.map((s) => s.name).sort(), [one.name, two.name].sort());
    assert.equal(listed.signatures.find((s) => s.name === one.name)!.content, one.content, 'the first content stays');
    assert.ok(listed.signatures.every((s) => s.schemaVersion === 2 && s.type === 'atomic'));
    assert.deepEqual(await (await get(alice, 'team/app', other.digest)).json(), { signatures: [] }, 'per image');
  });

  it('reading needs pull and adding needs push', async () => {
    assert.equal((await get(undefined, 'team/app', image.digest)).status, 401);
    assert.equal((await get(bob, 'team/app', image.digest)).status, 403);
    assert.equal((await put(bob, 'team/app', image.digest, sig(image.digest))).status, 403);
    assert.equal((await put(guest, 'team/app', image.digest, sig(image.digest))).status, 403);
  });

  it('refuses every class of bad request and stores nothing', async () => {
    const before = ((await (await get(alice, 'team/app', image.digest)).json()) as { signatures: unknown[] }).signatures.length;
    const cases: [string, unknown, number][] = [
      ['not JSON', '{"version":', 400],
      ['an array', [sig(image.digest)], 400],
      ['another version', { ...sig(image.digest), schemaVersion: 1 }, 400],
      ['another type', { ...sig(image.digest), type: 'sigstore' }, 400],
      ['a name for another digest', sig(other.digest), 400],
      ['a name with a slash', { ...sig(image.digest), name: `${image.digest}@a/b` }, 400],
      ['content that is not base64', { ...sig(image.digest), content: 'not base64!' }, 400],
      ['empty content', { ...sig(image.digest), content: '' }, 400],
      ['a signature over the limit', sig(image.digest, undefined, randomBytes(300 * 1024).toString('base64')), 413],
    ];
    for (const [what, body, status] of cases) {
      const res = await put(alice, 'team/app', image.digest, body);
      assert.equal(res.status, status, `${what}: ${res.status} ${await res.text()}`);
    }
    assert.equal((await put(alice, 'team/app', sha256(Buffer.from('nothing')), sig(sha256(Buffer.from('nothing'))))).status, 404, 'an image that is not there');
    assert.equal((await get(alice, 'team/app', 'latest')).status, 400, 'a tag is not a digest');
    assert.equal((await get(alice, 'team/nothing', image.digest)).status, 404);
    const after = ((await (await get(alice, 'team/app', image.digest)).json()) as { signatures: unknown[] }).signatures.length;
    assert.equal(after, before);
  });

  it('deleting an image deletes its referrers, its cosign tags and its signatures, and nothing else', async () => {
    // A cosign-style signature manifest under sha256-<hex>.sig, and an SBOM referrer (subject).
    const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': 'team/app' }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' }, optional: null }));
    const empty = Buffer.from('{}');
    for (const b of [payload, empty]) await uploadBlob(server, alice, 'team/app', b);
    const cosign = JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(empty), size: empty.length },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha256(payload), size: payload.length, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' } }],
    });
    const sigTag = `${image.digest.replace(':', '-')}.sig`;
    const r1 = await fetch(`${server.url}/v2/team/app/manifests/${sigTag}`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: cosign });
    assert.equal(r1.status, 201, await r1.text());
    const referrer = JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/spdx+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: empty.length },
      layers: [{ mediaType: 'application/spdx+json', digest: sha256(payload), size: payload.length }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, size: image.manifest.length },
    });
    const r2 = await fetch(`${server.url}/v2/team/app/manifests/${sha256(Buffer.from(referrer))}`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: referrer });
    assert.equal(r2.status, 201, await r2.text());
    // The other image keeps its own signature.
    assert.equal((await put(alice, 'team/app', other.digest, sig(other.digest))).status, 201);

    const del = await fetch(`${server.url}/v2/team/app/manifests/${image.digest}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    assert.equal(del.status, 202, await del.text());
    assert.equal((await getManifest(server, alice, 'team/app', sigTag)).status, 404, 'the .sig tag went with it');
    assert.equal((await getManifest(server, alice, 'team/app', sha256(Buffer.from(cosign)))).status, 404);
    assert.equal((await getManifest(server, alice, 'team/app', sha256(Buffer.from(referrer)))).status, 404, 'the referrer went with it');
    assert.equal((await get(alice, 'team/app', image.digest)).status, 404, 'and its signatures');
    assert.equal((await getManifest(server, alice, 'team/app', '2')).status, 200, 'the other image stays');
    assert.equal(((await (await get(alice, 'team/app', other.digest)).json()) as { signatures: unknown[] }).signatures.length, 1);
    const tags = (await (await fetch(`${server.url}/v2/team/app/tags/list`, { headers: { authorization: basic(alice) } })).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['2']);
  });
});
