// What a scanner must find in a Debian image, worked out with Debian's own tools and nothing of
// Berth's: dpkg-query reads the image's package database (binary and source packages), and the
// real `dpkg --compare-versions` decides whether an installed source version is below a fix.
// The advisories are the Debian security tracker's JSON (test/fixtures/vulndb).
import { spawnSync } from 'node:child_process';
import { ensureDebianTool } from '../../helpers/rootfs.ts';

export interface InstalledDeb {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly sourceVersion: string;
}

function dpkgQuery(admindir: string, format: string): string {
  ensureDebianTool('dpkg-query', 'dpkg');
  const r = spawnSync('dpkg-query', ['-W', `--admindir=${admindir}`, '-f', format], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`dpkg-query -W --admindir=${admindir} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** `dpkg-query -W --admindir=ADMINDIR -f '${Package} ${Version}\n'`, as its lines, sorted. */
export function dpkgQueryLines(admindir: string): string[] {
  return dpkgQuery(admindir, '${Package} ${Version}\n').split('\n').filter(Boolean).sort();
}

/** Every package of the database with its source package and source version. */
export function installedDebs(admindir: string): InstalledDeb[] {
  return dpkgQuery(admindir, '${Package}\t${Version}\t${source:Package}\t${source:Version}\n').split('\n').filter(Boolean).map((line) => {
    const [name, version, source, sourceVersion] = line.split('\t');
    if (!name || !version || !source || !sourceVersion) throw new Error(`dpkg-query printed an incomplete line: ${JSON.stringify(line)}`);
    return { name, version, source, sourceVersion };
  });
}

const compared = new Map<string, boolean>();

/** `dpkg --compare-versions a lt b`: exit 0 is true, 1 false, anything else an error. */
export function dpkgLessThan(a: string, b: string): boolean {
  const key = `${a}\n${b}`;
  const known = compared.get(key);
  if (known !== undefined) return known;
  ensureDebianTool('dpkg', 'dpkg');
  const r = spawnSync('dpkg', ['--compare-versions', a, 'lt', b], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`dpkg --compare-versions ${a} lt ${b} failed (${r.status}): ${r.stderr}`);
  compared.set(key, r.status === 0);
  return r.status === 0;
}

/** The tracker's urgency as the severity the scan reports. */
export function severityOfUrgency(urgency: string): string {
  const map: Record<string, string> = { unimportant: 'low', low: 'low', medium: 'medium', high: 'high', 'not yet assigned': 'unknown' };
  const s = map[urgency];
  if (!s) throw new Error(`the fixture has an urgency the test does not know: ${urgency}`);
  return s;
}

type Tracker = Record<string, Record<string, { releases: Record<string, { status: string; fixed_version?: string; urgency: string }> }>>;

/**
 * The findings the tracker data implies for these packages on a release (bookworm), one line
 * each: "ID PACKAGE INSTALLED-VERSION FIXED-VERSION|- SEVERITY", sorted. An open issue of source
 * S is one finding per installed binary package built from S, with no fix; a resolved one with
 * fixed version F is a finding when the installed source version is below F.
 */
export function expectedTrackerFindings(tracker: Tracker, installed: readonly InstalledDeb[], codename = 'bookworm'): string[] {
  const out: string[] = [];
  for (const [source, issues] of Object.entries(tracker)) {
    const binaries = installed.filter((p) => p.source === source);
    for (const [id, issue] of Object.entries(issues)) {
      const entry = issue.releases[codename];
      if (!entry) continue;
      const severity = severityOfUrgency(entry.urgency);
      for (const p of binaries) {
        if (entry.status === 'open') out.push(`${id} ${p.name} ${p.version} - ${severity}`);
        else if (entry.status === 'resolved' && entry.fixed_version && entry.fixed_version !== '0') {
          if (dpkgLessThan(p.sourceVersion, entry.fixed_version)) out.push(`${id} ${p.name} ${p.version} ${entry.fixed_version} ${severity}`);
        } else throw new Error(`the fixture has a ${codename} entry the test does not know: ${source} ${id} ${JSON.stringify(entry)}`);
      }
    }
  }
  return out.sort();
}

export interface ReportFinding { id: string; package: string; type: string; installedVersion: string; fixedVersion: string | null; severity: string }

/** A report's findings of one type in the same line form. */
export function findingLines(vulnerabilities: readonly ReportFinding[], type: string): string[] {
  return vulnerabilities.filter((v) => v.type === type).map((v) => `${v.id} ${v.package} ${v.installedVersion} ${v.fixedVersion ?? '-'} ${v.severity}`).sort();
}
