// Cross-repository mounts under Docker token auth (auth.mode builtin): the 401 challenge on
// POST /v2/<target>/blobs/uploads/?mount=D&from=SRC names repository:SRC:pull beside the target's
// repository:TARGET:pull,push, in one scope="..." parameter (scopes separated by spaces, as the
// Docker token spec allows), so a client that asks /auth/token for exactly the challenged scopes
// gets a token that allows the mount. A token for the target alone gets 401 insufficient_scope
// naming both, when its account may pull the source. A caller who may not pull the source gets a
// plain upload session (202), exactly as for a source that does not exist.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { digestOf } from '../../src/core/digest.ts';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const SOURCE = 'mtsrc/app';
const TARGET = 'mtdst/app';

interface Challenge { scheme: string; params: Record<string, string> }

function parseChallenge(header: string | null): Challenge {
  assert.ok(header, 'a 401 carries WWW-Authenticate');
  const m = /^(\w+)\s+(.*)$/.exec(header);
  assert.ok(m, `malformed challenge ${header}`);
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!] = p[2]!;
  return { scheme: m[1]!, params };
}

describe('cross-repository mount with token auth', { timeout: 120_000 }, () => {
  let server: BerthProcess;
  let alice: Creds; // owner of both projects
  let bob: Creds; // developer in the target's project only
  const blob = Buffer.from(`mount-me ${Date.now()} ${Math.random()}`);
  const digest = digestOf(blob);
  const mountPath = (from: string, target = TARGET) => `/v2/${target}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;

  async function v2(method: string, path: string, auth?: string, extra: Record<string, string> = {}, body?: Buffer): Promise<Response> {
    return fetch(`${server.url}${path}`, { method, headers: { ...(auth ? { authorization: auth } : {}), ...extra }, ...(body ? { body } : {}), redirect: 'manual' });
  }

  /** A token for exactly the scope parameter given (one parameter, spaces and all), as a client sends it. */
  async function token(creds: Creds | undefined, scope: string, service = 'berth'): Promise<{ header: string; access: { type: string; name: string; actions: string[] }[] }> {
    const q = new URLSearchParams({ service, scope });
    const res = await fetch(`${server.url}/auth/token?${q}`, { headers: creds ? { authorization: basic(creds) } : {} });
    const text = await res.text();
    assert.equal(res.status, 200, `token for ${scope}: ${text}`);
    const t = (JSON.parse(text) as { token: string }).token;
    return { header: `Bearer ${t}`, access: (decodeJwt(t).access ?? []) as { type: string; name: string; actions: string[] }[] };
  }

  /** Follows a challenge the way a client does: a token for its realm, service and scope. */
  async function tokenFor(challenge: Challenge, creds: Creds): Promise<{ header: string; access: { type: string; name: string; actions: string[] }[] }> {
    assert.equal(challenge.scheme, 'Bearer');
    assert.equal(challenge.params.realm, `${server.url}/auth/token`);
    return token(creds, challenge.params.scope!, challenge.params.service);
  }

  async function expectMounted(res: Response, what: string): Promise<void> {
    const text = await res.text();
    assert.equal(res.status, 201, `${what}: expected 201 (mounted), got ${res.status} ${text}`);
    assert.equal(res.headers.get('docker-content-digest'), digest, `${what}: Docker-Content-Digest`);
    assert.equal(new URL(res.headers.get('location')!, server.url).pathname, `/v2/${TARGET}/blobs/${digest}`, `${what}: Location`);
  }

  async function expectTargetLacksBlob(what: string): Promise<void> {
    const res = await v2('HEAD', `/v2/${TARGET}/blobs/${digest}`, basic(ADMIN));
    assert.equal(res.status, 404, `${what}: the target does not link the blob`);
  }

  async function unlinkFromTarget(): Promise<void> {
    const res = await v2('DELETE', `/v2/${TARGET}/blobs/${digest}`, basic(ADMIN));
    assert.ok([202, 404].includes(res.status), `DELETE blob from the target: ${res.status} ${await res.text()}`);
    await expectTargetLacksBlob('after the delete');
  }

  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'mt-alice');
    bob = await addUser(server, 'mt-bob');
    for (const project of ['mtsrc', 'mtdst']) expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: project, visibility: 'private' } }), 201);
    expectStatus(await call(server, 'PUT', '/projects/mtdst/members/mt-bob', { as: alice, body: { role: 'developer' } }), 200);
    const auth = basic(alice);
    const up = await v2('POST', `/v2/${SOURCE}/blobs/uploads/?digest=${digest}`, auth, { 'content-type': 'application/octet-stream' }, blob);
    assert.equal(up.status, 201, `push the blob to the source: ${await up.text()}`);
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    assert.equal((await v2('POST', `/v2/${SOURCE}/blobs/uploads/?digest=${digestOf(config)}`, auth, {}, config)).status, 201);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: blob.length }],
    }));
    const put = await v2('PUT', `/v2/${SOURCE}/manifests/v1`, auth, { 'content-type': MANIFEST }, manifest);
    assert.equal(put.status, 201, `push the manifest to the source: ${await put.text()}`);
  });
  after(async () => { await server?.stop(); });

  it('the anonymous challenge names the target pull,push and the source pull in one scope parameter; its token mounts', async () => {
    await expectTargetLacksBlob('before');
    const res = await v2('POST', mountPath(SOURCE));
    assert.equal(res.status, 401, await res.text());
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    assert.equal(challenge.params.scope, `repository:${TARGET}:pull,push repository:${SOURCE}:pull`, 'challenged scopes');
    assert.equal(challenge.params.error, undefined, 'no error parameter for an anonymous caller');
    const t = await tokenFor(challenge, alice);
    assert.deepEqual(t.access.map((g) => `${g.name}:${g.actions.join(',')}`).sort(), [`${SOURCE}:pull`, `${TARGET}:pull,push`].sort(), 'the token holds both');
    await expectMounted(await v2('POST', mountPath(SOURCE), t.header), 'mount with the challenged token');
    const get = await v2('GET', `/v2/${TARGET}/blobs/${digest}`, t.header);
    assert.equal(get.status, 200);
    assert.ok(Buffer.from(await get.arrayBuffer()).equals(blob), 'the mounted blob reads back through the target');
    await unlinkFromTarget();
  });

  it('a token for the target alone gets 401 insufficient_scope naming both; the new token mounts', async () => {
    const narrow = await token(alice, `repository:${TARGET}:pull,push`);
    const res = await v2('POST', mountPath(SOURCE), narrow.header);
    const text = await res.text();
    assert.equal(res.status, 401, `expected 401 insufficient_scope, got ${res.status} ${text}`);
    assert.equal(JSON.parse(text).errors[0].code, 'UNAUTHORIZED');
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    assert.equal(challenge.params.error, 'insufficient_scope');
    assert.equal(challenge.params.scope, `repository:${TARGET}:pull,push repository:${SOURCE}:pull`);
    await expectTargetLacksBlob('after the refused mount');
    await expectMounted(await v2('POST', mountPath(SOURCE), (await tokenFor(challenge, alice)).header), 'mount after the new token');
    await unlinkFromTarget();
  });

  it('a token lacking the target push as well is challenged for both, with insufficient_scope', async () => {
    const pullOnly = await token(alice, `repository:${TARGET}:pull`);
    const res = await v2('POST', mountPath(SOURCE), pullOnly.header);
    assert.equal(res.status, 401, await res.text());
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    assert.equal(challenge.params.error, 'insufficient_scope');
    assert.equal(challenge.params.scope, `repository:${TARGET}:pull,push repository:${SOURCE}:pull`);
  });

  it('a user who may not pull the source gets a plain upload (202), the same answer as for a missing source, and no blob', async () => {
    const anonymous = await v2('POST', mountPath(SOURCE));
    const t = await tokenFor(parseChallenge(anonymous.headers.get('www-authenticate')), bob);
    assert.deepEqual(t.access.map((g) => g.name), [TARGET], 'the token grants nothing on the source');
    const answers: { status: number; body: string; headers: string[] }[] = [];
    for (const [auth, from] of [[t.header, SOURCE], [basic(bob), SOURCE], [t.header, 'mtnone/app'], [basic(bob), 'mtnone/app']] as const) {
      const res = await v2('POST', mountPath(from), auth);
      const body = await res.text();
      assert.equal(res.status, 202, `bob mounting from ${from} (${auth.split(' ')[0]}): expected an upload session, got ${res.status} ${body}`);
      assert.match(new URL(res.headers.get('location')!, server.url).pathname, new RegExp(`^/v2/${TARGET}/blobs/uploads/`), 'Location is an upload session of the target');
      assert.equal(res.headers.get('docker-content-digest'), null, 'no digest of the source blob');
      assert.equal(res.headers.get('www-authenticate'), null, 'no challenge');
      answers.push({ status: res.status, body, headers: [...res.headers.keys()].filter((k) => !['date', 'location', 'docker-upload-uuid'].includes(k)).sort() });
      // Cancel the session (clients do the same when a mount was ignored).
      assert.equal((await v2('DELETE', res.headers.get('location')!, auth)).status, 204);
    }
    for (const a of answers.slice(1)) assert.deepEqual(a, answers[0], 'a hidden source answers like a missing one');
    await expectTargetLacksBlob('after bob\'s attempts');
    // With exactly the challenged scope, bob's GET of the digest in the target stays 404.
    const get = await v2('GET', `/v2/${TARGET}/blobs/${digest}`, t.header);
    assert.equal(get.status, 404, 'the blob did not leak into the target');
  });

  it('Basic credentials mount directly when they may pull the source', async () => {
    await expectMounted(await v2('POST', mountPath(SOURCE), basic(alice)), 'Basic mount');
    await unlinkFromTarget();
  });

  it('a single-component source is named canonically (library/...) in the challenge', async () => {
    const res = await v2('POST', mountPath('tiny'));
    assert.equal(res.status, 401);
    assert.equal(parseChallenge(res.headers.get('www-authenticate')).params.scope, `repository:${TARGET}:pull,push repository:library/tiny:pull`);
  });

  it('a plain push is challenged for pull,push of its repository only', async () => {
    const res = await v2('POST', `/v2/${TARGET}/blobs/uploads/`);
    assert.equal(res.status, 401);
    assert.equal(parseChallenge(res.headers.get('www-authenticate')).params.scope, `repository:${TARGET}:pull,push`);
  });
});
