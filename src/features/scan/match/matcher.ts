// The matcher: which advisories affect which packages of an image. Pure: the advisories come
// from a lookup function (the feed store backs it with an indexed query), the packages from an
// inventory.
//
// Rules:
// - OS packages (deb, apk) match on their *source* package and its version, which is what
//   Debian and Alpine advisories name (a binNMU's binary version 1.2-3+b1 is looked up as its
//   source's 1.2-3). rpm advisories name binary packages, so rpm matches on the binary name, and
//   on the source name too, both with the binary's version (it carries the epoch; a SOURCERPM
//   file name does not).
// - OS advisories apply to one release only: the image's release key (debian:12, alpine:3.19,
//   rhel:9, ...) must equal the advisory's. An image whose release is unknown gets no OS
//   findings. Language packages (npm, pypi, golang, maven) have no release; PyPI names are
//   compared in PEP 503's normal form.
// - A version is affected when it equals one of the listed versions or lies in a range
//   (introduced <= v < fixed, v <= lastAffected, v < limit); an entry with neither ranges nor
//   versions affects every version (an open issue with no fix). A version the ecosystem's order
//   cannot place (an invalid semver, "(devel)") only matches listed versions and open issues.
// - fixedVersion is the smallest fixed version above the installed one that is not itself
//   affected.
// - Findings are deduplicated by (package, installed version) and the issue: findings whose ids
//   (advisory and aliases) meet are one finding, named by its CVE when one of the merged
//   advisories is a CVE, keeping the most severe severity, the highest CVSS score and the lowest
//   fixed version. An advisory derived from several CVEs (a DSA's upstream list) folds into
//   their findings when all of them are there.
import type { AffectedPackage, AffectedRange, Finding, Severity } from '../advisories/types.ts';
import { SEVERITIES } from '../advisories/types.ts';
import { DEBIAN_CODENAMES } from '../advisories/debian-tracker.ts';
import type { OsRelease, Package, PackageType } from '../inventory/types.ts';
import { comparatorFor, type VersionComparator } from '../versions/index.ts';
import { normalizeName } from '../versions/pep440.ts';

/** Advisories for one package name of an ecosystem, for one release (OS packages) or none. */
export type AdvisoryLookup = (type: PackageType, name: string, release?: string) => readonly AffectedPackage[];
export type AsyncAdvisoryLookup = (type: PackageType, name: string, release?: string) => Promise<readonly AffectedPackage[]> | readonly AffectedPackage[];

export interface MatchInput {
  readonly packages: readonly Package[];
  readonly os?: OsRelease;
  readonly lookup: AdvisoryLookup;
  /**
   * Shared by the matches of many inventories against the same advisories (a re-match): which
   * entries affect a (type, name, release, version), and their fixed versions, are worked out
   * once. Most images share most of their package versions.
   */
  readonly memo?: Map<string, readonly { readonly ap: AffectedPackage; readonly fixed: string | undefined }[]>;
  /** With `memo`: the merged findings of each group of packages (same type, name and version), by what the group holds. */
  readonly groupMemo?: Map<string, readonly Finding[]>;
  /**
   * With `memo`: an id for each package (parallel to `packages`) that equal packages share (the
   * stored package keys), so the group memo is keyed by ids instead of every package's fields.
   */
  readonly ids?: readonly number[];
}

const OS_TYPES: ReadonlySet<PackageType> = new Set(['deb', 'apk', 'rpm']);

/**
 * The release key of an image's os-release: debian 12.5 → debian:12 (no VERSION_ID: the
 * codename's number, else debian:unstable), ubuntu 22.04 → ubuntu:22.04, alpine 3.19.1 →
 * alpine:3.19 (an _alpha VERSION_ID is edge), rhel / almalinux / rocky / centos / ol 9.4 → <id>:9,
 * anything else <id>:<VERSION_ID>. undefined without an os-release.
 */
export function releaseKey(os: OsRelease | undefined): string | undefined {
  if (!os || !os.id) return undefined;
  const id = os.id.toLowerCase();
  const v = (os.versionId ?? '').trim();
  const major = /^\d+/.exec(v)?.[0];
  switch (id) {
    case 'debian': {
      if (major) return `debian:${major}`;
      const fromName = os.codename ? DEBIAN_CODENAMES[os.codename.toLowerCase()] : undefined;
      return `debian:${fromName ?? 'unstable'}`;
    }
    case 'alpine': {
      if (v.includes('_alpha')) return 'alpine:edge';
      const m = /^(\d+\.\d+)/.exec(v);
      return m ? `alpine:${m[1]}` : undefined;
    }
    case 'ubuntu': {
      const m = /^(\d+\.\d+)/.exec(v);
      return m ? `ubuntu:${m[1]}` : undefined;
    }
    case 'rhel':
    case 'almalinux':
    case 'rocky':
    case 'centos':
    case 'ol':
      return major ? `${id}:${major}` : undefined;
    default:
      return v ? `${id}:${v}` : undefined;
  }
}

/** One advisory query a package needs. */
export interface MatchKey {
  readonly type: PackageType;
  readonly name: string;
  readonly release?: string;
  /** The version to place in the advisory's ranges. */
  readonly version: string;
}

/** The queries for one package (empty for an OS package of an image whose release is unknown). */
export function matchKeys(pkg: Package, release: string | undefined): MatchKey[] {
  if (OS_TYPES.has(pkg.type)) {
    if (release === undefined) return [];
    if (pkg.type === 'rpm') {
      const keys: MatchKey[] = [{ type: 'rpm', name: pkg.name, release, version: pkg.version }];
      if (pkg.source?.name && pkg.source.name !== pkg.name) keys.push({ type: 'rpm', name: pkg.source.name, release, version: pkg.version });
      return keys;
    }
    return [{ type: pkg.type, name: pkg.source?.name || pkg.name, release, version: pkg.source?.version || pkg.version }];
  }
  return [{ type: pkg.type, name: pkg.type === 'pypi' ? normalizeName(pkg.name) : pkg.name, version: pkg.version }];
}

/** compare, or undefined when the ecosystem's order cannot place one of the versions. */
function safeCompare(cmp: VersionComparator, a: string, b: string): number | undefined {
  try {
    return cmp.compare(a, b);
  } catch {
    return undefined;
  }
}

function inRange(cmp: VersionComparator, v: string, r: AffectedRange): boolean {
  const ge = (bound: string | undefined): boolean => bound === undefined || bound === '0' || (safeCompare(cmp, v, bound) ?? -1) >= 0;
  const lt = (bound: string | undefined): boolean => bound === undefined || (safeCompare(cmp, v, bound) ?? 1) < 0;
  const le = (bound: string | undefined): boolean => bound === undefined || (safeCompare(cmp, v, bound) ?? 1) <= 0;
  return ge(r.introduced) && lt(r.fixed) && le(r.lastAffected) && lt(r.limit);
}

/** Whether a version is affected by one advisory entry (see the rules above). */
export function isAffected(version: string, ap: AffectedPackage, cmp: VersionComparator = comparatorFor(ap.type)): boolean {
  if (ap.ranges.length === 0 && ap.versions.length === 0) return true;
  if (ap.versions.some((x) => x === version || safeCompare(cmp, version, x) === 0)) return true;
  return ap.ranges.some((r) => inRange(cmp, version, r));
}

/** The smallest fixed version above `version` that the entry does not itself call affected. */
export function fixedVersionFor(version: string, ap: AffectedPackage, cmp: VersionComparator = comparatorFor(ap.type)): string | undefined {
  const above = ap.ranges
    .map((r) => r.fixed)
    .filter((f): f is string => f !== undefined && (safeCompare(cmp, f, version) ?? 0) > 0)
    .sort((a, b) => safeCompare(cmp, a, b) ?? 0);
  return above.find((f) => !isAffected(f, { ...ap, versions: [] }, cmp));
}

/** A finding before merging: it remembers the upstream ids of its advisory. */
interface RawFinding extends Finding {
  readonly upstream?: readonly string[];
}

const RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, unknown: 0 };

function preference(id: string): number {
  return /^CVE-/.test(id) ? 0 : /^GHSA-/.test(id) ? 1 : 2;
}

function cveOf(id: string): string | undefined {
  return /(?:^|-)(CVE-\d{4}-\d+)$/.exec(id)?.[1];
}

/** Merges the findings of one (type, package, installed version), as the rules above say. */
function mergeGroup(findings: readonly RawFinding[], cmp: VersionComparator): Finding[] {
  // Union-find over findings sharing any id.
  const parent = findings.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  const owner = new Map<string, number>();
  findings.forEach((f, i) => {
    for (const id of [f.advisory, ...f.aliases]) {
      const j = owner.get(id);
      if (j === undefined) owner.set(id, i);
      else parent[root(i)] = root(j);
    }
  });
  const groups = new Map<number, RawFinding[]>();
  findings.forEach((f, i) => {
    const r = root(i);
    const g = groups.get(r);
    if (g) g.push(f);
    else groups.set(r, [f]);
  });

  // An advisory of several upstream issues, alone in its group, folds into theirs when all are here.
  const folded = new Map<number, RawFinding[]>();
  for (const [r, members] of groups) {
    const f = members[0]!;
    if (members.length !== 1 || !f.upstream || f.upstream.length < 2) continue;
    const own = new Set([f.advisory, ...f.aliases]);
    // DEBIAN-CVE-X and CVE-X are one issue: look upstream ids up in their CVE form.
    const wanted = new Set(f.upstream.map((u) => cveOf(u) ?? u).filter((u) => !own.has(u)));
    const targets = new Set<number>();
    let all = wanted.size > 0;
    for (const u of wanted) {
      const j = owner.get(u);
      if (j === undefined || root(j) === r) {
        all = false;
        break;
      }
      targets.add(root(j));
    }
    if (!all || targets.size === 0) continue;
    groups.delete(r);
    for (const t of targets) folded.set(t, [...(folded.get(t) ?? []), f]);
  }

  const out: Finding[] = [];
  for (const [r, members] of groups) {
    const extra = folded.get(r) ?? [];
    const advisories = [...new Set(members.map((m) => m.advisory))].sort((a, b) => preference(a) - preference(b) || (a < b ? -1 : a > b ? 1 : 0));
    const primaryId = advisories[0]!;
    const primary = members.find((m) => m.advisory === primaryId)!;
    const ids = new Set<string>();
    for (const m of [...members, ...extra]) for (const id of [m.advisory, ...m.aliases]) ids.add(id);
    ids.delete(primaryId);
    const severity = members.reduce<Severity>((s, m) => (RANK[m.severity] > RANK[s] ? m.severity : s), 'unknown');
    const scores = members.map((m) => m.cvss).filter((c): c is number => c !== undefined);
    const fixes = [...members, ...extra].map((m) => m.fixedVersion).filter((v): v is string => v !== undefined);
    const fixed = fixes.reduce<string | undefined>((low, v) => (low === undefined || (safeCompare(cmp, v, low) ?? 0) < 0 ? v : low), undefined);
    const summary = primary.summary ?? members.find((m) => m.summary !== undefined)?.summary;
    const links = [...new Set([...primary.links, ...members.flatMap((m) => m.links), ...extra.flatMap((m) => m.links)])];
    const source = members.find((m) => m.source)?.source;
    out.push({
      advisory: primaryId,
      aliases: [...ids].sort(),
      package: primary.package,
      type: primary.type,
      installedVersion: primary.installedVersion,
      ...(fixed !== undefined ? { fixedVersion: fixed } : {}),
      severity,
      ...(scores.length > 0 ? { cvss: Math.max(...scores) } : {}),
      ...(summary !== undefined ? { summary } : {}),
      links,
      purl: primary.purl,
      ...(source ? { source } : {}),
    });
  }
  return out;
}

/** Deduplicates and merges findings (exported for the lead's re-matching and for tests). */
export function mergeFindings(findings: readonly (Finding & { readonly upstream?: readonly string[] })[]): Finding[] {
  const byPackage = new Map<string, RawFinding[]>();
  for (const f of findings) {
    const key = `${f.type}\u0000${f.package}\u0000${f.installedVersion}`;
    const g = byPackage.get(key);
    if (g) g.push(f);
    else byPackage.set(key, [f]);
  }
  const out: Finding[] = [];
  for (const group of byPackage.values()) out.push(...mergeGroup(group, comparatorFor(group[0]!.type)));
  return out.sort(
    (a, b) =>
      cmpStr(a.type, b.type) || cmpStr(a.package, b.package) || cmpStr(a.installedVersion, b.installedVersion) || RANK[b.severity] - RANK[a.severity] || cmpStr(a.advisory, b.advisory),
  );
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function keyOf(k: { type: string; name: string; release?: string }): string {
  return `${k.type}\u0000${k.name}\u0000${k.release ?? ''}`;
}

/** Each package's group key, kept while the package lives (a re-match shares one object per stored package key). */
const groupKeys = new WeakMap<Package, string>();

function groupKeyOf(pkg: Package): string {
  let key = groupKeys.get(pkg);
  if (key === undefined) {
    key = `${pkg.type}\u0000${pkg.name}\u0000${pkg.version}`;
    groupKeys.set(pkg, key);
  }
  return key;
}

/** The findings of an inventory. */
export function match(input: MatchInput): Finding[] {
  const release = releaseKey(input.os);
  const cache = new Map<string, readonly AffectedPackage[]>();
  // Findings merge per (type, package, installed version): each such group is matched on its own,
  // and with a memo, once for every image that holds the same packages.
  const groups = new Map<string, { pkgs: Package[]; ids: number[] }>();
  input.packages.forEach((pkg, i) => {
    const key = groupKeyOf(pkg);
    const g = groups.get(key);
    if (g) {
      g.pkgs.push(pkg);
      if (input.ids) g.ids.push(input.ids[i]!);
    } else groups.set(key, { pkgs: [pkg], ids: input.ids ? [input.ids[i]!] : [] });
  });
  // Each group's findings come out sorted (mergeFindings), and groups differ in (type, package,
  // installed version), the first keys of the order: sorting the groups sorts the findings.
  const ordered = [...groups].sort(([a], [b]) => cmpStr(a, b));
  const out: Finding[] = [];
  for (const [key, { pkgs, ids }] of ordered) {
    const memoKey = !input.memo
      ? undefined
      : input.ids
        ? `${release ?? ''}\u0000${ids.length === 1 ? ids[0] : ids.sort((a, b) => a - b).join(',')}`
        : `${release ?? ''}\u0000${key}\u0000${pkgs.map((p) => `${p.purl}\u0000${p.source?.name ?? ''}\u0000${p.source?.version ?? ''}`).sort().join('\u0001')}`;
    const hit = memoKey !== undefined ? input.groupMemo?.get(memoKey) : undefined;
    if (hit) {
      for (const f of hit) out.push(f);
      continue;
    }
    const merged = mergeFindings(rawFindings(pkgs, release, input, cache));
    if (memoKey !== undefined) input.groupMemo?.set(memoKey, merged);
    for (const f of merged) out.push(f);
  }
  return out;
}

/** The findings of some packages before merging. */
function rawFindings(packages: readonly Package[], release: string | undefined, input: MatchInput, cache: Map<string, readonly AffectedPackage[]>): RawFinding[] {
  const raw: RawFinding[] = [];
  for (const pkg of packages) {
    const cmp = comparatorFor(pkg.type);
    const sourceDiffers = pkg.source !== undefined && (pkg.source.name !== pkg.name || pkg.source.version !== pkg.version) && pkg.type !== 'rpm';
    for (const key of matchKeys(pkg, release)) {
      const k = keyOf(key);
      const mk = `${k}\u0000${key.version}`;
      let affecting = input.memo?.get(mk);
      if (!affecting) {
        let found = cache.get(k);
        if (!found) cache.set(k, (found = input.lookup(key.type, key.name, key.release)));
        const list: { ap: AffectedPackage; fixed: string | undefined }[] = [];
        for (const ap of found) {
          // The lookup should return only these, but an advisory for another release never matches.
          if (ap.type !== key.type || ap.name !== key.name || ap.release !== key.release) continue;
          if (!isAffected(key.version, ap, cmp)) continue;
          list.push({ ap, fixed: fixedVersionFor(key.version, ap, cmp) });
        }
        affecting = list;
        input.memo?.set(mk, list);
      }
      for (const { ap, fixed } of affecting) {
        raw.push({
          advisory: ap.advisory,
          aliases: ap.aliases,
          ...(ap.upstream ? { upstream: ap.upstream } : {}),
          package: pkg.name,
          type: pkg.type,
          installedVersion: pkg.version,
          ...(fixed !== undefined ? { fixedVersion: fixed } : {}),
          severity: ap.severity,
          ...(ap.cvss !== undefined ? { cvss: ap.cvss } : {}),
          ...(ap.summary !== undefined ? { summary: ap.summary } : {}),
          links: ap.links,
          purl: pkg.purl,
          ...(sourceDiffers ? { source: { name: key.name, version: key.version } } : {}),
        });
      }
    }
  }
  return raw;
}

/** match() with a lookup that may be asynchronous (PostgreSQL): every distinct query is made once, then matched. */
export async function matchAsync(input: Omit<MatchInput, 'lookup'> & { readonly lookup: AsyncAdvisoryLookup }): Promise<Finding[]> {
  const release = releaseKey(input.os);
  const keys = new Map<string, MatchKey>();
  for (const pkg of input.packages) for (const key of matchKeys(pkg, release)) keys.set(keyOf(key), key);
  const results = new Map<string, readonly AffectedPackage[]>();
  for (const [k, key] of keys) results.set(k, await input.lookup(key.type, key.name, key.release));
  return match({ ...input, lookup: (type, name, rel) => results.get(keyOf({ type, name, release: rel })) ?? [] });
}

/** Counts by severity, every severity present. */
export function summarise(findings: readonly Finding[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[f.severity]++;
  return out;
}

/** The n most severe findings: by severity, then CVSS score (none last), then advisory id, then package. */
export function worst(findings: readonly Finding[], n: number): Finding[] {
  return [...findings]
    .sort((a, b) => RANK[b.severity] - RANK[a.severity] || (b.cvss ?? -1) - (a.cvss ?? -1) || cmpStr(a.advisory, b.advisory) || cmpStr(a.package, b.package))
    .slice(0, Math.max(0, n));
}
