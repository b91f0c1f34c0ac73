// The first administrator (hardening issue, found by a new user): it is made only once the server
// listens, so a start that fails cannot make an admin whose password nobody saw; it is made
// whenever no administrator exists (users added offline first included), with
// BERTH_ADMIN_PASSWORD when set; a variable that is not used says so; a name already taken is
// said loudly, with the command that fixes it. The password is printed with how to reset it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openMetadata } from '../../src/metadata/db.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth } from '../helpers/berth-process.ts';

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'berth-bootstrap-'));
  dirs.push(d);
  return join(d, 'data');
}

async function userNames(data: string): Promise<{ name: string; admin: boolean }[]> {
  const meta = await openMetadata({ dialect: 'sqlite', location: join(data, 'berth.db') });
  try {
    return (await meta.db.selectFrom('users').select(['name', 'is_admin']).orderBy('name').execute()).map((u) => ({ name: u.name, admin: u.is_admin === 1 }));
  } finally {
    await meta.close();
  }
}

/** Waits (bounded) until the process has written something matching `re` (stderr comes on its own pipe). */
async function logged(server: { logs(): string }, re: RegExp): Promise<string> {
  for (let i = 0; i < 50 && !re.test(server.logs()); i++) await new Promise((r) => setTimeout(r, 100));
  return server.logs();
}

async function v2(url: string, user: string, password: string): Promise<number> {
  const res = await fetch(`${url}/v2/`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
  await res.arrayBuffer();
  return res.status;
}

describe('the first administrator', { timeout: 300_000 }, () => {
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('a start that fails (the port is taken) makes no administrator; the next start makes one and prints its password and how to reset it', async () => {
    const data = await dataDir();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const failed = await berth(['serve', '--listen', `127.0.0.1:${port}`, '--data', data, '--auth', 'builtin']);
      assert.notEqual(failed.code, 0, `serve on a taken port must fail:\n${failed.stdout}\n${failed.stderr}`);
      assert.doesNotMatch(failed.stdout, /password:/);
      assert.deepEqual(await userNames(data), [], 'no administrator was made');
    } finally {
      blocker.close();
    }
    const server = await startBerth({ auth: 'builtin', dataDir: data });
    try {
      const out = server.logs();
      const password = /password: (\S+)/.exec(out)?.[1];
      assert.ok(password, `the password is printed:\n${out}`);
      assert.match(out, /berth user passwd admin --password-stdin --data /, 'and how to reset it');
      assert.equal(await v2(server.url, 'admin', password), 200);
    } finally {
      await server.stop();
    }
    const again = await startBerth({ auth: 'builtin', dataDir: data });
    try {
      assert.doesNotMatch(again.logs(), /password:/, 'not printed again');
    } finally {
      await again.stop();
    }
  });

  it('users added offline before the first start: the administrator is still made, with BERTH_ADMIN_PASSWORD', async () => {
    const data = await dataDir();
    ok(await berth(['user', 'add', 'alice', '--data', data, '--password-stdin'], { stdin: 'alice-password\n' }));
    const server = await startBerth({ auth: 'builtin', dataDir: data, env: { BERTH_ADMIN_PASSWORD: 'chosen-admin-pw' } });
    try {
      assert.match(server.logs(), /Created the administrator account admin with the password from BERTH_ADMIN_PASSWORD/);
      assert.doesNotMatch(server.logs(), /chosen-admin-pw/, 'the password itself is not printed');
      assert.equal(await v2(server.url, 'admin', 'chosen-admin-pw'), 200);
      // The administrator can push to library.
      const start = await fetch(`${server.url}/v2/library/x/blobs/uploads/`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('admin:chosen-admin-pw').toString('base64')}` } });
      assert.equal(start.status, 202);
    } finally {
      await server.stop();
    }
    // A later start with another password says that it was not used, and changes nothing.
    const later = await startBerth({ auth: 'builtin', dataDir: data, env: { BERTH_ADMIN_PASSWORD: 'another-password' } });
    try {
      assert.match(await logged(later, /ignored/), /BERTH_ADMIN_PASSWORD is set, but an administrator exists already, so it was ignored/);
      assert.equal(await v2(later.url, 'admin', 'chosen-admin-pw'), 200);
      assert.equal(await v2(later.url, 'admin', 'another-password'), 401);
    } finally {
      await later.stop();
    }
  });

  it('when the name admin is taken and no administrator exists, the start says so loudly and how to make one', async () => {
    const data = await dataDir();
    ok(await berth(['user', 'add', 'bob', '--data', data, '--password-stdin'], { stdin: 'bob-password\n' }));
    ok(await berth(['project', 'create', 'admin', '--data', data]));
    const server = await startBerth({ auth: 'builtin', dataDir: data, env: { BERTH_ADMIN_PASSWORD: 'unused-password' } });
    try {
      assert.match(await logged(server, /WARNING/), /WARNING: no administrator exists, and the name admin is already taken/);
      assert.match(server.logs(), /berth user update NAME --admin --data /);
      assert.deepEqual(await userNames(data), [{ name: 'bob', admin: false }]);
    } finally {
      await server.stop();
    }
    ok(await berth(['user', 'update', 'bob', '--admin', '--data', data]));
    const fixed = await startBerth({ auth: 'builtin', dataDir: data });
    try {
      assert.doesNotMatch(fixed.logs(), /WARNING/);
      assert.deepEqual(await userNames(data), [{ name: 'bob', admin: true }]);
    } finally {
      await fixed.stop();
    }
  });
});
