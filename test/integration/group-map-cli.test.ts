// berth group-map add|list|remove (issue 19), as the issue's Interface gives them: against a
// running server with --url and --user, and offline on the data directory with --config. The
// mapping made through the CLI is the one a directory sign-in applies (slapd, the fixture's
// alice in "developers").
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { stringify } from 'yaml';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { startSlapd, type Slapd } from '../helpers/slapd.ts';

const ADMIN_PASSWORD = 'gm-cli-Admin-pa55';

describe('berth group-map', { timeout: 180_000 }, () => {
  let slapd: Slapd;
  let server: BerthProcess;
  let dir: string;
  let configFile: string;
  const env = { BERTH_PASSWORD: ADMIN_PASSWORD };

  before(async () => {
    slapd = await startSlapd();
    dir = await mkdtemp(join(tmpdir(), 'berth-gm-'));
    const config = {
      storage: { dataDir: join(dir, 'data') },
      auth: {
        providers: [{
          name: 'corp', type: 'ldap', url: slapd.url, bindDN: 'cn=admin,dc=example,dc=org', bindPassword: 'secret',
          userBase: 'ou=people,dc=example,dc=org', groupBase: 'ou=groups,dc=example,dc=org',
        }],
      },
    };
    configFile = join(dir, 'berth.yaml');
    await writeFile(configFile, stringify(config));
    server = await startBerth({ auth: 'builtin', dataDir: join(dir, 'data'), config, env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    const res = await fetch(`${server.url}/api/v1/projects`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gmteam' }),
    });
    assert.equal(res.status, 201);
  });
  after(async () => {
    await server?.stop();
    await slapd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('add, list and remove with --url and --user; the mapping applies at the next sign-in', async () => {
    const url = ['--url', server.url, '--user', 'admin'];
    const added = ok(await berth(['group-map', 'add', 'gmteam', 'developers', '--role', 'developer', '--provider', 'corp', ...url], { env }));
    assert.match(added.stdout, /developers \(corp\) are developers of gmteam/);
    const list = JSON.parse(ok(await berth(['group-map', 'list', 'gmteam', ...url, '--json'], { env })).stdout) as { provider: string; group: string; project: string; role: string }[];
    assert.deepEqual(list.map((m) => `${m.provider}:${m.group}:${m.project}:${m.role}`), ['corp:developers:gmteam:developer']);

    const token = async () => {
      const r = await fetch(`${server.url}/auth/token?service=berth&scope=repository:gmteam/app:pull,push`, { headers: { authorization: `Basic ${Buffer.from('alice:alice-directory-pw').toString('base64')}` } });
      assert.equal(r.status, 200);
      const access = (decodeJwt(String(((await r.json()) as { token: string }).token)).access ?? []) as { actions: string[] }[];
      return access.flatMap((a) => a.actions).sort();
    };
    assert.deepEqual(await token(), ['pull', 'push']);

    ok(await berth(['group-map', 'remove', 'gmteam', 'developers', '--provider', 'corp', ...url], { env }));
    assert.match(ok(await berth(['group-map', 'list', 'gmteam', ...url], { env })).stdout, /No group mappings in gmteam/);
    assert.deepEqual(await token(), [], 'the membership the mapping made went at the next sign-in');
  });

  it('refuses an unknown provider or role, naming the valid ones', async () => {
    const url = ['--url', server.url, '--user', 'admin'];
    const badProvider = await berth(['group-map', 'add', 'gmteam', 'developers', '--role', 'developer', '--provider', 'nosuch', ...url], { env });
    assert.notEqual(badProvider.code, 0);
    assert.match(badProvider.stderr, /no provider named nosuch; the configured ones \(auth.providers\) are corp/);
    const badRole = await berth(['group-map', 'add', 'gmteam', 'developers', '--role', 'boss', '--provider', 'corp', ...url], { env });
    assert.notEqual(badRole.code, 0);
    assert.match(badRole.stderr, /--role boss is not a role/);
  });

  it('works offline on the data directory with --config, and lists every mapping with add-admin', async () => {
    ok(await berth(['group-map', 'add', 'gmteam', 'guests', '--role', 'guest', '--provider', 'corp', '--config', configFile]));
    ok(await berth(['group-map', 'add-admin', 'registry-admins', '--provider', 'corp', '--config', configFile]));
    const all = JSON.parse(ok(await berth(['group-map', 'list', '--config', configFile, '--json'])).stdout) as { group: string; project: string | null; role: string }[];
    assert.deepEqual(all.map((m) => `${m.group}:${m.project}:${m.role}`).sort(), ['guests:gmteam:guest', 'registry-admins:null:admin']);
    ok(await berth(['group-map', 'remove-admin', 'registry-admins', '--provider', 'corp', '--config', configFile]));
    const missing = await berth(['group-map', 'remove', 'gmteam', 'nosuch', '--provider', 'corp', '--config', configFile]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no mapping of group nosuch/);
  });
});
