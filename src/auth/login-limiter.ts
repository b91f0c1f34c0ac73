// Slows down password guessing with two counters: one per account and address (`maxFailures`)
// and one per address whatever the account (`maxFailuresPerAddress`), so a spray of many user
// names from one address is stopped as well as a guess at one. When a counter reaches its limit
// within `windowMs` of its first failure, its key is locked for `lockMs`; Accounts asks
// retryAfter() first, so a locked attempt costs no password hash.
//
// Bounded whatever the input, and O(1) per call: the account is hashed into a fixed-size key (an
// 8,000-character name costs what a short one does), a key holds three numbers instead of a list
// of times, and each map holds at most `maxEntries` keys. A Map iterates in insertion order and a
// failure re-inserts its key at the end, so the first key is the least recently failed one, and
// that is the one forgotten when the map is full.
import { createHash } from 'node:crypto';

export interface LoginLimiterOptions {
  /** Failures of one account from one address within windowMs that lock that pair. */
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly lockMs: number;
  /** Failures from one address, over all accounts, within windowMs that lock the address (default 100). */
  readonly maxFailuresPerAddress?: number;
  /** Keys kept per counter (account+address pairs; addresses); the least recently failed goes first (default 100,000). */
  readonly maxEntries?: number;
}

export const DEFAULT_MAX_FAILURES_PER_ADDRESS = 100;
export const DEFAULT_MAX_ENTRIES = 100_000;
/** Addresses longer than this (never an IP) are hashed too, so no key outgrows a hash. */
const ADDRESS_MAX_CHARS = 64;

/** A fixed window that opens at its first failure. */
interface Counter {
  start: number;
  failures: number;
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly pairs = new Map<string, Counter>();
  private readonly addresses = new Map<string, Counter>();
  private readonly perAddress: number;
  private readonly maxEntries: number;

  constructor(private readonly options: LoginLimiterOptions, private readonly now: () => number = Date.now) {
    this.perAddress = options.maxFailuresPerAddress ?? DEFAULT_MAX_FAILURES_PER_ADDRESS;
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  }

  /** Milliseconds until this account/address may try again, or 0. */
  retryAfter(account: string, address: string): number {
    const now = this.now();
    const byAddress = this.wait(this.addresses, addressKey(address), now);
    const byPair = this.wait(this.pairs, pairKey(account, address), now);
    return Math.max(byAddress, byPair);
  }

  fail(account: string, address: string): void {
    const now = this.now();
    this.count(this.pairs, pairKey(account, address), now, this.options.maxFailures);
    this.count(this.addresses, addressKey(address), now, this.perAddress);
  }

  /**
   * Clears the pair's counter. The address's counter stays: otherwise one good login would
   * reset a spray of guesses at other accounts from the same address.
   */
  succeed(account: string, address: string): void {
    this.pairs.delete(pairKey(account, address));
  }

  /** Keys held: account+address pairs plus addresses (each map at most maxEntries). */
  get size(): number {
    return this.pairs.size + this.addresses.size;
  }

  get pairKeys(): number {
    return this.pairs.size;
  }

  get addressKeys(): number {
    return this.addresses.size;
  }

  private wait(map: Map<string, Counter>, key: string, now: number): number {
    const c = map.get(key);
    if (!c) return 0;
    if (c.lockedUntil > now) return c.lockedUntil - now;
    // Neither locked nor counting: forget it now rather than wait for eviction.
    if (now - c.start >= this.options.windowMs) map.delete(key);
    return 0;
  }

  private count(map: Map<string, Counter>, key: string, now: number, max: number): void {
    let c = map.get(key);
    if (c) map.delete(key); // re-inserted below, at the end: the most recently failed
    else if (map.size >= this.maxEntries) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    if (!c) c = { start: now, failures: 0, lockedUntil: 0 };
    else if (now - c.start >= this.options.windowMs) {
      c.start = now;
      c.failures = 0;
    }
    c.failures++;
    if (c.failures >= max && c.lockedUntil <= now) {
      c.lockedUntil = now + this.options.lockMs;
      // The count starts again when the lock is set, as if the window had just opened.
      c.start = now;
      c.failures = 0;
    }
    map.set(key, c);
  }
}

function pairKey(account: string, address: string): string {
  // One hash over both: the key is 44 characters whatever their lengths. The \0 separates them.
  return createHash('sha256').update(account.toLowerCase()).update('\0').update(address).digest('base64');
}

function addressKey(address: string): string {
  return address.length <= ADDRESS_MAX_CHARS ? `a${address}` : `h${createHash('sha256').update(address).digest('base64')}`;
}
