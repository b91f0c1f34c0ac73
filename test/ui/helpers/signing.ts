// Signatures for the browser tests, made the way real clients make them: GPG "atomic" signatures
// (what skopeo/podman --sign-by store) with Debian's gpg in a temporary GNUPGHOME, PUT through the
// registry signature API extension; and cosign's legacy layout (a simple-signing payload layer
// with the signature in an annotation, tagged sha256-<hex>.sig), signed with node:crypto.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf } from '../../../src/core/digest.ts';
import { MediaType } from '../../../src/core/mediatypes.ts';
import { basic, type Seeder } from './seed.ts';

export class Gpg {
  readonly home: string;

  constructor() {
    try {
      execFileSync('gpg', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('gpg is missing: install Debian\'s gnupg package (apt-get install gnupg); the trust UI test signs images with it');
    }
    this.home = mkdtempSync(join(tmpdir(), 'berth-ui-gnupg-'));
  }

  run(...args: string[]): Buffer {
    return execFileSync('gpg', ['--homedir', this.home, '--batch', '--no-tty', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** A signing key for `uid`; `at` fakes the clock (yyyymmddThhmmss), `expire` as gpg takes it (1y, 1d). */
  generate(uid: string, options: { expire?: string; at?: string } = {}): void {
    this.run(...(options.at ? ['--faked-system-time', options.at] : []), '--quick-gen-key', uid, 'ed25519', 'sign', options.expire ?? '1y');
  }

  /** The armored public key, as `gpg --armor --export` prints it. */
  publicKey(who: string): string {
    return this.run('--armor', '--export', who).toString();
  }

  /** gpg --sign (binary, compressed): what containers/image stores. */
  sign(who: string, data: Buffer, options: { at?: string } = {}): Buffer {
    const input = join(this.home, `payload-${randomBytes(6).toString('hex')}.json`);
    const output = `${input}.gpg`;
    writeFileSync(input, data);
    this.run(...(options.at ? ['--faked-system-time', options.at] : []), '--local-user', who, '--output', output, '--sign', input);
    return readFileSync(output);
  }

  close(): void {
    try {
      execFileSync('gpgconf', ['--homedir', this.home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
    } catch {
      // no agent was started
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The simple-signing JSON of a containers/image atomic signature. */
export function atomicPayload(digest: string, reference: string): Buffer {
  return Buffer.from(JSON.stringify({
    critical: { type: 'atomic container signature', image: { 'docker-manifest-digest': digest }, identity: { 'docker-reference': reference } },
    optional: { creator: 'berth ui test', timestamp: Math.floor(Date.now() / 1000) },
  }));
}

/** PUT one signature through the extension (/extensions/v2/<repo>/signatures/<digest>), as skopeo does. */
export async function putGpgSignature(seeder: Seeder, repo: string, digest: string, content: Buffer): Promise<void> {
  const res = await fetch(`${seeder.url}/extensions/v2/${repo}/signatures/${digest}`, {
    method: 'PUT',
    headers: { authorization: basic(seeder.as), 'content-type': 'application/json' },
    body: JSON.stringify({ schemaVersion: 2, type: 'atomic', name: `${digest}@${randomBytes(16).toString('hex')}`, content: content.toString('base64') }),
  });
  const text = await res.text();
  assert.equal(res.status, 201, `PUT signature of ${repo}@${digest}: ${res.status} ${text}`);
}

/** cosign sign --key: the payload layer and its signature annotation, tagged sha256-<hex>.sig. */
export async function cosignSign(seeder: Seeder, repo: string, digest: string, key: KeyObject, reference: string): Promise<string> {
  const payload = Buffer.from(JSON.stringify({
    critical: { identity: { 'docker-reference': reference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
    optional: null,
  }));
  const signature = sign('sha256', payload, key).toString('base64');
  const payloadDigest = await seeder.blob(repo, payload);
  const config = Buffer.from(JSON.stringify({ architecture: '', config: {}, created: '0001-01-01T00:00:00Z', os: '', rootfs: { type: 'layers', diff_ids: [payloadDigest] } }));
  const configDigest = await seeder.blob(repo, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
    layers: [{
      mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
      digest: payloadDigest,
      size: payload.length,
      annotations: { 'dev.cosignproject.cosign/signature': signature },
    }],
  }));
  await seeder.manifest(repo, `${digest.replace(':', '-')}.sig`, manifest, MediaType.OciManifest);
  return digestOf(manifest);
}
