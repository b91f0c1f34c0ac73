// Package URLs (github.com/package-url/purl-spec): pkg:type/namespace/name@version?qualifiers#subpath.
// Pure. Each component is percent-encoded as UTF-8, leaving only A-Z a-z 0-9 . - _ ~ and the
// colon unencoded (the spec's "characters and encoding" rules); namespace and subpath segments
// are encoded one by one around their '/' separators; qualifiers are sorted by key and empty
// ones are dropped.
import { normalizePythonName } from './python.ts';
import type { OsRelease, RawPackage } from './types.ts';

export interface PurlParts {
  readonly type: string;
  /** '/'-separated segments (each one encoded). */
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers?: Readonly<Record<string, string | undefined>>;
  readonly subpath?: string;
}

/** Percent-encodes one component: encodeURIComponent also keeps !'()*, which purl does not allow bare. */
export function purlEncode(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%3A/g, ':');
}

const segments = (s: string): string[] => s.split('/').filter((x) => x !== '' && x !== '.' && x !== '..');

export function formatPurl(p: PurlParts): string {
  let out = `pkg:${p.type.toLowerCase()}/`;
  if (p.namespace) {
    const ns = segments(p.namespace);
    if (ns.length) out += `${ns.map(purlEncode).join('/')}/`;
  }
  out += purlEncode(p.name);
  if (p.version) out += `@${purlEncode(p.version)}`;
  const q = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (q.length) out += `?${q.map(([k, v]) => `${k}=${purlEncode(v)}`).join('&')}`;
  if (p.subpath) {
    const sp = segments(p.subpath);
    if (sp.length) out += `#${sp.map(purlEncode).join('/')}`;
  }
  return out;
}

/**
 * The distro qualifier: "<id>-<VERSION_ID>" (debian-12, ubuntu-22.04, rhel-9.4), Alpine's cut to
 * major.minor (alpine-3.19: its branches are what advisories name); "<id>-<codename>" when there
 * is no VERSION_ID (Debian testing).
 */
export function distroQualifier(os: OsRelease | undefined): string | undefined {
  if (!os) return undefined;
  let v = os.versionId;
  if (os.id === 'alpine') v = v.split('.').slice(0, 2).join('.');
  if (v) return `${os.id}-${v}`;
  return os.codename ? `${os.id}-${os.codename}` : os.id;
}

/**
 * The purl of a package found in an image whose os-release is `os`:
 *   deb:    pkg:deb/<os id or debian>/<name>@<version>?arch=..&distro=debian-12
 *   apk:    pkg:apk/<os id or alpine>/<name>@<version>?arch=..&distro=alpine-3.19
 *   rpm:    pkg:rpm/<os id>/<name>@<version>-<release>?arch=..&distro=..&epoch=N
 *           (the spec keeps the epoch in a qualifier, not in the version)
 *   npm:    pkg:npm/%40scope/name@version
 *   pypi:   pkg:pypi/<PEP 503 name>@version
 *   golang: pkg:golang/<module path>@version (case kept: module paths are case-sensitive, though
 *           the spec's pre-modules text says to lower-case them)
 *   maven:  pkg:maven/<group>/<artifact>@version (name given as "group:artifact")
 */
export function purlFor(pkg: RawPackage, os?: OsRelease): string {
  const distro = distroQualifier(os);
  switch (pkg.type) {
    case 'deb':
      return formatPurl({ type: 'deb', namespace: (os?.id ?? 'debian').toLowerCase(), name: pkg.name.toLowerCase(), version: pkg.version, qualifiers: { arch: pkg.arch, distro } });
    case 'apk':
      return formatPurl({ type: 'apk', namespace: (os?.id ?? 'alpine').toLowerCase(), name: pkg.name.toLowerCase(), version: pkg.version, qualifiers: { arch: pkg.arch, distro } });
    case 'rpm': {
      const m = /^(\d+):(.*)$/.exec(pkg.version);
      return formatPurl({
        type: 'rpm',
        ...(os ? { namespace: os.id.toLowerCase() } : {}),
        name: pkg.name,
        version: m ? m[2]! : pkg.version,
        qualifiers: { arch: pkg.arch, distro, epoch: m?.[1] },
      });
    }
    case 'npm': {
      const slash = pkg.name.startsWith('@') ? pkg.name.indexOf('/') : -1;
      return slash > 0
        ? formatPurl({ type: 'npm', namespace: pkg.name.slice(0, slash), name: pkg.name.slice(slash + 1), version: pkg.version })
        : formatPurl({ type: 'npm', name: pkg.name, version: pkg.version });
    }
    case 'pypi':
      return formatPurl({ type: 'pypi', name: normalizePythonName(pkg.name), version: pkg.version });
    case 'golang': {
      const slash = pkg.name.lastIndexOf('/');
      return slash > 0
        ? formatPurl({ type: 'golang', namespace: pkg.name.slice(0, slash), name: pkg.name.slice(slash + 1), version: pkg.version })
        : formatPurl({ type: 'golang', name: pkg.name, version: pkg.version });
    }
    case 'maven': {
      const colon = pkg.name.indexOf(':');
      return colon > 0
        ? formatPurl({ type: 'maven', namespace: pkg.name.slice(0, colon), name: pkg.name.slice(colon + 1), version: pkg.version })
        : formatPurl({ type: 'maven', name: pkg.name, version: pkg.version });
    }
  }
}
