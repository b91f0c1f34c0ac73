// HTTPS on the registry port: `berth serve --tls-cert --tls-key` serves with verification on, a
// renewed certificate is picked up on SIGHUP without a restart, and half a TLS setup is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { berth } from '../helpers/berth-cli.ts';
import { startBerth } from '../helpers/berth-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, and a server certificate for 127.0.0.1 signed by it, with the given serial. */
function makeCerts(serial: string): { ca: string; cert: string; key: string } {
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  if (serial === '01') {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=Berth test CA']);
  }
  const key = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const cert = join(dir, 'server.crt');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-set_serial', `0x${serial}`, '-days', '2', '-out', cert, '-extfile', join(dir, 'ext.cnf')]);
  return { ca, cert, key };
}

function get(url: string, ca: string): Promise<{ status: number; serial: string }> {
  return new Promise((res, rej) => {
    const req = request(url, { ca: execFileSync('cat', [ca]), agent: false }, (r) => {
      const serial = (r.socket as TLSSocket).getPeerCertificate().serialNumber;
      r.resume();
      r.on('end', () => res({ status: r.statusCode ?? 0, serial }));
    });
    req.on('error', rej);
    req.end();
  });
}

describe('TLS on the registry port', () => {
  it('serves HTTPS that verifies against the CA, and reloads a renewed certificate on SIGHUP', async () => {
    const first = makeCerts('01');
    const b = await startBerth({ config: { server: { tls: { certFile: first.cert, keyFile: first.key } } } });
    try {
      assert.match(b.url, /^https:\/\//);
      const r = await get(`${b.url}/v2/`, first.ca);
      assert.equal(r.status, 200);
      assert.equal(r.serial, '01');
      // Plain HTTP on the TLS port gets no registry answer.
      await assert.rejects(fetch(`http://127.0.0.1:${b.port}/v2/`));

      makeCerts('02');
      b.child.kill('SIGHUP');
      let serial = '';
      for (let i = 0; i < 50 && serial !== '02'; i++) {
        await new Promise((r2) => setTimeout(r2, 100));
        serial = (await get(`${b.url}/v2/`, first.ca)).serial;
      }
      assert.equal(serial, '02', 'the renewed certificate is served after SIGHUP');
      assert.match(b.logs(), /TLS certificate reloaded/);
    } finally {
      await b.stop();
    }
  });

  it('BERTH_SERVER_TLS_* variables serve HTTPS too, and --tls-cert without --tls-key is refused', async () => {
    const c = makeCerts('01');
    const data = mkdtempSync(join(dir, 'data-'));
    const env = { BERTH_SERVER_TLS_CERT_FILE: c.cert, BERTH_SERVER_TLS_KEY_FILE: c.key };
    const b = await startBerth({ dataDir: data, env });
    try {
      assert.equal((await get(`${b.url}/v2/`, c.ca)).status, 200);
    } finally {
      await b.stop();
    }
    const half = await berth(['serve', '--listen', '127.0.0.1:0', '--data', data, '--auth', 'none', '--tls-cert', c.cert]);
    assert.equal(half.code, 1);
    assert.match(half.stderr, /keyFile is missing \(give both --tls-cert and --tls-key\)/);
  });
});
