// os-release (etc/os-release, usr/lib/os-release): which distribution and release. Pure.
// The format is shell-like KEY=value lines; values may be quoted with "" or '' and, inside
// double quotes, use backslash escapes (os-release(5)).
import type { OsRelease } from './types.ts';

function unquote(v: string): string {
  const s = v.trim();
  if (s.length >= 2 && s[0] === '"' && s.endsWith('"')) return s.slice(1, -1).replace(/\\(["\\`$])/g, '$1');
  if (s.length >= 2 && s[0] === "'" && s.endsWith("'")) return s.slice(1, -1);
  return s.replace(/\\(.)/g, '$1');
}

/** All KEY=value pairs. */
export function parseOsReleaseFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out.set(m[1]!, unquote(m[2]!));
  }
  return out;
}

/** The release, or undefined when the file names no ID. VERSION_ID may be '' (Debian sid). */
export function parseOsRelease(data: Buffer | string): OsRelease | undefined {
  const f = parseOsReleaseFields(typeof data === 'string' ? data : data.toString('utf8'));
  const id = f.get('ID')?.toLowerCase();
  if (!id) return undefined;
  const codename = f.get('VERSION_CODENAME');
  const prettyName = f.get('PRETTY_NAME');
  return {
    id,
    versionId: f.get('VERSION_ID') ?? '',
    ...(codename ? { codename } : {}),
    ...(prettyName ? { prettyName } : {}),
  };
}
