// Two instances on one PostgreSQL database (issue 14, "per-instance state"): what one instance
// changes, the other stops trusting from its caches within a second, told through LISTEN/NOTIFY
// (metadata/invalidations.ts), not when its own cache entries expire (2 s for a token's
// credential, 15 s for a repository id).
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { ADMIN, ADMIN_PASSWORD, addUser, basic, call, expectStatus } from './api-helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('two instances on PostgreSQL: invalidations', { timeout: 120_000 }, () => {
  let a: BerthProcess;
  let b: BerthProcess;
  let drop: () => Promise<void>;

  before(async () => {
    const db = await createTestDatabase('berth_inval');
    drop = () => db.drop();
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-inval-'));
    const env = { BERTH_DATABASE_DIALECT: 'postgres', BERTH_DATABASE_URL: db.url, BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_SCAN_ENABLED: 'false' };
    a = await startBerth({ auth: 'builtin', dataDir, env });
    b = await startBerth({ auth: 'builtin', dataDir, env });
  });
  after(async () => { await a?.stop(); await b?.stop(); await drop?.(); });

  /** A bearer token for `scope`, issued by `s` from Basic credentials. */
  const tokenFrom = async (s: BerthProcess, creds: readonly [string, string], scope: string) => {
    const res = await fetch(`${s.url}/auth/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basic(creds) } });
    assert.equal(res.status, 200);
    return (await res.json() as { token: string }).token;
  };
  const tagsWith = async (s: BerthProcess, token: string, repo: string) => {
    const res = await fetch(`${s.url}/v2/${repo}/tags/list`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    return res.status;
  };

  it('an access token revoked through one instance stops working on the other within a second', async () => {
    const alice = await addUser(a, 'alice');
    const made = expectStatus(await call(a, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'ci', permissions: 'pull' } }), 201).body as { secret: string; token: { id: number } };
    const bearer = await tokenFrom(a, ['alice', made.secret], 'repository:alice/app:pull');
    // Used on b just now: b's live check is fresh, and would be trusted for 2 s without news.
    const before = await tagsWith(b, bearer, 'alice/app');
    assert.ok(before === 200 || before === 404, `the token works on b first (${before})`);
    expectStatus(await call(a, 'DELETE', `/users/alice/tokens/${made.token.id}`, { as: alice }), 204);
    const revokedAt = Date.now();
    let status = before;
    while ((status === 200 || status === 404) && Date.now() - revokedAt < 1000) {
      await sleep(50);
      status = await tagsWith(b, bearer, 'alice/app');
    }
    assert.equal(status, 401, `b refuses the revoked token ${Date.now() - revokedAt} ms after the revocation`);
  });

  it('a project removed with its repositories through one instance, and made again, is the new one on the other at once', async () => {
    expectStatus(await call(a, 'POST', '/projects', { as: ADMIN, body: { name: 'team', visibility: 'public' } }), 201);
    const push = async (s: BerthProcess, tag: string) => {
      const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', tag }));
      const start = await fetch(`${s.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { authorization: basic(ADMIN) } });
      const loc = start.headers.get('location')!;
      const { createHash } = await import('node:crypto');
      const digest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
      assert.equal((await fetch(`${s.url}${loc}${loc.includes('?') ? '&' : '?'}digest=${digest}`, { method: 'PUT', headers: { authorization: basic(ADMIN) }, body: config })).status, 201);
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: config.length }, layers: [] });
      const res = await fetch(`${s.url}/v2/team/app/manifests/${tag}`, { method: 'PUT', headers: { authorization: basic(ADMIN), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
      assert.equal(res.status, 201, await res.text());
    };
    const tags = async (s: BerthProcess) => {
      const res = await fetch(`${s.url}/v2/team/app/tags/list`, { headers: { authorization: basic(ADMIN) } });
      return res.status === 200 ? ((await res.json()) as { tags: string[] }).tags : res.status;
    };
    await push(a, 'old');
    assert.deepEqual(await tags(b), ['old'], 'b has looked the repository up (and cached its id)');
    expectStatus(await call(a, 'DELETE', '/projects/team?repositories=delete', { as: ADMIN }), 204);
    expectStatus(await call(a, 'POST', '/projects', { as: ADMIN, body: { name: 'team', visibility: 'public' } }), 201);
    await push(a, 'new');
    await sleep(400); // the notification, and the receiver's second forget
    assert.deepEqual(await tags(b), ['new'], 'b serves the new repository, not the removed one');
    await push(b, 'from-b');
    assert.deepEqual(await tags(a), ['from-b', 'new'], 'and b pushes into the new one');
  });
});
