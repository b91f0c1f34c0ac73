// A real OpenLDAP server for tests (Debian's slapd; issue 19): started in a temp directory on a
// free loopback port, from a slapd.conf written here (mdb database, dc=example,dc=org, rootdn
// cn=admin,dc=example,dc=org with the password "secret"), loaded with an LDIF fixture through
// slapadd before it starts. Needs nothing of the package's own service: no /etc/ldap/slapd.d,
// no systemd, no root. With tls: also ldaps:// on a second port, with a self-signed certificate
// for 127.0.0.1 whose PEM is `caFile`. A missing slapd fails, naming the packages.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Attribute, Change } from 'ldapts';

export const BASE_DN = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${BASE_DN}`;
export const ROOT_PASSWORD = 'secret';
export const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'ldap', 'directory.ldif');

const SLAPD = '/usr/sbin/slapd';
const SLAPADD = '/usr/sbin/slapadd';

export interface Slapd {
  readonly url: string;
  /** ldaps:// URL, with tls. */
  readonly ldapsUrl?: string;
  /** The PEM of the self-signed certificate, with tls. */
  readonly caFile?: string;
  readonly dir: string;
  /** Runs changes as the root DN (e.g. moving a user out of a group). */
  modify(dn: string, changes: { operation: 'add' | 'delete' | 'replace'; type: string; values: string[] }[]): Promise<void>;
  remove(dn: string): Promise<void>;
  stop(): Promise<void>;
}

export function requireSlapd(): void {
  if (!existsSync(SLAPD) || !existsSync(SLAPADD)) {
    throw new Error('slapd is not installed: the LDAP tests need Debian\'s slapd and ldap-utils (scripts/install-tools.sh installs them: apt-get install slapd ldap-utils)');
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startSlapd(options: { ldif?: string; tls?: boolean } = {}): Promise<Slapd> {
  requireSlapd();
  const dir = await mkdtemp(join(tmpdir(), 'berth-slapd-'));
  await mkdir(join(dir, 'db'));
  let tlsLines = '';
  let caFile: string | undefined;
  if (options.tls) {
    caFile = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl could not make the test certificate: ${r.stderr}`);
    tlsLines = `TLSCertificateFile ${caFile}\nTLSCertificateKeyFile ${key}\n`;
  }
  const conf = join(dir, 'slapd.conf');
  await writeFile(conf, [
    'include /etc/ldap/schema/core.schema',
    'include /etc/ldap/schema/cosine.schema',
    'include /etc/ldap/schema/inetorgperson.schema',
    'include /etc/ldap/schema/nis.schema',
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `pidfile ${join(dir, 'slapd.pid')}`,
    `argsfile ${join(dir, 'slapd.args')}`,
    tlsLines,
    'database mdb',
    'maxsize 33554432',
    `suffix "${BASE_DN}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ROOT_PASSWORD}`,
    `directory ${join(dir, 'db')}`,
    // Users read their own entry; nobody but the root DN reads passwords except to bind.
    'access to attrs=userPassword by anonymous auth by * none',
    'access to * by * read',
    '',
  ].join('\n'));
  const add = spawnSync(SLAPADD, ['-f', conf, '-l', options.ldif ?? FIXTURE], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed (${add.status}): ${add.stderr}`);
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const tlsPort = options.tls ? await freePort() : undefined;
  const ldapsUrl = tlsPort ? `ldaps://127.0.0.1:${tlsPort}` : undefined;
  const urls = [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(' ');
  const child: ChildProcess = spawn(SLAPD, ['-f', conf, '-h', urls, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  const admin = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    const c = new Client({ url, timeout: 5000, connectTimeout: 5000 });
    try {
      await c.bind(ROOT_DN, ROOT_PASSWORD);
      return await fn(c);
    } finally {
      await c.unbind().catch(() => {});
    }
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${child.exitCode}): ${stderr}`);
    try {
      await admin(async (c) => c.search(BASE_DN, { scope: 'base' }));
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`slapd did not answer on ${url} within 15 s: ${String(error)}; ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url, dir,
    ...(ldapsUrl ? { ldapsUrl } : {}),
    ...(caFile ? { caFile } : {}),
    modify: (dn, changes) => admin(async (c) => {
      await c.modify(dn, changes.map((ch) => new Change({ operation: ch.operation, modification: new Attribute({ type: ch.type, values: ch.values }) })));
    }),
    remove: (dn) => admin(async (c) => { await c.del(dn); }),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Reads a file (for tests that print the generated config on failure). */
export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
