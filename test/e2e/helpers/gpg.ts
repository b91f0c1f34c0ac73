// A throwaway GnuPG keyring for the signing e2e suites: a private GNUPGHOME under the test's temp
// dir, keys made without prompts (`gpg --batch --passphrase '' --quick-gen-key`), their armored
// public keys exported to files, and the keyring's gpg-agent stopped at the end. skopeo and podman
// sign with --sign-by FINGERPRINT through gpgme, which finds the keyring through GNUPGHOME.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './run.ts';
import { requireTools } from './tools.ts';

export interface GpgKey {
  /** The user ID, e.g. 'Alice Release <alice@example.org>'. */
  readonly uid: string;
  /** 40 hex digits, upper case: what --sign-by takes. */
  readonly fingerprint: string;
  /** The long key ID (the fingerprint's last 16 hex digits): how OpenPGP signatures name their key. */
  readonly keyId: string;
  /** The armored public key (gpg --armor --export), as a file: for `berth trust key add --key` and policy.json keyPath. */
  readonly publicFile: string;
}

export interface Keyring {
  /** The GNUPGHOME directory. */
  readonly home: string;
  /** { GNUPGHOME }: pass to every command that signs. */
  readonly env: Record<string, string>;
  /** Makes an Ed25519 signing key valid for one day. */
  generate(uid: string, file: string): Promise<GpgKey>;
  /** Stops this keyring's gpg-agent (and only it). */
  close(): Promise<void>;
}

export async function createKeyring(dir: string): Promise<Keyring> {
  requireTools('gpg', 'gpgconf');
  // gpg-agent's socket lives in GNUPGHOME: the path must stay short (a socket path is at most 107 bytes).
  const home = join(dir, 'gnupg');
  await mkdir(home, { mode: 0o700 });
  const env = { GNUPGHOME: home };
  return {
    home,
    env,
    async generate(uid, file) {
      await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', '1d'], { env });
      const { stdout } = await run('gpg', ['--batch', '--with-colons', '--list-secret-keys', `=${uid}`], { env });
      const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)?.[1];
      if (!fingerprint) throw new Error(`gpg --list-secret-keys ${uid} printed no fingerprint:\n${stdout}`);
      const exported = await run('gpg', ['--batch', '--armor', '--export', fingerprint], { env });
      if (!exported.stdout.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) throw new Error(`gpg --armor --export ${fingerprint} printed no public key:\n${exported.stdout}`);
      await writeFile(file, exported.stdout);
      return { uid, fingerprint, keyId: fingerprint.slice(-16), publicFile: file };
    },
    async close() {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env });
    },
  };
}
