// Issue 16: the real clients with TLS verification on. skopeo, podman and buildah log in, push and
// pull with --tls-verify=true, trusting only the CA that `berth tls selfsigned` made:
// - against Berth's own TLS (berth serve with the certificate pair);
// - through Debian's nginx, and through haproxy, terminating TLS in front of a plain-HTTP Berth
//   that trusts them (server.trustProxy), with the configurations docs/deploy.md gives, read
//   from that page.
// The token realm is HTTPS too, so the clients verify the CA twice: registry and token endpoint.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout, type ImageFixture } from './helpers/fixtures.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const ADMIN_PASSWORD = 'tls-e2e-Admin-pw';
const DOCS = resolve(import.meta.dirname, '..', '..', 'docs', 'deploy.md');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The fenced block that follows `<!-- tested: NAME -->` in docs/deploy.md. */
async function documentedConfig(name: string): Promise<string> {
  const text = await readFile(DOCS, 'utf8');
  const marker = text.indexOf(`<!-- tested: ${name} -->`);
  assert.ok(marker >= 0, `docs/deploy.md has no "<!-- tested: ${name} -->" block`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(marker));
  assert.ok(block, `no fenced block after the ${name} marker`);
  return block[1]!;
}

/** Replaces each documented value, failing when the documentation no longer has it. */
function adapt(config: string, replacements: [string, string][]): string {
  let out = config;
  for (const [from, to] of replacements) {
    assert.ok(out.includes(from), `the documented configuration no longer contains ${JSON.stringify(from)}`);
    out = out.split(from).join(to);
  }
  return out;
}

interface Proxy { readonly host: string; readonly logs: () => string; stop(): Promise<void> }

/** Starts a process and waits until a TLS handshake on the port succeeds with the CA. */
async function startProxy(cmd: string, args: string[], port: number, ca: Buffer): Promise<Proxy> {
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited with ${child.exitCode}:\n${output}`);
    try {
      const status = await httpsGet(`https://127.0.0.1:${port}/v2/`, ca);
      if (status.status > 0) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`${cmd} did not answer on ${port} within 15 s:\n${output}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: `127.0.0.1:${port}`,
    logs: () => output,
    async stop() { if (child.exitCode === null) child.kill('SIGTERM'); await exited; },
  };
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; challenge: string }> {
  return new Promise((res, rej) => {
    const req = request(url, { ca, agent: false, timeout: 5000 }, (r) => {
      r.resume();
      r.on('end', () => res({ status: r.statusCode ?? 0, challenge: String(r.headers['www-authenticate'] ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', rej);
    req.end();
  });
}

describe('registry clients with --tls-verify=true', { timeout: 1_500_000 }, () => {
  let client: ClientEnv;
  let tlsDir: string;
  let certDir: string;
  let ca: Buffer;
  let busybox: ImageFixture;
  let direct: BerthProcess;
  let plain: BerthProcess;
  const proxies: Proxy[] = [];
  const targets: { name: string; host: string }[] = [];

  before(async () => {
    requireTools('skopeo', 'podman', 'buildah', 'nginx', 'haproxy', 'openssl', 'tar', 'busybox');
    // The client env's registries.conf marks its host insecure; these hosts must not be in it.
    client = await createClientEnv('unused.invalid:1');
    await writeFile(client.registriesConf, 'unqualified-search-registries = []\n');
    tlsDir = await client.scratch('tls');
    ok(await berth(['tls', 'selfsigned', '--host', '127.0.0.1', '--host', 'localhost', '--out', tlsDir]));
    ca = await readFile(join(tlsDir, 'ca.crt'));
    // --cert-dir: only the CA (a server.key there would be read as a client key).
    certDir = await client.scratch('certs');
    await copyFile(join(tlsDir, 'ca.crt'), join(certDir, 'ca.crt'));
    busybox = await buildBusyboxLayout(await client.scratch('busybox'));

    const env = { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_SCAN_ENABLED: 'false' };
    direct = await startBerth({ auth: 'builtin', env: { ...env, BERTH_SERVER_TLS_CERT_FILE: join(tlsDir, 'server.crt'), BERTH_SERVER_TLS_KEY_FILE: join(tlsDir, 'server.key') } });
    targets.push({ name: 'Berth TLS', host: direct.host });
    plain = await startBerth({ auth: 'builtin', env: { ...env, BERTH_SERVER_TRUST_PROXY: '127.0.0.1' } });

    // nginx, with the server block from docs/deploy.md inside a minimal main configuration.
    const nginxDir = await client.scratch('nginx');
    for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(nginxDir, d));
    const nginxPort = await freePort();
    const server = adapt(await documentedConfig('nginx'), [
      ['listen 443 ssl;', `listen 127.0.0.1:${nginxPort} ssl;`],
      ['/etc/berth/tls/server.crt', join(tlsDir, 'server.crt')],
      ['/etc/berth/tls/server.key', join(tlsDir, 'server.key')],
      ['http://127.0.0.1:5000', plain.url],
    ]);
    await writeFile(join(nginxDir, 'nginx.conf'), [
      // Workers of a root master run as nobody, who cannot enter the test's private temp dir.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      'daemon off;', 'worker_processes 1;', `pid ${join(nginxDir, 'nginx.pid')};`, `error_log ${join(nginxDir, 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${join(nginxDir, 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${join(nginxDir, k === 'client_body' ? 'body' : k)};`),
      server,
      '}', '',
    ].join('\n'));
    const nginx = await startProxy('nginx', ['-p', nginxDir, '-e', join(nginxDir, 'startup.log'), '-c', join(nginxDir, 'nginx.conf')], nginxPort, ca);
    proxies.push(nginx);
    targets.push({ name: 'nginx', host: nginx.host });

    // haproxy, with the documented haproxy.cfg; it takes the certificate and key in one file.
    const pem = join(tlsDir, 'server.pem');
    await writeFile(pem, Buffer.concat([await readFile(join(tlsDir, 'server.crt')), await readFile(join(tlsDir, 'server.key'))]), { mode: 0o600 });
    const haproxyPort = await freePort();
    const cfg = join(await client.scratch('haproxy'), 'haproxy.cfg');
    await writeFile(cfg, adapt(await documentedConfig('haproxy'), [
      ['bind :443 ssl crt /etc/berth/tls/server.pem', `bind 127.0.0.1:${haproxyPort} ssl crt ${pem}`],
      ['server berth 127.0.0.1:5000', `server berth ${plain.host}`],
    ]));
    const haproxy = await startProxy('haproxy', ['-db', '-f', cfg], haproxyPort, ca);
    proxies.push(haproxy);
    targets.push({ name: 'haproxy', host: haproxy.host });
  });

  after(async () => {
    if (client) await client.exec('buildah', ['rm', '--all']);
    for (const p of proxies) await p.stop();
    await direct?.stop();
    await plain?.stop();
    await client?.cleanup();
  });

  const tls = ['--tls-verify=true'];
  const skopeo = (args: string[]) => client.run('skopeo', args);

  it('without the CA, verification fails: the clients do not fall back to trusting anything', T, async () => {
    for (const t of targets) {
      const r = await client.exec('skopeo', ['inspect', ...tls, '--creds', `admin:${ADMIN_PASSWORD}`, `docker://${t.host}/library/none:1`]);
      assert.notEqual(r.code, 0, `${t.name}: must not connect without the CA`);
      assert.match(r.stderr, /x509: certificate signed by unknown authority/, `${t.name}: ${r.stderr}`);
    }
  });

  it('through a proxy, the challenge names the address the client used, over HTTPS', T, async () => {
    for (const t of targets) {
      const r = await httpsGet(`https://${t.host}/v2/`, ca);
      assert.equal(r.status, 401, t.name);
      assert.equal(r.challenge, `Bearer realm="https://${t.host}/auth/token",service="berth"`, t.name);
    }
  });

  it('skopeo logs in, copies an image in and out, and the digests match', T, async () => {
    for (const t of targets) {
      const ref = `docker://${t.host}/library/tls-e2e:1`;
      await client.run('skopeo', ['login', ...tls, '--cert-dir', certDir, '-u', 'admin', '--password-stdin', t.host], { input: `${ADMIN_PASSWORD}\n` });
      await skopeo(['copy', '--dest-tls-verify=true', '--dest-cert-dir', certDir, busybox.source, ref]);
      const seen = JSON.parse((await skopeo(['inspect', ...tls, '--cert-dir', certDir, ref])).stdout) as { Digest: string; Layers: string[] };
      assert.equal(seen.Digest, busybox.manifestDigest, `${t.name}: the pushed manifest`);
      const back = await client.scratch('back');
      await skopeo(['copy', '--src-tls-verify=true', '--src-cert-dir', certDir, ref, `oci:${back}:copy`]);
      const index = JSON.parse(await readFile(join(back, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      assert.equal(index.manifests[0]?.digest, busybox.manifestDigest, `${t.name}: pulled back byte for byte`);
    }
  });

  it('podman logs in, pulls what skopeo pushed and pushes it under a new tag', T, async () => {
    for (const t of targets) {
      const ref = `${t.host}/library/tls-e2e`;
      await client.run('podman', ['login', ...tls, '--cert-dir', certDir, '-u', 'admin', '--password-stdin', t.host], { input: `${ADMIN_PASSWORD}\n` });
      await client.run('podman', ['pull', ...tls, '--cert-dir', certDir, `${ref}:1`]);
      await client.run('podman', ['tag', `${ref}:1`, `${ref}:podman`]);
      await client.run('podman', ['push', ...tls, '--cert-dir', certDir, `${ref}:podman`]);
      const a = JSON.parse((await skopeo(['inspect', ...tls, '--cert-dir', certDir, `docker://${ref}:podman`])).stdout) as { Layers: string[] };
      assert.deepEqual(a.Layers, busybox.layerDigests, `${t.name}: podman pushed the same layers`);
      await client.run('podman', ['rmi', '-f', `${ref}:1`, `${ref}:podman`]);
    }
  });

  it('buildah builds from what is there, pushes, and pulls it back', T, async () => {
    for (const t of targets) {
      const ref = `${t.host}/library/tls-e2e`;
      const ctr = (await client.run('buildah', ['from', ...tls, '--cert-dir', certDir, `docker://${ref}:1`])).stdout.trim();
      await client.run('buildah', ['config', '--label', `berth.e2e.tls=${t.name}`, ctr]);
      await client.run('buildah', ['commit', '--format', 'oci', ctr, `${ref}:buildah`]);
      await client.run('buildah', ['push', ...tls, '--cert-dir', certDir, `${ref}:buildah`, `docker://${ref}:buildah`]);
      await client.run('buildah', ['rm', ctr]);
      await client.run('buildah', ['rmi', '-f', `${ref}:buildah`]);
      await client.run('buildah', ['pull', ...tls, '--cert-dir', certDir, `docker://${ref}:buildah`]);
      const config = JSON.parse((await skopeo(['inspect', ...tls, '--cert-dir', certDir, '--config', `docker://${ref}:buildah`])).stdout) as { config?: { Labels?: Record<string, string> } };
      assert.equal(config.config?.Labels?.['berth.e2e.tls'], t.name, `${t.name}: the label buildah set`);
    }
  });

  it('a 24 MiB blob in one PUT passes each proxy: no size limit, and it arrives whole', T, async () => {
    const big = Buffer.alloc(24 * 1024 * 1024, 7);
    const digest = `sha256:${createHash('sha256').update(big).digest('hex')}`;
    for (const t of targets) {
      const token = await tokenFor(t.host, 'repository:library/tls-big:pull,push');
      const start = await fetchTls(`https://${t.host}/v2/library/tls-big/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(start.status, 202, `${t.name}: POST upload`);
      const location = new URL(start.headers.location!, `https://${t.host}`);
      location.searchParams.set('digest', digest);
      const put = await fetchTls(location.toString(), { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(big.length) }, body: big });
      assert.equal(put.status, 201, `${t.name}: PUT ${put.body}`);
      const head = await fetchTls(`https://${t.host}/v2/library/tls-big/blobs/${digest}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
      assert.equal(head.headers['content-length'], String(big.length), t.name);
    }
  });

  async function tokenFor(host: string, scope: string): Promise<string> {
    const r = await fetchTls(`https://${host}/auth/token?service=berth&scope=${encodeURIComponent(scope)}`, { headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` } });
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { token: string }).token;
  }

  function fetchTls(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; headers: Record<string, string | undefined>; body: string }> {
    return new Promise((res, rej) => {
      const req = request(url, { ca, agent: false, method: init.method ?? 'GET', headers: init.headers ?? {} }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => { body += c.toString(); });
        r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers as Record<string, string | undefined>, body }));
      });
      req.on('error', rej);
      req.end(init.body);
    });
  }
});
