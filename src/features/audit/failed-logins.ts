// Failed logins (and other refusals that a client can repeat at will: 403 denials) for the audit
// log, bounded in memory and in rows whatever a flood sends. Pure: the caller passes the time and
// takes the rows.
//
// The rule: failures of one (account, address, via) are a run that lasts `windowMs` from its first
// failure. The first `individual` failures of a run get a row each ({"via"}), so a few mistyped
// passwords read as they always did; the rest of the run become one row written when the run
// ends, whose detail says how many ({"via","count","until"}; its `at` is the first of them). So
// summing `count` (1 for a row without one) over the rows gives the failures. Refusals while the
// limiter has the account locked are failures too and count into the same runs.
//
// Bounds: an actor longer than `actorMaxChars` is cut and ends in "…". One address holds at most
// `accountsPerAddress` runs at a time; failures for further accounts from it fold into one run per
// via with actor "*" and {"accounts":"many"}. At most `maxRuns` runs are held over all addresses;
// past that, failures fold into one run per via with actor "*", address null and
// {"accounts":"many","addresses":"many"}. So a window writes at most
// maxRuns * (individual + 1) rows plus a few folded ones, and one address at most
// accountsPerAddress * (individual + 1) plus one per via.
import type { AuditEntry } from '../../metadata/identity/audit.ts';

export interface FailedLogin {
  /** The user name as sent (any length). */
  readonly account: string;
  readonly address: string;
  /** How the login came: basic, password, session, ... (from Berth's code, never the request). */
  readonly via: string;
  /** The row's action: login_failed unless given (denied, for 403 refusals). */
  readonly action?: string;
  /** For a denial: the project and what was refused (e.g. "push team/app"), kept on the row. */
  readonly project?: string;
  readonly what?: string;
}

export interface FailedLoginOptions {
  readonly windowMs: number;
  readonly individual: number;
  readonly accountsPerAddress: number;
  readonly maxRuns: number;
  readonly actorMaxChars: number;
}

export const FAILED_LOGIN_DEFAULTS: FailedLoginOptions = {
  windowMs: 60_000,
  individual: 3,
  accountsPerAddress: 20,
  maxRuns: 10_000,
  actorMaxChars: 128,
};

/** Addresses come from sockets; this only guards against a caller passing something else. */
const ADDRESS_MAX_CHARS = 64;
const VIA_MAX_CHARS = 32;
const WHAT_MAX_CHARS = 300;
export const MANY = '*';

interface Run {
  readonly actor: string;
  readonly address: string | null;
  readonly via: string;
  readonly action: string;
  readonly project: string | null;
  readonly what: string | null;
  readonly start: number;
  /** Which kind of run: one account, many accounts from one address, or many addresses. */
  readonly fold: 'none' | 'accounts' | 'addresses';
  written: number;
  summed: number;
  from: number;
  until: number;
}

/**
 * Cuts a name to at most `max` UTF-16 units, ending in "…" when cut, never inside a surrogate
 * pair. The result is a copy: V8 makes a slice of a string a view that keeps the whole original
 * alive, and a user name is often a slice of the decoded "name:password" of a Basic header.
 */
export function truncateActor(name: string, max: number): string {
  let cut = name;
  if (name.length > max) {
    let end = max - 1;
    const last = name.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate without its pair
    cut = `${name.slice(0, end)}…`;
  }
  return Buffer.from(cut, 'utf16le').toString('utf16le'); // lossless for any UTF-16, lone surrogates too
}

export class FailedLoginAggregator {
  private readonly options: FailedLoginOptions;
  /** One-account and per-address runs, in the order they started (so the first ends first). */
  private readonly runs = new Map<string, Run>();
  /** One-account runs held per address. */
  private readonly perAddress = new Map<string, number>();
  /** The many-addresses runs, one per via. */
  private readonly overflow = new Map<string, Run>();
  private pending: AuditEntry[] = [];

  constructor(options: Partial<FailedLoginOptions> = {}) {
    this.options = { ...FAILED_LOGIN_DEFAULTS, ...options };
  }

  /** Runs held (the many-addresses ones included). */
  get size(): number {
    return this.runs.size + this.overflow.size;
  }

  record(login: FailedLogin, at: number): void {
    this.expire(at);
    const { individual, accountsPerAddress, maxRuns, actorMaxChars } = this.options;
    const address = login.address.slice(0, ADDRESS_MAX_CHARS);
    const via = login.via.slice(0, VIA_MAX_CHARS);
    const actor = truncateActor(login.account, actorMaxChars);
    const kind: Kind = {
      action: login.action ?? 'login_failed',
      project: login.project === undefined ? null : truncateActor(login.project, WHAT_MAX_CHARS),
      what: login.what === undefined ? null : truncateActor(login.what, WHAT_MAX_CHARS),
    };
    // 'k' and 'o' keep one-account keys and per-address keys apart whatever the names hold.
    const sort = `${kind.action}\0${kind.project ?? ''}\0${kind.what ?? ''}`;
    const key = `k${address}\0${via}\0${sort}\0${actor}`;
    let run = this.runs.get(key);
    if (!run) {
      const held = this.perAddress.get(address) ?? 0;
      if (held < accountsPerAddress && this.runs.size < maxRuns) {
        run = this.start(key, actor, address, via, kind, at, 'none');
        this.perAddress.set(address, held + 1);
      } else {
        const folded = `o${address}\0${via}\0${kind.action}`;
        const many: Kind = { action: kind.action, project: null, what: null };
        run = this.runs.get(folded);
        if (!run && this.runs.size < maxRuns) run = this.start(folded, MANY, address, via, many, at, 'accounts');
        if (!run) {
          const overflowKey = `${via}\0${kind.action}`;
          run = this.overflow.get(overflowKey);
          if (!run) {
            run = newRun(MANY, null, via, many, at, 'addresses');
            this.overflow.set(overflowKey, run);
          }
        }
      }
    }
    if (run.fold === 'none' && run.written < individual) {
      run.written++;
      const detail: Record<string, unknown> = { via };
      if (actor !== login.account) detail.length = login.account.length; // the name was cut: how long it was
      this.pending.push({ at, actor, action: kind.action, project: kind.project, reference: kind.what, address, outcome: 'failure', detail: JSON.stringify(detail) });
      return;
    }
    if (run.summed === 0) run.from = at;
    run.summed++;
    run.until = at;
  }

  /** The rows to write now: individual failures since the last take, and the runs that ended by `now`. */
  take(now: number): AuditEntry[] {
    this.expire(now);
    return this.takePending();
  }

  /** Ends every run (at shutdown) and returns what is left to write. */
  drain(): AuditEntry[] {
    for (const [key, run] of this.runs) this.end(key, run);
    for (const run of this.overflow.values()) this.summarise(run);
    this.overflow.clear();
    return this.takePending();
  }

  private takePending(): AuditEntry[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private start(key: string, actor: string, address: string, via: string, kind: Kind, at: number, fold: Run['fold']): Run {
    const run = newRun(actor, address, via, kind, at, fold);
    this.runs.set(key, run);
    return run;
  }

  private expire(now: number): void {
    const { windowMs } = this.options;
    // Runs are kept in start order and all last windowMs, so the ended ones are at the front.
    for (const [key, run] of this.runs) {
      if (now - run.start < windowMs) break;
      this.end(key, run);
    }
    for (const [key, run] of this.overflow) {
      if (now - run.start < windowMs) continue;
      this.summarise(run);
      this.overflow.delete(key);
    }
  }

  private end(key: string, run: Run): void {
    this.runs.delete(key);
    if (run.fold === 'none' && run.address !== null) {
      const held = (this.perAddress.get(run.address) ?? 1) - 1;
      if (held > 0) this.perAddress.set(run.address, held);
      else this.perAddress.delete(run.address);
    }
    this.summarise(run);
  }

  private summarise(run: Run): void {
    if (run.summed === 0) return;
    const detail: Record<string, unknown> = { via: run.via, count: run.summed, until: run.until };
    if (run.fold !== 'none') detail.accounts = 'many';
    if (run.fold === 'addresses') detail.addresses = 'many';
    this.pending.push({ at: run.from, actor: run.actor, action: run.action, project: run.project, reference: run.what, address: run.address, outcome: 'failure', detail: JSON.stringify(detail) });
  }
}

/** What a run counts: its row's action, and for a denial what was refused. */
interface Kind {
  readonly action: string;
  readonly project: string | null;
  readonly what: string | null;
}

function newRun(actor: string, address: string | null, via: string, kind: Kind, start: number, fold: Run['fold']): Run {
  return { actor, address, via, ...kind, start, fold, written: 0, summed: 0, from: 0, until: 0 };
}
