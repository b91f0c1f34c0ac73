// `berth tls selfsigned --host NAME --out DIR` (issue 16's interface): a private CA and a server
// certificate that clients verify against it, private keys 0600, nothing overwritten without
// --force, and a renewal that keeps the CA so trusting clients need no change.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth } from '../helpers/berth-process.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-selfsigned-'));
after(() => rmSync(root, { recursive: true, force: true }));

const opensslText = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

function get(url: string, ca: Buffer, servername?: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request(url, { ca, agent: false, ...(servername ? { servername, headers: { host: servername } } : {}) }, (r) => { r.resume(); r.on('end', () => res(r.statusCode ?? 0)); });
    req.on('error', rej);
    req.end();
  });
}

describe('berth tls selfsigned', () => {
  const out = join(root, 'tls');

  it('writes ca.crt, server.crt and server.key (keys 0600) and says how to serve and trust them', async () => {
    const r = ok(await berth(['tls', 'selfsigned', '--host', 'registry.internal', '--host', '127.0.0.1', '--out', out]));
    for (const f of ['ca.crt', 'server.crt', 'server.key', 'ca.key']) assert.ok(existsSync(join(out, f)), f);
    assert.equal(statSync(join(out, 'server.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(out, 'ca.key')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(out).filter((f) => f.startsWith('.')), [], 'no work folder left behind');
    assert.match(r.stdout, /berth serve --tls-cert \S+server\.crt --tls-key \S+server\.key/);
    assert.match(r.stdout, /\/etc\/docker\/certs\.d\/registry\.internal:5000\/ca\.crt/);
    assert.match(r.stdout, /\/etc\/containers\/certs\.d\/registry\.internal:5000/);
    assert.match(r.stdout, /--cert-dir/);
    // openssl agrees: the server certificate chains to the CA, for the names given, for a server.
    assert.match(opensslText(['verify', '-CAfile', join(out, 'ca.crt'), '-purpose', 'sslserver', join(out, 'server.crt')]), /OK/);
    const text = opensslText(['x509', '-in', join(out, 'server.crt'), '-noout', '-text']);
    assert.match(text, /DNS:registry\.internal, IP Address:127\.0\.0\.1/);
    assert.match(text, /CA:FALSE/);
    assert.match(opensslText(['x509', '-in', join(out, 'ca.crt'), '-noout', '-text']), /CA:TRUE/);
  });

  it('berth serve uses the pair, and a client verifies it against ca.crt under either name', async () => {
    const server = await startBerth({ auth: 'none', env: { BERTH_SERVER_TLS_CERT_FILE: join(out, 'server.crt'), BERTH_SERVER_TLS_KEY_FILE: join(out, 'server.key'), BERTH_SCAN_ENABLED: 'false' } });
    try {
      assert.ok(server.url.startsWith('https://'), server.url);
      const ca = readFileSync(join(out, 'ca.crt'));
      assert.equal(await get(`${server.url}/v2/`, ca), 200);
      assert.equal(await get(`${server.url}/v2/`, ca, 'registry.internal'), 200);
      await assert.rejects(get(`${server.url}/v2/`, ca, 'other.internal'), /altnames|Hostname/i, 'a name not in the certificate fails verification');
    } finally {
      await server.kill();
    }
  });

  it('refuses to overwrite without --force; --force renews the server certificate and keeps the CA', async () => {
    const caBefore = readFileSync(join(out, 'ca.crt'), 'utf8');
    const certBefore = readFileSync(join(out, 'server.crt'), 'utf8');
    const refused = await berth(['tls', 'selfsigned', '--host', 'registry.internal', '--out', out]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /exists? already; nothing was written\nAdd --force/);
    assert.equal(readFileSync(join(out, 'server.crt'), 'utf8'), certBefore);
    const renewed = ok(await berth(['tls', 'selfsigned', '--host', 'registry.internal', '--out', out, '--force']));
    assert.match(renewed.stdout, /^Kept the CA/);
    assert.equal(readFileSync(join(out, 'ca.crt'), 'utf8'), caBefore, 'the CA is kept');
    assert.notEqual(readFileSync(join(out, 'server.crt'), 'utf8'), certBefore, 'a new server certificate');
    assert.match(opensslText(['verify', '-CAfile', join(out, 'ca.crt'), join(out, 'server.crt')]), /OK/);
  });

  it('refuses what is not a host name, and a missing --host, saying what to give', async () => {
    const bad = await berth(['tls', 'selfsigned', '--host', 'https://registry.internal:5000', '--out', join(root, 'bad')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /neither a DNS name nor an IP address\nGive the name clients use/);
    assert.ok(!existsSync(join(root, 'bad', 'server.key')));
    const none = await berth(['tls', 'selfsigned', '--out', join(root, 'none')]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /--host/);
  });
});
