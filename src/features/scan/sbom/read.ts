// Reads an SBOM a user pushed as a referrer (CycloneDX JSON, or SPDX 2.x JSON) into an inventory,
// so the image is scanned from it instead of from its layers. Packages are known by their purls;
// an OS package's source package comes from the purl's "upstream" qualifier (as Syft writes it) or
// from Trivy's and Berth's properties, and the distribution from the "distro" qualifier or the
// operating-system component. Pure.
import type { Inventory, OsRelease, Package, PackageType } from '../inventory/types.ts';
import { parsePurl, type ParsedPurl } from './purl-parse.ts';

const TYPES: Record<string, PackageType> = { deb: 'deb', apk: 'apk', rpm: 'rpm', npm: 'npm', pypi: 'pypi', golang: 'golang', maven: 'maven' };
/** Bounds on what a pushed document may make us hold. */
const MAX_PACKAGES = 200_000;

export class SbomFormatError extends Error {}

/** The inventory an SBOM states; throws SbomFormatError when it is neither CycloneDX nor SPDX JSON. */
export function readSbom(text: string): Inventory {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SbomFormatError(`the SBOM is not JSON: ${(error as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new SbomFormatError('the SBOM is not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.bomFormat === 'CycloneDX') return readCycloneDx(d);
  if (typeof d.spdxVersion === 'string') return readSpdx(d);
  throw new SbomFormatError('the SBOM is neither CycloneDX JSON (bomFormat) nor SPDX JSON (spdxVersion)');
}

interface Entry { purl?: unknown; name?: unknown; version?: unknown; licenses?: unknown; properties?: unknown; components?: unknown; type?: unknown; description?: unknown }

function readCycloneDx(doc: Record<string, unknown>): Inventory {
  const packages: Package[] = [];
  let os: OsRelease | undefined;
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const raw of list) {
      if (!raw || typeof raw !== 'object' || packages.length >= MAX_PACKAGES) continue;
      const c = raw as Entry;
      if (c.type === 'operating-system' && typeof c.name === 'string' && typeof c.version === 'string' && !os) {
        os = { id: c.name.toLowerCase(), versionId: c.version, ...(typeof c.description === 'string' ? { prettyName: c.description } : {}) };
      }
      const props = new Map<string, string>();
      if (Array.isArray(c.properties)) for (const p of c.properties as { name?: unknown; value?: unknown }[]) if (typeof p.name === 'string' && typeof p.value === 'string') props.set(p.name, p.value);
      const licenses: string[] = [];
      if (Array.isArray(c.licenses)) {
        for (const l of c.licenses as { license?: { id?: unknown; name?: unknown }; expression?: unknown }[]) {
          const v = l.license?.id ?? l.license?.name ?? l.expression;
          if (typeof v === 'string') licenses.push(v);
        }
      }
      if (typeof c.purl === 'string') {
        const pkg = fromPurl(c.purl, {
          sourceName: props.get('berth:source:name') ?? props.get('aquasecurity:trivy:SrcName'),
          sourceVersion: props.get('berth:source:version') ?? props.get('aquasecurity:trivy:SrcVersion'),
          location: props.get('berth:location') ?? 'sbom',
          licenses,
        });
        if (pkg) packages.push(pkg);
      }
      walk(c.components);
    }
  };
  walk(doc.components);
  os ??= osFromPurls(packages);
  return { packages, ...(os ? { os } : {}) };
}

function readSpdx(doc: Record<string, unknown>): Inventory {
  const packages: Package[] = [];
  const list = Array.isArray(doc.packages) ? doc.packages : [];
  for (const raw of list) {
    if (!raw || typeof raw !== 'object' || packages.length >= MAX_PACKAGES) continue;
    const p = raw as { externalRefs?: { referenceType?: unknown; referenceLocator?: unknown }[]; licenseDeclared?: unknown };
    const ref = (p.externalRefs ?? []).find((r) => r.referenceType === 'purl' && typeof r.referenceLocator === 'string');
    if (!ref) continue;
    const declared = typeof p.licenseDeclared === 'string' && p.licenseDeclared !== 'NOASSERTION' && p.licenseDeclared !== 'NONE' ? [p.licenseDeclared] : [];
    const pkg = fromPurl(ref.referenceLocator as string, { location: 'sbom', licenses: declared });
    if (pkg) packages.push(pkg);
  }
  const os = osFromPurls(packages);
  return { packages, ...(os ? { os } : {}) };
}

function fromPurl(value: string, extra: { sourceName?: string | undefined; sourceVersion?: string | undefined; location: string; licenses: string[] }): Package | undefined {
  const p = parsePurl(value);
  if (!p || !p.version) return undefined;
  const type = TYPES[p.type];
  if (!type) return undefined;
  const name = nameOf(type, p);
  let source: Package['source'];
  const upstream = p.qualifiers.upstream;
  if (extra.sourceName) source = { name: extra.sourceName, version: extra.sourceVersion ?? p.version };
  else if (upstream) {
    const at = upstream.indexOf('@');
    source = at > 0 ? { name: upstream.slice(0, at), version: upstream.slice(at + 1) } : { name: upstream, version: p.version };
  }
  return {
    name, version: p.version, type, purl: value, location: extra.location,
    ...(source && (source.name !== name || source.version !== p.version) ? { source } : {}),
    ...(p.qualifiers.arch ? { arch: p.qualifiers.arch } : {}),
    ...(extra.licenses.length ? { licenses: extra.licenses } : {}),
  };
}

/** Ecosystem names as the advisories name them: npm keeps its scope, Go its module path. */
function nameOf(type: PackageType, p: ParsedPurl): string {
  if (!p.namespace) return p.name;
  if (type === 'npm' || type === 'golang') return `${p.namespace}/${p.name}`;
  if (type === 'maven') return `${p.namespace}:${p.name}`;
  return p.name; // deb/apk/rpm: the namespace is the vendor or distribution
}

/** The distribution from OS packages' "distro" qualifiers (debian-12, alpine-3.19), if they agree. */
function osFromPurls(packages: readonly Package[]): OsRelease | undefined {
  for (const p of packages) {
    if (p.type !== 'deb' && p.type !== 'apk' && p.type !== 'rpm') continue;
    const distro = parsePurl(p.purl)?.qualifiers.distro;
    const m = distro ? /^([a-z]+)-(.+)$/i.exec(distro) : null;
    if (m) return { id: m[1]!.toLowerCase(), versionId: m[2]! };
  }
  return undefined;
}
