// Peer credentials (proxy upstreams, replication peers) are stored sealed (AES-256-GCM). The key lives outside the database:
// BERTH_PROXY_SECRET_KEY (32 bytes, base64 or hex; the same on every instance), or else a file
// <dataDir>/proxy-secret.key made on first use, owner-only (0600).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from '../storage/private-files.ts';

export const KEY_FILE = 'proxy-secret.key';

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.byteLength !== 32) throw new Error('the proxy secret key must be 32 bytes');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

function decodeKey(value: string): Buffer {
  const v = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (key.byteLength !== 32) throw new Error('BERTH_PROXY_SECRET_KEY must be 32 bytes, base64 or hex (openssl rand -base64 32)');
  return key;
}

/** The box for this installation: the environment's key, or the data directory's key file (made if missing). */
export function secretBoxFor(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  if (env.BERTH_PROXY_SECRET_KEY) return new SecretBox(decodeKey(env.BERTH_PROXY_SECRET_KEY));
  ensurePrivateDir(dataDir);
  const file = join(dataDir, KEY_FILE);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process made it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  ensurePrivateFile(file);
  return new SecretBox(decodeKey(readFileSync(file, 'utf8')));
}

/** The box, made (key file and all) at its first use only. */
export function lazySecretBox(dataDir: string): () => SecretBox {
  let box: SecretBox | undefined;
  return () => (box ??= secretBoxFor(resolve(dataDir)));
}
