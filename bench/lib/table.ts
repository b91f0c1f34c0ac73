// Result rows, the targets from the issue, and the one table the bench prints.
import type { Target } from './config.ts';

export interface TargetSpec {
  /** Berth/Distribution must be >= this (higher is better) or < this (lower is better) */
  ratio?: number;
  /** Berth's own value must be >= this (higher is better) or < this (lower is better) */
  absolute?: number;
  text: string;
}

export interface Row {
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  values: Partial<Record<Target, number>>;
  errors: Partial<Record<Target, string>>;
  details: Partial<Record<Target, unknown>>;
  target?: TargetSpec;
  notes: string[];
}

export function newRow(key: string, label: string, unit: string, better: 'higher' | 'lower', target?: TargetSpec): Row {
  return { key, label, unit, better, values: {}, errors: {}, details: {}, target, notes: [] };
}

export function ratioOf(row: Row): number | undefined {
  const d = row.values.distribution;
  const b = row.values.berth;
  if (d === undefined || b === undefined || !Number.isFinite(d) || !Number.isFinite(b) || d === 0) return undefined;
  return b / d;
}

/** true/false when the target can be judged, undefined when there is nothing to judge. */
export function targetMet(row: Row): boolean | undefined {
  const t = row.target;
  const b = row.values.berth;
  if (!t || b === undefined || !Number.isFinite(b)) return undefined;
  const checks: boolean[] = [];
  if (t.ratio !== undefined) {
    const r = ratioOf(row);
    if (r === undefined) return undefined;
    checks.push(row.better === 'higher' ? r >= t.ratio : r < t.ratio);
  }
  if (t.absolute !== undefined) checks.push(row.better === 'higher' ? b >= t.absolute : b < t.absolute);
  return checks.length ? checks.every(Boolean) : undefined;
}

export function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (!Number.isFinite(n)) return 'n/a';
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(0);
  if (abs >= 10) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

function cell(row: Row, t: Target, targets: Target[]): string {
  if (!targets.includes(t)) return '-';
  if (row.errors[t]) return 'ERROR';
  return fmt(row.values[t]) || '-';
}

export function renderTable(rows: Row[], targets: Target[]): string {
  // The haproxy columns (--cluster) come after the ratio, which stays Berth against Distribution.
  const lb = (['berth-lb1', 'berth-lb3'] as const).filter((t) => targets.includes(t));
  const header = ['Workload', 'Unit', 'Distribution', 'Berth', 'Berth/Dist', ...lb.map((t) => (t === 'berth-lb1' ? 'haproxy+1' : 'haproxy+3')), 'Target', 'Met'];
  const body = rows.map((row) => {
    const r = ratioOf(row);
    const met = targetMet(row);
    return [
      row.label,
      row.unit,
      cell(row, 'distribution', targets),
      cell(row, 'berth', targets),
      r === undefined ? '-' : `${r.toFixed(2)}x`,
      ...lb.map((t) => cell(row, t, targets)),
      row.target?.text ?? '-',
      met === undefined ? '' : met ? 'yes' : 'NO',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const numeric = new Set([2, 3, 4, ...lb.map((_, i) => 5 + i)]);
  const line = (cells: string[]): string =>
    cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of body) out.push(line(r));
  const errs: string[] = [];
  for (const row of rows) {
    for (const t of targets) {
      const e = row.errors[t];
      if (e) errs.push(`  ${row.label} [${t}]: ${e}`);
    }
    for (const n of row.notes) errs.push(`  ${row.label}: ${n}`);
  }
  if (errs.length) out.push('', 'Notes and errors:', ...errs);
  return out.join('\n');
}
