// Python distributions from their core metadata: *.dist-info/METADATA, *.egg-info/PKG-INFO and
// single-file *.egg-info (email-style headers: Name, Version, License). Pure.
import type { RawPackage } from './types.ts';

/** PEP 503 normalisation: runs of "-", "_" and "." become "-", lower case (as PyPI and OSV name them). */
export function normalizePythonName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** The header block (up to the first blank line), as field name (lower case) to values. */
function headers(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break; // the body (the long description) follows
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = out.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    out.set(key, values);
    last = values;
  }
  return out;
}

function licensesOf(h: Map<string, string[]>): string[] | undefined {
  const expr = h.get('license-expression')?.[0];
  if (expr) return [expr];
  // License: is free text, sometimes the whole license; keep it only when it looks like a name.
  const lic = h.get('license')?.[0];
  if (lic && !lic.includes('\n') && lic.length <= 128 && lic.toUpperCase() !== 'UNKNOWN') return [lic];
  const fromClassifiers = (h.get('classifier') ?? [])
    .filter((c) => c.startsWith('License ::'))
    .map((c) => c.split('::').pop()!.trim())
    .filter((c) => c && c !== 'OSI Approved');
  return fromClassifiers.length ? fromClassifiers : undefined;
}

/** One package per metadata file; its name PEP 503-normalised (the purl's and advisories' form). */
export function parsePythonMetadata(data: Buffer | string, location: string): RawPackage[] {
  const h = headers(typeof data === 'string' ? data : data.toString('utf8'));
  const name = h.get('name')?.[0];
  const version = h.get('version')?.[0];
  if (!name || !version) return [];
  const licenses = licensesOf(h);
  return [{ name: normalizePythonName(name), version, type: 'pypi', location, ...(licenses ? { licenses } : {}) }];
}
