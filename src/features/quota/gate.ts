// The quota's push gate (registry/push-gate.ts): asked when an upload starts, before each chunk,
// at an upload's commit and at a cross-repository mount. Only projects with a quota pay anything:
// "no quota" is cached per project for a second (a quota set on this instance applies at once).
//
// Each answer compares the project's usage after the step with its limit:
//   start   refused when the project is already at or over its limit;
//   chunk   the chunk's bytes add (a chunk of unknown length is refused only at or over the limit,
//           and the upload's commit checks what it became);
//   commit  a blob the project already links adds nothing (and frees the upload's bytes); any other
//           blob must fit: usage without this upload's bytes, plus the blob;
//   mount   a blob the project already links adds nothing; any other must fit.
// Deletes are never asked. A refused upload is ended, so its bytes stop counting at once.
//
// Concurrency (docs/quotas.md, "Two pushes at once"): on one instance, the checks of a project
// run one at a time, and a step that was let through reserves its bytes until its rows are
// committed (the upload row advanced or went, the blob was linked), so two pushes at once cannot
// both slip past the limit. Across instances, each sees only the other's committed rows: usage can
// exceed the limit by at most the bytes the other instances let through at the same moment.
//
// Cost: counting a project's usage reads every blob link of it (about 200 ms for 100,000 links on
// SQLite here), so a step that fits easily is let through on an estimate: the last exact count, at
// most a second old, plus what this instance let through since. A step the estimate would refuse
// is decided on a fresh count, so every refusal (and its message) is exact.
import { RegistryError } from '../../core/errors.ts';
import { projectOf } from '../../core/reference.ts';
import { findProjectQuota, onQuotaChange, openUploads, projectLinksBlob, projectUsage, uploadBytes, type ProjectQuotaRow } from '../../metadata/quota.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { PushGate, PushRequestInfo } from '../../registry/push-gate.ts';
import { formatSize } from './size.ts';

/** How long "this project has no quota" (or its limit) is trusted without reading the row. */
export const QUOTA_CACHE_MS = 1000;

/** How long an exact count of a project's usage lets steps that fit easily through without another. */
export const SNAPSHOT_MS = 1000;

interface Snapshot {
  /** The exact usage counted from the rows at `at`. */
  readonly total: number;
  readonly at: number;
  /** What this instance let through since (and what was in flight then), not in `total`. */
  approved: number;
}

interface Reservation {
  readonly bytes: number;
  readonly until: number;
  /** An upload's step: valid while the upload row holds exactly `base` bytes. */
  readonly upload?: { readonly id: string; readonly base: number };
  /** A commit without a session, or a mount: valid until the blob is linked (the bus says so). */
  readonly blob?: { readonly repository: string; readonly digest: string };
}

export interface QuotaRefusalFacts {
  readonly project: string;
  readonly limit: number;
  readonly used: number;
  /** undefined: the upload's size is not known yet (its start, a chunk of unknown length). */
  readonly needs?: number;
  readonly stage: string;
}

export function quotaRefusal(f: QuotaRefusalFacts): RegistryError {
  const head = `quota of ${formatSize(f.limit)} for project ${f.project} exceeded: ${formatSize(f.used)} used`;
  const message = f.needs === undefined ? `${head}, no space left for a push` : `${head}, push needs ${formatSize(f.needs)}`;
  return new RegistryError('DENIED', {
    code: 'QUOTA_EXCEEDED', project: f.project, limitBytes: f.limit, usedBytes: f.used, stage: f.stage,
    ...(f.needs !== undefined ? { neededBytes: f.needs } : {}),
  }, { message });
}

export class QuotaCache {
  private readonly rows = new Map<string, { row: ProjectQuotaRow | undefined; until: number }>();
  private readonly unsubscribe: () => void;

  constructor(private readonly db: Executor, private readonly now: () => number = Date.now) {
    this.unsubscribe = onQuotaChange((project) => this.rows.delete(project));
  }

  /**
   * The project's quota row, or undefined when it has none (or does not exist). Inside a
   * transaction pass it as `db`: on SQLite a query on the pool would wait for the transaction's
   * one connection forever.
   */
  async limitOf(project: string, db: Executor = this.db): Promise<ProjectQuotaRow | undefined> {
    const now = this.now();
    const hit = this.rows.get(project);
    if (hit && hit.until > now) return hit.row;
    const row = await findProjectQuota(db, project);
    const limited = row && row.quotaBytes !== null ? row : undefined;
    if (this.rows.size > 10_000) this.rows.clear();
    this.rows.set(project, { row: limited, until: now + QUOTA_CACHE_MS });
    return limited;
  }

  close(): void {
    this.unsubscribe();
  }
}

export class QuotaGate implements PushGate {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly reserved = new Map<string, Map<string, Reservation>>();
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Executor,
    private readonly quotas: QuotaCache,
    /** Ends an upload the gate refused (after the refusal has been answered). */
    private readonly endUpload: (repository: string, id: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.unsubscribe = onQuotaChange((project) => this.snapshots.delete(project));
  }

  close(): void {
    this.unsubscribe();
  }

  async check(push: PushRequestInfo): Promise<RegistryError | undefined> {
    const project = projectOf(push.repository);
    const quota = await this.quotas.limitOf(project);
    if (!quota || quota.quotaBytes === null) return undefined;
    const limit = quota.quotaBytes;
    const refusal = await this.serially(project, () => this.decide(project, limit, push));
    if (refusal && push.uploadId !== undefined && push.stage !== 'start') this.endUpload(push.repository, push.uploadId);
    return refusal;
  }

  /** A blob was linked (committed upload, mount): its reservation's bytes now count as rows. */
  linked(repository: string, digest: string): void {
    const mine = this.reserved.get(projectOf(repository));
    if (!mine) return;
    for (const [key, r] of mine) if (r.blob && r.blob.repository === repository && r.blob.digest === digest) mine.delete(key);
  }

  /**
   * The project's usage as this instance knows it without reading the rows again (the last exact
   * count, at most SNAPSHOT_MS old, plus what this instance let through since), or undefined.
   * It never counts less than this instance's own pushes put there.
   */
  estimate(project: string): number | undefined {
    const snap = this.snapshots.get(project);
    return snap && this.now() - snap.at < SNAPSHOT_MS ? snap.total + snap.approved : undefined;
  }

  /** A new manifest was let in (features/quota/manifests.ts): the estimate counts it too. */
  counted(project: string, bytes: number): void {
    const snap = this.snapshots.get(project);
    if (snap) snap.approved += bytes;
  }

  /**
   * Lets the step through on the estimate when it fits easily; otherwise (or when the estimate is
   * stale) counts the rows again and decides on that: a refusal is always decided on exact rows.
   */
  private async decide(project: string, limit: number, push: PushRequestInfo): Promise<RegistryError | undefined> {
    const key = push.uploadId !== undefined ? `upload:${push.uploadId}` : `${push.stage}:${push.repository}@${push.digest ?? ''}`;
    const estimated = this.estimate(project);
    if (estimated !== undefined) {
      const verdict = await this.verdict(project, limit, push, estimated, true);
      if (!verdict.refusal) return this.approve(project, key, push, verdict.adds, verdict.reserve);
    }
    // In flight first, then the rows: a step that lands in between is counted twice (for a moment),
    // never not at all.
    const inFlight = await this.reservedBytes(project, key);
    const total = (await projectUsage(this.db, project)).total;
    const snap: Snapshot = { total, at: this.now(), approved: inFlight };
    this.snapshots.set(project, snap);
    const verdict = await this.verdict(project, limit, push, total + inFlight, false);
    if (verdict.refusal) return verdict.refusal;
    return this.approve(project, key, push, verdict.adds, verdict.reserve);
  }

  /**
   * Whether the step fits when the project uses `used`; if it does, what it adds to the estimate
   * (`adds`) and to the rows (`reserve`). On an estimate an upload's own bytes may or may not be in
   * `used` yet (a chunk of unknown length is not): they are not taken off, so the check is
   * stricter, never looser, and a step it would refuse is decided again on the rows.
   */
  private async verdict(project: string, limit: number, push: PushRequestInfo, used: number, estimated: boolean): Promise<{ refusal?: RegistryError; adds: number; reserve: number }> {
    const refuse = (needs: number | undefined, shownUsed = used) => ({ adds: 0, reserve: 0, refusal: quotaRefusal({ project, limit, used: shownUsed, stage: push.stage, ...(needs !== undefined ? { needs } : {}) }) });
    switch (push.stage) {
      case 'start':
        return used >= limit ? refuse(undefined) : { adds: 0, reserve: 0 };
      case 'chunk':
        if (push.bytes <= 0) return used >= limit ? refuse(undefined) : { adds: 0, reserve: 0 };
        return used + push.bytes > limit ? refuse(push.bytes) : { adds: push.bytes, reserve: push.bytes };
      case 'commit':
      case 'mount': {
        if (push.digest !== undefined && (await projectLinksBlob(this.db, project, push.digest))) return { adds: 0, reserve: 0 };
        // An upload's bytes already count while it is open; at its commit they become the blob's.
        const counted = push.stage === 'commit' && push.uploadId !== undefined ? (await uploadBytes(this.db, push.uploadId))?.size ?? 0 : 0;
        const others = estimated ? used : used - counted;
        if (others + push.bytes > limit) return refuse(push.bytes, others);
        const reserve = Math.max(0, push.bytes - counted);
        return { adds: estimated ? push.bytes : reserve, reserve };
      }
      default:
        return { adds: 0, reserve: 0 };
    }
  }

  /** Adds what a step that was let through adds to the estimate, and reserves it until its rows are committed. */
  private approve(project: string, key: string, push: PushRequestInfo, adds: number, reserve: number): undefined {
    const snap = this.snapshots.get(project);
    if (snap && adds > 0) snap.approved += adds;
    if (reserve <= 0) return undefined;
    if (push.stage === 'chunk') {
      if (push.uploadId !== undefined) this.reserve(project, key, { bytes: reserve, until: this.now() + holdFor(reserve), upload: { id: push.uploadId, base: push.uploaded ?? 0 } });
      return undefined;
    }
    if (push.uploadId !== undefined) {
      // Valid while the upload row still holds what it held at the check (the commit ends it).
      this.reserve(project, key, { bytes: reserve, until: this.now() + 60_000, upload: { id: push.uploadId, base: push.bytes - reserve } });
    } else {
      this.reserve(project, key, { bytes: reserve, until: this.now() + 60_000, blob: { repository: push.repository, digest: push.digest ?? '' } });
    }
    return undefined;
  }

  private reserve(project: string, key: string, r: Reservation): void {
    let mine = this.reserved.get(project);
    if (!mine) this.reserved.set(project, (mine = new Map()));
    mine.set(key, r);
  }

  /** The bytes other steps of the project were let through for and have not committed yet. */
  private async reservedBytes(project: string, except: string): Promise<number> {
    const mine = this.reserved.get(project);
    if (!mine) return 0;
    mine.delete(except); // a step of the same upload replaces its earlier reservation
    const now = this.now();
    for (const [k, r] of mine) if (r.until <= now) mine.delete(k);
    const uploads = [...mine.values()].flatMap((r) => (r.upload ? [r.upload.id] : []));
    const open = await openUploads(this.db, uploads);
    let total = 0;
    for (const [k, r] of mine) {
      // The upload advanced past the reserved step, finished or ended: its rows tell the truth now.
      if (r.upload && open.get(r.upload.id) !== r.upload.base) mine.delete(k);
      else total += r.bytes;
    }
    if (!mine.size) this.reserved.delete(project);
    return total;
  }

  /** Runs the project's checks one at a time (reads and reservations cannot interleave). */
  private serially<T>(project: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(project) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(project, tail);
    void tail.then(() => { if (this.tails.get(project) === tail) this.tails.delete(project); });
    return result;
  }
}

/** How long a chunk's reservation may stand: a minute, plus the chunk at 4 MiB/s. */
function holdFor(bytes: number): number {
  return 60_000 + Math.ceil(bytes / (4 * 2 ** 20)) * 1000;
}
