// The `berth` command line: config check/schema, and serve's precedence of flags over the file.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startBerth } from '../helpers/berth-process.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'berth.mjs');

function berth(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('berth config', () => {
  let dir: string;
  after(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it('check accepts the commented example config', () => {
    const r = berth(['config', 'check', resolve(import.meta.dirname, '..', '..', 'config', 'berth.example.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok/);
  });

  it('check rejects unknown keys and bad values, naming each key', async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-cli-'));
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'server:\n  listen: ":5000"\n  colour: blue\nauth:\n  mode: ldap\nextra: 1\n');
    const r = berth(['config', 'check', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /server\.colour: unknown key/);
    assert.match(r.stderr, /auth\.mode: .*none.*htpasswd/);
    assert.match(r.stderr, /extra: unknown key/);
  });

  it('check applies BERTH_<SECTION>_<KEY> overrides and rejects a bad one', async () => {
    dir ??= await mkdtemp(join(tmpdir(), 'berth-cli-'));
    const file = join(dir, 'good.yaml');
    await writeFile(file, 'log:\n  level: warn\n');
    assert.equal(berth(['config', 'check', file]).code, 0);
    const r = berth(['config', 'check', file], { BERTH_LIMITS_MANIFEST_MAX_BYTES: 'lots' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /BERTH_LIMITS_MANIFEST_MAX_BYTES: expected a number/);
  });

  it('schema prints a JSON Schema that knows every section', () => {
    const r = berth(['config', 'schema']);
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, { properties: Record<string, unknown> }> };
    assert.deepEqual(Object.keys(schema.properties).sort(), ['auth', 'database', 'gc', 'limits', 'log', 'notifications', 'proxy', 'scan', 'server', 'storage']);
    assert.ok(schema.properties.scan!.properties.maxFeedAgeHours);
    assert.ok(schema.properties.auth!.properties.mode);
    assert.ok(schema.properties.auth!.properties.providers, 'auth.providers (LDAP, OIDC) is in the schema');
    assert.ok(schema.properties.storage!.properties.dataDir);
    assert.ok(schema.properties.proxy!.properties.mirror, 'proxy.mirror (transparent mirror mode)');
  });

  it('serve refuses an invalid config file and says which key is wrong', async () => {
    dir ??= await mkdtemp(join(tmpdir(), 'berth-cli-'));
    const file = join(dir, 'typo.yaml');
    await writeFile(file, 'storage:\n  datadir: /tmp/x\n');
    const r = berth(['serve', '--config', file, '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /storage\.datadir: unknown key/);
    assert.match(r.stderr, /berth config schema/);
  });
});

describe('berth serve precedence', () => {
  it('flags override the config file, which overrides the defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-prec-'));
    // The file asks for htpasswd with a file that does not exist; the --auth flag (none) wins.
    const server = await startBerth({
      dataDir: join(dir, 'data'),
      auth: 'none',
      config: { auth: { mode: 'htpasswd', htpasswdFile: join(dir, 'missing') }, limits: { manifestMaxBytes: 2048 } },
    });
    try {
      const base = await fetch(`${server.url}/v2/`);
      assert.equal(base.status, 200, 'the --auth none flag overrides the file');
      // The file's manifest limit (2048) is in force: a 3000-byte manifest is too large.
      const res = await fetch(`${server.url}/v2/a/b/manifests/t`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
        body: JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(3000) }),
      });
      assert.equal(res.status, 413);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
