// `berth tls selfsigned`: a private CA and a server certificate signed by it, for an intranet
// start with TLS on. Clients trust the CA (ca.crt), not the server certificate, so the server
// certificate can be renewed (run again with --force) without touching a client, as long as the
// CA is reused (--ca-key and ca.crt kept in the output folder).
//
// openssl (Debian's openssl package) does the cryptography; Node has no X.509 writer.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { CliError } from './cli-error.ts';

export interface SelfSignedOptions {
  /** The names clients use (DNS names or IP addresses); the first is the certificate's CN. */
  readonly hosts: readonly string[];
  readonly out: string;
  /** Validity of the server certificate (days); the CA lasts ten years. */
  readonly days: number;
  /** Replace files that exist. Without it nothing is overwritten. */
  readonly force: boolean;
}

export interface SelfSignedResult {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Whether the CA in the folder was reused (its clients need no change). */
  readonly reusedCa: boolean;
}

const DNS_NAME = /^(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function checkHost(host: string): void {
  if (isIP(host) || DNS_NAME.test(host)) return;
  throw new CliError(`--host ${JSON.stringify(host)} is neither a DNS name nor an IP address`, 'Give the name clients use, without a scheme or port, e.g. --host registry.internal (repeat --host for more names).');
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new CliError('openssl is not installed', 'Install it (Debian: apt-get install openssl) and run the command again.');
  }
  if (r.status !== 0) throw new CliError(`openssl ${args[0]} failed: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join('; ')}`);
}

export function makeSelfSigned(options: SelfSignedOptions): SelfSignedResult {
  if (!options.hosts.length) throw new CliError('no --host given', 'Give the name clients use to reach the registry: --host registry.internal (repeat --host for more names or IP addresses).');
  for (const h of options.hosts) checkHost(h);
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  const paths = { caCert: join(out, 'ca.crt'), caKey: join(out, 'ca.key'), serverCert: join(out, 'server.crt'), serverKey: join(out, 'server.key') };
  const reuseCa = existsSync(paths.caCert) && existsSync(paths.caKey);
  if (!options.force) {
    const taken = [paths.serverCert, paths.serverKey, ...(reuseCa ? [] : [paths.caCert, paths.caKey])].filter((p) => existsSync(p));
    if (taken.length) {
      throw new CliError(`${taken.join(', ')} exist${taken.length === 1 ? 's' : ''} already; nothing was written`, 'Add --force to issue a new server certificate (the CA in the folder is kept, so clients that trust it need no change), or choose another --out.');
    }
  }
  // Work in a private folder inside the output folder, then move the results in: an interrupted
  // run never leaves a key without its certificate.
  const work = mkdtempSync(join(out, '.berth-tls-'));
  chmodSync(work, 0o700);
  try {
    if (reuseCa) {
      writeFileSync(join(work, 'ca.crt'), readFileSync(paths.caCert));
      writeFileSync(join(work, 'ca.key'), readFileSync(paths.caKey), { mode: 0o600 });
    } else {
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
        '-days', '3650', '-sha256', '-subj', `/O=Berth/CN=Berth private CA for ${options.hosts[0]}`,
        '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash'], work);
    }
    const san = options.hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    writeFileSync(join(work, 'server.ext'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${san}`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'));
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/O=Berth/CN=${options.hosts[0]}`], work);
    openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', `0x${randomSerial()}`, '-days', String(options.days), '-sha256', '-extfile', 'server.ext', '-out', 'server.crt'], work);
    chmodSync(join(work, 'ca.key'), 0o600);
    chmodSync(join(work, 'server.key'), 0o600);
    chmodSync(join(work, 'ca.crt'), 0o644);
    chmodSync(join(work, 'server.crt'), 0o644);
    if (!reuseCa) {
      renameSync(join(work, 'ca.key'), paths.caKey);
      renameSync(join(work, 'ca.crt'), paths.caCert);
    }
    renameSync(join(work, 'server.key'), paths.serverKey);
    renameSync(join(work, 'server.crt'), paths.serverCert);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { ...paths, reusedCa: reuseCa };
}

function randomSerial(): string {
  // 16 random bytes with the top bit clear: a positive serial, unique per issue (RFC 5280 4.1.2.2).
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

/** How to serve with the pair and make the clients trust the CA, for the terminal. */
export function trustInstructions(result: SelfSignedResult, hosts: readonly string[], port: number): string {
  const where = `${hosts[0]}${port === 443 ? '' : `:${port}`}`;
  return [
    `${result.reusedCa ? 'Kept the CA' : 'Made a CA'} ${result.caCert} (its key ${result.caKey} is 0600: keep it private; it signs new server certificates).`,
    `Wrote ${result.serverCert} and ${result.serverKey} (0600) for ${hosts.join(', ')}.`,
    '',
    'Serve HTTPS:',
    `  berth serve --tls-cert ${result.serverCert} --tls-key ${result.serverKey}`,
    '',
    'Trust the CA on each client machine (the folder is named HOST:PORT, as clients write the registry):',
    `  docker:  sudo mkdir -p /etc/docker/certs.d/${where} && sudo cp ${result.caCert} /etc/docker/certs.d/${where}/ca.crt`,
    `  podman, skopeo, buildah:  sudo mkdir -p /etc/containers/certs.d/${where} && sudo cp ${result.caCert} /etc/containers/certs.d/${where}/ca.crt`,
    `    or per command: --cert-dir DIR, where DIR holds only ca.crt (not server.key: they would read it as a client key).`,
    '',
    `Renew the server certificate later with the same CA: berth tls selfsigned --host ${hosts.join(' --host ')} --out ${resolve(result.caCert, '..')} --force`,
  ].join('\n');
}
