// auth.mode htpasswd: accounts from a bcrypt htpasswd file (as Distribution does). Every
// request needs a valid login; a logged-in user may pull, push and delete. The identity issue
// replaces this with projects and roles.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { parseBasic } from './basic-credentials.ts';
import type { AuthProvider, Authentication, Identity } from './provider.ts';

/** bcrypt is slow on purpose; remember good logins briefly, keyed by a hash, never the password. */
const VERIFIED_TTL_MS = 5 * 60_000;

export class HtpasswdAccess implements AuthProvider {
  readonly mode = 'htpasswd';
  readonly loginRequired = true;
  private users = new Map<string, string>();
  private loadedMtime = -1;
  private checkedAt = 0;
  private readonly verified = new Map<string, number>();

  constructor(private readonly file: string, private readonly realm: string) {
    if (!file) throw new Error('auth.mode htpasswd needs auth.htpasswdFile (or --htpasswd FILE); make one with: htpasswd -Bbn USER PASSWORD > FILE');
    this.reload(true);
  }

  async authenticate(authorization: string | undefined, _address?: string): Promise<Authentication> {
    if (!authorization) return { ok: true };
    const creds = parseBasic(authorization);
    if (!creds) return { ok: false, reason: 'unsupported or malformed Authorization header' };
    this.reload(false);
    const hash = this.users.get(creds.username);
    const key = createHash('sha256').update(`${creds.username}\0${creds.password}\0${hash ?? ''}`).digest('base64');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return { ok: true, identity: { name: creds.username, kind: 'user' } };
    // Compare against a dummy hash for unknown users, so timing does not reveal who exists.
    const ok = await bcrypt.compare(creds.password, hash ?? DUMMY_HASH);
    if (!ok || !hash) return { ok: false, reason: 'invalid username or password' };
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, Date.now() + VERIFIED_TTL_MS);
    return { ok: true, identity: { name: creds.username, kind: 'user' } };
  }

  async authorize(identity: Identity | undefined): Promise<boolean> {
    return identity !== undefined;
  }

  challenge(): string {
    return `Basic realm="${this.realm.replace(/"/g, '')}"`;
  }

  /** Re-reads the file when it changed (checked at most once a second). */
  private reload(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch (error) {
      const message = `cannot read the htpasswd file ${this.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; create it with: htpasswd -Bbn USER PASSWORD > ${this.file}`;
      if (force) throw new Error(message);
      // Removed while running: keep the accounts already loaded rather than fail every request.
      return;
    }
    if (!force && mtime === this.loadedMtime) return;
    const users = new Map<string, string>();
    for (const line of readFileSync(this.file, 'utf8').split(/\r?\n/)) {
      const trimmed = line.trim();
      if (!trimmed || trimmed.startsWith('#')) continue;
      const colon = trimmed.indexOf(':');
      const hash = trimmed.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]\$\d\d\$/.test(hash)) continue; // only bcrypt, as Distribution
      users.set(trimmed.slice(0, colon), hash);
    }
    this.users = users;
    this.loadedMtime = mtime;
    this.verified.clear();
  }
}

const DUMMY_HASH = '$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';

