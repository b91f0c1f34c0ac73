// The time leases are measured in (upload writers, job claims, proxy blob fetches), when several
// instances share one PostgreSQL: the database's clock, as seen from this instance.
//
// A lease row says "mine until T". Another instance takes it over once its own clock passes T,
// so two instances whose clocks disagree by more than the lease (30 s for uploads) would both
// write, or wait for nothing. Asking the database for the time on every claim would cost a query;
// instead the offset between the database's clock and this process's is measured at start and
// every minute (halfway through the query's round trip), and `now()` is the local clock plus that
// offset. Every instance then agrees to within a round trip, whatever its own clock says.
// SQLite is one machine: its clock is the local one.
import { sql, type Kysely } from 'kysely';
import type { Dialect } from './db.ts';
import type { Database } from './schema.ts';

const RESYNC_MS = 60_000;

export class DatabaseClock {
  private offsetMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    /** This process's clock (tests skew it). */
    private readonly local: () => number = Date.now,
  ) {}

  /** The database's time now, in ms since the epoch. */
  readonly now = (): number => this.local() + this.offsetMs;

  /** How far the database's clock is ahead of this process's (ms; negative when behind). */
  get offset(): number {
    return this.offsetMs;
  }

  /** Measures the offset once; keeps the last one when the database does not answer. */
  async sync(): Promise<void> {
    if (this.dialect !== 'postgres') return;
    const before = this.local();
    const r = await sql<{ ms: number | string }>`select extract(epoch from clock_timestamp()) * 1000 as ms`.execute(this.db);
    const after = this.local();
    const dbMs = Number(r.rows[0]!.ms);
    if (Number.isFinite(dbMs)) this.offsetMs = Math.round(dbMs - (before + after) / 2);
  }

  /** sync() now and every minute, until stop(); `onError` hears of a failed re-measurement. */
  async start(onError: (error: unknown) => void): Promise<void> {
    if (this.dialect !== 'postgres') return;
    await this.sync();
    this.timer = setInterval(() => void this.sync().catch(onError), RESYNC_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
