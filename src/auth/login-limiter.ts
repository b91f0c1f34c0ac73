// Slows down password guessing: after `maxFailures` failed logins for one account from one
// address within `windowMs`, further attempts are refused until the lock expires.
export interface LoginLimiterOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockMs: number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: LoginLimiterOptions, private readonly now: () => number = Date.now) {}

  /** Milliseconds until this account/address may try again, or 0. */
  retryAfter(account: string, address: string): number {
    const entry = this.entries.get(key(account, address));
    if (!entry) return 0;
    const wait = entry.lockedUntil - this.now();
    return wait > 0 ? wait : 0;
  }

  fail(account: string, address: string): void {
    const k = key(account, address);
    const now = this.now();
    const entry = this.entries.get(k) ?? { failures: [], lockedUntil: 0 };
    entry.failures = entry.failures.filter((t) => now - t < this.options.windowMs);
    entry.failures.push(now);
    if (entry.failures.length >= this.options.maxFailures) {
      entry.lockedUntil = now + this.options.lockMs;
      entry.failures = [];
    }
    this.entries.set(k, entry);
    if (this.entries.size > 100_000) this.prune();
  }

  succeed(account: string, address: string): void {
    this.entries.delete(key(account, address));
  }

  private prune(): void {
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (e.lockedUntil < now && e.failures.every((t) => now - t >= this.options.windowMs)) this.entries.delete(k);
    }
  }
}

function key(account: string, address: string): string {
  return `${account.toLowerCase()}\0${address}`;
}
