// Two Berth instances on one store (the same data directory: SQLite and the filesystem) proxy one
// upstream: two concurrent cold pulls of one large blob, one to each instance, fetch it from the
// upstream once (the lease row in proxy_blob_fetches).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { pushBlob, sha256, startUpstream, UPSTREAM_PASSWORD, UPSTREAM_USER, type Upstream } from './proxy-helpers.ts';

const ADMIN_PASSWORD = 'proxy-two-Admin-1';
const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

describe('proxy projects across two instances', { timeout: 180_000 }, () => {
  let up: Upstream;
  let one: BerthProcess;
  let two: BerthProcess;

  before(async () => {
    up = await startUpstream();
    one = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    two = await startBerth({ auth: 'builtin', dataDir: one.dataDir, env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    ok(await berth(['proxy', 'create', 'hub', '--upstream', up.url, '--username', UPSTREAM_USER, '--password-stdin', '--url', one.url, '--user', 'admin'], { stdin: `${UPSTREAM_PASSWORD}\n`, env: { BERTH_PASSWORD: ADMIN_PASSWORD } }));
    // The second instance learns of it at its next reload (every 5 s).
    for (let i = 0; i < 100 && !(await known(two)); i++) await new Promise((res) => setTimeout(res, 200));
  });

  /** Whether the instance proxies hub yet: a push is refused only in a proxy project. */
  async function known(b: BerthProcess): Promise<boolean> {
    const r = await fetch(`${b.url}/v2/hub/library/probe/blobs/uploads/`, { method: 'POST', headers: { authorization: ADMIN } });
    await r.arrayBuffer();
    return r.status === 403;
  }

  after(async () => {
    await two?.stop();
    await one?.stop();
    await up?.stop();
  });

  it('two cold pulls of one blob, one per instance, fetch it upstream once', async () => {
    assert.ok(await known(one) && await known(two), 'both instances proxy hub');
    const big = randomBytes(24 * 1024 * 1024);
    const digest = await pushBlob(up, 'library/big', big);
    const pull = async (b: BerthProcess) => {
      const r = await fetch(`${b.url}/v2/hub/library/big/blobs/${digest}`, { headers: { authorization: ADMIN } });
      assert.equal(r.status, 200);
      return sha256(Buffer.from(await r.arrayBuffer()));
    };
    assert.deepEqual(await Promise.all([pull(one), pull(two)]), [digest, digest]);
    assert.equal(up.blobGets(digest), 1, 'the upstream served it once');
  });
});
