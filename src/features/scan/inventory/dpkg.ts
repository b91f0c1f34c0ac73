// dpkg's database (var/lib/dpkg/status) and distroless's one-file-per-package variant
// (var/lib/dpkg/status.d/<name>) into packages. Pure.
//
// Which packages count: the same ones `dpkg-query -W` lists, i.e. every stanza whose Status is
// not "... not-installed": installed, but also config-files, half-installed, unpacked,
// half-configured, triggers-awaited and triggers-pending (files of the package may be on disk in
// all of those). In the status file a stanza without Status is not an installed package (dpkg
// ignores it); status.d files are `dpkg-deb --field` output, which has no Status, so there a
// missing Status means installed.
import { parseStanzas } from './rfc822.ts';
import type { RawPackage } from './types.ts';

export interface DpkgParseOptions {
  /** The file is a distroless status.d entry: a missing Status means installed. */
  readonly statusD?: boolean;
}

/** Whether a Status value ("want flag state") is one dpkg-query -W lists. */
export function dpkgStatusListed(status: string | undefined, statusD = false): boolean {
  if (status === undefined) return statusD;
  const state = status.trim().split(/\s+/)[2];
  return state !== undefined && state !== 'not-installed';
}

/** Parses "name" or "name (version)" from a Source field. */
export function parseDpkgSource(value: string, packageVersion: string): { name: string; version: string } {
  const m = /^(\S+)\s*(?:\(\s*([^)\s]+)\s*\))?/.exec(value.trim());
  if (!m) return { name: value.trim(), version: packageVersion };
  return { name: m[1]!, version: m[2] ?? packageVersion };
}

export function parseDpkgStatus(data: Buffer | string, location: string, options: DpkgParseOptions = {}): RawPackage[] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const out: RawPackage[] = [];
  for (const s of parseStanzas(text)) {
    const name = s.get('package');
    if (!name) continue;
    if (!dpkgStatusListed(s.get('status'), options.statusD)) continue;
    const version = s.get('version') ?? '';
    const arch = s.get('architecture');
    const source = s.get('source');
    out.push({
      name,
      version,
      type: 'deb',
      location,
      ...(arch ? { arch } : {}),
      // Only when the stanza names one: otherwise the source is the package itself.
      ...(source ? { source: parseDpkgSource(source, version) } : {}),
    });
  }
  return out;
}
