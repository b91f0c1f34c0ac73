// Test helpers: keys made with node:crypto, and X.509 certificates made with the real openssl CLI
// (`openssl ca`, which takes exact start and end dates), in a temporary directory. A missing tool
// is installed from Debian's packages when the tests run as root, or the test fails naming it.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const checked = new Set<string>();

/** Makes sure `cmd` runs; installs Debian's `pkg` if it does not and we are root; else throws naming it. */
export function requireTool(cmd: string, pkg: string, versionArgs: readonly string[] = ['--version']): void {
  if (checked.has(cmd)) return;
  const works = () => spawnSync(cmd, versionArgs, { stdio: 'ignore' }).status === 0;
  if (!works() && process.getuid?.() === 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  if (!works()) throw new Error(`${cmd} is missing: install Debian's ${pkg} package (apt-get install ${pkg})`);
  checked.add(cmd);
}

export type KeyKind = 'p256' | 'p384' | 'p521' | 'rsa2048' | 'rsa3072' | 'rsa4096' | 'ed25519' | 'secp256k1' | 'rsa1024';

export interface KeyPair {
  readonly privatePem: string;
  readonly publicPem: string;
}

export function keyPair(kind: KeyKind): KeyPair {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const curve = { p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1', secp256k1: 'secp256k1' } as const;
  const rsa = { rsa2048: 2048, rsa3072: 3072, rsa4096: 4096, rsa1024: 1024 } as const;
  const k = kind === 'ed25519'
    ? generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding })
    : kind in curve
      ? generateKeyPairSync('ec', { namedCurve: curve[kind as keyof typeof curve], publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('rsa', { modulusLength: rsa[kind as keyof typeof rsa], publicKeyEncoding, privateKeyEncoding });
  return { privatePem: k.privateKey, publicPem: k.publicKey };
}

export interface Issued {
  readonly pem: string;
  readonly der: Buffer;
  readonly key: KeyPair;
}

export interface IssueOptions {
  /** openssl -subj form, e.g. '/O=Berth tests/CN=root'. */
  readonly subject: string;
  readonly key: KeyPair;
  /** The issuing certificate; self-signed when absent. */
  readonly issuer?: Issued;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** openssl x509v3 extension lines, e.g. 'basicConstraints = critical, CA:TRUE'. */
  readonly extensions: readonly string[];
}

const asn1Time = (d: Date) => d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z'); // YYYYMMDDHHMMSSZ

export const CA_EXTENSIONS = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid:always'];

export class Pki {
  private readonly dir = mkdtempSync(join(tmpdir(), 'berth-pki-'));
  private n = 0;

  constructor() {
    requireTool('openssl', 'openssl', ['version']);
    mkdirSync(join(this.dir, 'new'));
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'index.txt.attr'), 'unique_subject = no\n');
    writeFileSync(join(this.dir, 'serial'), '1000\n');
    writeFileSync(join(this.dir, 'tsaserial'), '01\n');
    writeFileSync(join(this.dir, 'ca.cnf'), [
      '[ca]', 'default_ca = here', '[here]', `dir = ${this.dir}`, 'database = $dir/index.txt', 'new_certs_dir = $dir/new',
      'serial = $dir/serial', 'default_md = sha256', 'policy = anything', 'unique_subject = no', 'email_in_dn = no', 'copy_extensions = none',
      '[anything]', 'organizationName = optional', 'commonName = optional', 'organizationalUnitName = optional', '',
    ].join('\n'));
  }

  private file(name: string, data: string | Buffer): string {
    const p = join(this.dir, `${++this.n}-${name}`);
    writeFileSync(p, data);
    return p;
  }

  issue(o: IssueOptions): Issued {
    const key = this.file('key.pem', o.key.privatePem);
    const csr = join(this.dir, `${++this.n}.csr`);
    execFileSync('openssl', ['req', '-new', '-key', key, '-subj', o.subject, '-out', csr], { stdio: 'pipe' });
    const ext = this.file('ext.cnf', `[ext]\n${o.extensions.join('\n')}\n`);
    const out = join(this.dir, `${++this.n}.pem`);
    const signer = o.issuer ? ['-cert', this.file('issuer.pem', o.issuer.pem), '-keyfile', this.file('issuer.key', o.issuer.key.privatePem)] : ['-selfsign', '-keyfile', key];
    execFileSync('openssl', [
      'ca', '-batch', '-config', join(this.dir, 'ca.cnf'), '-in', csr, '-out', out, '-notext', '-preserveDN', '-md', 'sha256',
      '-startdate', asn1Time(o.notBefore), '-enddate', asn1Time(o.notAfter), '-extfile', ext, '-extensions', 'ext', ...signer,
    ], { stdio: 'pipe' });
    const pem = readFileSync(out, 'utf8');
    return { pem, der: Buffer.from(new X509Certificate(pem).raw), key: o.key };
  }

  /** A root CA, self-signed. */
  root(subject: string, notBefore: Date, notAfter: Date, kind: KeyKind = 'p256'): Issued {
    return this.issue({ subject, key: keyPair(kind), notBefore, notAfter, extensions: CA_EXTENSIONS.filter((e) => !e.startsWith('authorityKeyIdentifier')) });
  }

  /** An RFC 3161 TimeStampResp (DER, as Sigstore bundles hold it) over `data`, made by `openssl ts -reply` with the TSA certificate `tsa`, at the current time. */
  timestamp(tsa: Issued, data: Buffer): Buffer {
    const query = join(this.dir, `${++this.n}.tsq`);
    const token = join(this.dir, `${++this.n}.tst`);
    execFileSync('openssl', ['ts', '-query', '-data', this.file('data', data), '-sha256', '-no_nonce', '-cert', '-out', query], { stdio: 'pipe' });
    const cnf = this.file('ts.cnf', [
      '[tsa]', 'default_tsa = here', '[here]', `serial = ${join(this.dir, 'tsaserial')}`, 'crypto_device = builtin',
      `signer_cert = ${this.file('tsa.pem', tsa.pem)}`, `signer_key = ${this.file('tsa.key', tsa.key.privatePem)}`, 'signer_digest = sha256',
      'default_policy = 1.3.6.1.4.1.57264.2', 'digests = sha256', 'accuracy = secs:1', 'ess_cert_id_alg = sha256', 'ordering = no', 'tsa_name = no', '',
    ].join('\n'));
    execFileSync('openssl', ['ts', '-reply', '-config', cnf, '-queryfile', query, '-out', token], { stdio: 'pipe' });
    return readFileSync(token);
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
