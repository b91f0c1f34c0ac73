// CVSS base scores computed from vector strings, as the CVSS v3.1 specification (section 7 and
// Appendix A's Roundup) and the v2 guide define them, and the qualitative rating of a score.
// v4.0 vectors are only recognised: their score comes from a table of macro vectors that this
// module does not carry, so a v4-only record falls back to its database's own severity.
import type { Severity } from './types.ts';

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface CvssVector {
  readonly version: CvssVersion;
  /** Metric values by abbreviation (AV, AC, ...), base and others. */
  readonly metrics: Readonly<Record<string, string>>;
}

const V3_BASE: Readonly<Record<string, readonly string[]>> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
};
// Temporal and environmental metrics may follow the base ones; they do not change the base score.
const V3_OTHER: Readonly<Record<string, readonly string[]>> = {
  E: ['X', 'H', 'F', 'P', 'U'],
  RL: ['X', 'U', 'W', 'T', 'O'],
  RC: ['X', 'C', 'R', 'U'],
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: ['X', 'H', 'L', 'N'],
  MI: ['X', 'H', 'L', 'N'],
  MA: ['X', 'H', 'L', 'N'],
};
const V2_BASE: Readonly<Record<string, readonly string[]>> = {
  AV: ['L', 'A', 'N'],
  AC: ['H', 'M', 'L'],
  Au: ['M', 'S', 'N'],
  C: ['N', 'P', 'C'],
  I: ['N', 'P', 'C'],
  A: ['N', 'P', 'C'],
};
const V2_OTHER: Readonly<Record<string, readonly string[]>> = {
  E: ['U', 'POC', 'F', 'H', 'ND'],
  RL: ['OF', 'TF', 'W', 'U', 'ND'],
  RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'],
  TD: ['N', 'L', 'M', 'H', 'ND'],
  CR: ['L', 'M', 'H', 'ND'],
  IR: ['L', 'M', 'H', 'ND'],
  AR: ['L', 'M', 'H', 'ND'],
};
const V4_BASE = ['AV', 'AC', 'AT', 'PR', 'UI', 'VC', 'VI', 'VA', 'SC', 'SI', 'SA'];

function readMetrics(parts: readonly string[], base: Readonly<Record<string, readonly string[]>>, other?: Readonly<Record<string, readonly string[]>>): Record<string, string> | undefined {
  const metrics: Record<string, string> = {};
  for (const part of parts) {
    const colon = part.indexOf(':');
    if (colon <= 0) return undefined;
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    if (key in metrics) return undefined; // each metric once
    const allowed = base[key] ?? other?.[key];
    if (other !== undefined && (!allowed || !allowed.includes(value))) return undefined;
    metrics[key] = value;
  }
  for (const key of Object.keys(base)) if (!(key in metrics)) return undefined; // every base metric
  return metrics;
}

/** Parses a CVSS vector string (v2 vectors have no prefix; "(AV:N/...)" is accepted too). */
export function parseVector(vector: string): CvssVector | undefined {
  if (typeof vector !== 'string') return undefined;
  const s = vector.trim().replace(/^\((.*)\)$/, '$1');
  const m = /^CVSS:(3\.0|3\.1|4\.0)\/(.+)$/.exec(s);
  if (m) {
    const version = m[1] as CvssVersion;
    const parts = m[2]!.split('/');
    if (version === '4.0') {
      const metrics = readMetrics(parts, Object.fromEntries(V4_BASE.map((k) => [k, []])));
      return metrics && { version, metrics };
    }
    const metrics = readMetrics(parts, V3_BASE, V3_OTHER);
    return metrics && { version, metrics };
  }
  const v2 = s.replace(/^CVSS:2\.0\//, '');
  if (!/^AV:/.test(v2)) return undefined;
  const metrics = readMetrics(v2.split('/'), V2_BASE, V2_OTHER);
  return metrics && { version: '2.0', metrics };
}

/** CVSS v3.1 Appendix A: round up to one decimal, robust to floating-point noise. */
export function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

const W3 = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** The v3.0/v3.1 base score of a vector, or undefined when it is not a valid v3 vector. */
export function baseScoreV3(vector: string): number | undefined {
  const v = parseVector(vector);
  if (!v || (v.version !== '3.0' && v.version !== '3.1')) return undefined;
  const m = v.metrics as Record<'AV' | 'AC' | 'PR' | 'UI' | 'S' | 'C' | 'I' | 'A', string>;
  const changed = m.S === 'C';
  // Privileges Required weighs more when the scope changes.
  const pr = m.PR === 'N' ? 0.85 : m.PR === 'L' ? (changed ? 0.68 : 0.62) : changed ? 0.5 : 0.27;
  const cia = (k: string): number => W3.CIA[k as keyof typeof W3.CIA];
  const iss = 1 - (1 - cia(m.C)) * (1 - cia(m.I)) * (1 - cia(m.A));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * W3.AV[m.AV as keyof typeof W3.AV] * W3.AC[m.AC as keyof typeof W3.AC] * pr * W3.UI[m.UI as keyof typeof W3.UI];
  if (impact <= 0) return 0;
  return changed ? roundup(Math.min(1.08 * (impact + exploitability), 10)) : roundup(Math.min(impact + exploitability, 10));
}

const W2 = {
  AV: { L: 0.395, A: 0.646, N: 1.0 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  CIA: { N: 0, P: 0.275, C: 0.66 },
} as const;

/** The v2 base score of a vector, or undefined when it is not a valid v2 vector. */
export function baseScoreV2(vector: string): number | undefined {
  const v = parseVector(vector);
  if (!v || v.version !== '2.0') return undefined;
  const m = v.metrics as Record<'AV' | 'AC' | 'Au' | 'C' | 'I' | 'A', string>;
  const cia = (k: string): number => W2.CIA[k as keyof typeof W2.CIA];
  const impact = 10.41 * (1 - (1 - cia(m.C)) * (1 - cia(m.I)) * (1 - cia(m.A)));
  const exploitability = 20 * W2.AV[m.AV as keyof typeof W2.AV] * W2.AC[m.AC as keyof typeof W2.AC] * W2.Au[m.Au as keyof typeof W2.Au];
  const f = impact === 0 ? 0 : 1.176;
  // The v2 guide rounds to one decimal (half up); the epsilon keeps x.x5 from rounding down.
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10 + 1e-9) / 10;
}

/**
 * The v3/v4 qualitative rating of a score: 9.0-10.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
 * 0.1-3.9 low. 0.0 ("none") is reported as low: the record still names an issue.
 */
export function severityOfScore(score: number): Severity {
  if (!Number.isFinite(score) || score < 0 || score > 10) return 'unknown';
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

/** NVD's v2 rating, which has no critical: 7.0-10.0 high, 4.0-6.9 medium, 0.0-3.9 low. */
export function severityOfScoreV2(score: number): Severity {
  if (!Number.isFinite(score) || score < 0 || score > 10) return 'unknown';
  return score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
}
