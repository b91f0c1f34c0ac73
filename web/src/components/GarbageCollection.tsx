// The garbage collector's panel for administrators (docs/gc.md): the last run and collection,
// the queues, the bytes freed so far and the next run, and "Run now" / "Dry run", which queue a
// pass and show its summary when it is done.
import { useState } from 'react';
import { api, messageOf } from '../api.ts';
import { bytes, when } from '../format.ts';
import { useFetch } from '../hooks.ts';
import { ErrorNote, Loading } from './States.tsx';

interface GcRun { id: number; trigger: string; dryRun: boolean; startedAt: string; finishedAt: string | null; manifests: number; blobs: number; bytes: number; uploads: number; error: string | null }
interface GcStatus {
  enabled: boolean;
  intervalSeconds: number;
  reviewDelaySeconds: number;
  lastRun: GcRun | null;
  lastCollection: GcRun | null;
  nextRunAt: string | null;
  queue: { manifests: number; blobs: number; byteDeletes: number };
  waiting: { manifests: number; blobs: number; nextDueAt: number | null };
  bytesFreed: number;
}
interface GcSummary { dryRun: boolean; manifests: number; blobs: number; bytes: number; uploads: number; tempFiles: number; reviewed: number; durationMs: number; waiting: { manifests: number; blobs: number } }
interface Job { state: string; progress: string | null; error: string | null; result: GcSummary | null }

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

export function GarbageCollection() {
  const status = useFetch<GcStatus>('/gc');
  const runs = useFetch<{ runs: GcRun[] }>('/gc/runs?limit=10');
  const [busy, setBusy] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<GcSummary | undefined>();
  const [error, setError] = useState<string | undefined>();

  async function pass(dryRun: boolean) {
    setBusy(dryRun ? 'Looking at what a pass would free…' : 'Collecting…');
    setError(undefined);
    setOutcome(undefined);
    try {
      const { job } = await api<{ job: number }>('/gc/runs', { method: 'POST', body: { dryRun } });
      for (;;) {
        const j = await api<Job>(`/jobs/${job}`);
        if (j.state === 'done') { setOutcome(j.result ?? undefined); break; }
        if (j.state === 'failed') { setError(j.error ?? 'the pass failed'); break; }
        if (j.progress) setBusy(`${dryRun ? 'Dry run' : 'Collecting'}: ${j.progress}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(undefined);
      status.reload();
      runs.reload();
    }
  }

  if (status.error) return <ErrorNote error={status.error} />;
  const s = status.data;
  if (!s) return <Loading />;
  return (
    <section aria-label="Garbage collection" className="gc">
      <div className="card">
        <h2>Garbage collection</h2>
        <p className="muted">
          {s.enabled ? `Runs continuously, every ${duration(s.intervalSeconds)}.` : 'The worker is off; passes run when asked.'}{' '}
          Uploads, mounts and blobs a client just looked up are protected for {duration(s.reviewDelaySeconds)}.
        </p>
        <dl className="facts" aria-label="Garbage collection status">
          <div><dt>Last run</dt><dd data-testid="gc-last-run">{s.lastRun ? `${when(s.lastRun.startedAt)} (${s.lastRun.trigger}${s.lastRun.error ? `, failed: ${s.lastRun.error}` : ''})` : 'never'}</dd></div>
          <div><dt>Last collection</dt><dd data-testid="gc-last-collection">{s.lastCollection ? `${when(s.lastCollection.startedAt)}: ${s.lastCollection.manifests} manifests, ${s.lastCollection.blobs} blobs, ${bytes(s.lastCollection.bytes)}` : 'none yet'}</dd></div>
          <div><dt>Queued</dt><dd data-testid="gc-queue">{s.queue.manifests} manifest and {s.queue.blobs} blob candidates ({s.waiting.manifests + s.waiting.blobs} not yet due), {s.queue.byteDeletes} byte deletions</dd></div>
          <div><dt>Freed so far</dt><dd data-testid="gc-freed">{bytes(s.bytesFreed)}</dd></div>
          <div><dt>Next run</dt><dd data-testid="gc-next">{s.nextRunAt ? when(s.nextRunAt) : 'none scheduled'}</dd></div>
        </dl>
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" disabled={busy !== undefined} onClick={() => void pass(true)}>Dry run</button>
          <button type="button" className="btn btn-primary" disabled={busy !== undefined} onClick={() => void pass(false)}>Run now</button>
        </div>
        {busy && <p role="status">{busy}</p>}
        {error && <p className="error" role="alert">{error}</p>}
        {outcome && (
          <p role="status" data-testid="gc-outcome">
            {outcome.dryRun ? 'Would free' : 'Freed'} {outcome.manifests} manifest{outcome.manifests === 1 ? '' : 's'}, {outcome.blobs} blob{outcome.blobs === 1 ? '' : 's'}, {bytes(outcome.bytes)}
            {outcome.uploads ? `; ${outcome.uploads} stale uploads` : ''} ({outcome.reviewed} candidates reviewed).
            {outcome.waiting.manifests + outcome.waiting.blobs > 0 ? ` ${outcome.waiting.manifests + outcome.waiting.blobs} more are still within the review delay.` : ''}
          </p>
        )}
      </div>
      <div className="card">
        <h3>Recent runs</h3>
        {runs.data && (
          <div className="table-scroll">
          <table className="table" aria-label="Recent garbage collection runs">
            <thead><tr><th>Started</th><th>Trigger</th><th>Manifests</th><th>Blobs</th><th>Freed</th><th>Outcome</th></tr></thead>
            <tbody>
              {runs.data.runs.map((r) => (
                <tr key={r.id}>
                  <td>{when(r.startedAt)}</td>
                  <td>{r.trigger}{r.dryRun ? ' (dry run)' : ''}</td>
                  <td className="num">{r.manifests}</td>
                  <td className="num">{r.blobs}</td>
                  <td>{bytes(r.bytes)}</td>
                  <td>{r.error ? `failed: ${r.error}` : r.finishedAt ? 'done' : 'running'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
        )}
      </div>
    </section>
  );
}
