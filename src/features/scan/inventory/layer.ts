// One layer read once into its LayerIndex (decompress -> tar -> select -> parse or stream-scan),
// and the fold of an image's layer indexes into its inventory. Only selected files are buffered,
// each within its size limit; everything else streams past and is discarded.
import { reclaiming } from '../../../core/reclaim.ts';
import { decompressLayer, type DecompressOptions } from './decompress.ts';
import { parseApkInstalled } from './apk.ts';
import { parseDpkgStatus } from './dpkg.ts';
import { GoBuildInfoScanner, goPackages } from './go-buildinfo.ts';
import { parseJar } from './jar.ts';
import { parseNpmLock, parseNpmPackageJson } from './npm.ts';
import { parseOsRelease } from './os-release.ts';
import { purlFor } from './purl.ts';
import { parsePythonMetadata } from './python.ts';
import { parseRpmdbSqlite } from './rpm.ts';
import { couldHoldFinding, selectFile, type ReadKind } from './select.ts';
import { TarReader, type TarEntryReader } from './tar.ts';
import type { FileFinding, FileKind, Inventory, LayerIndex, Package, RawPackage } from './types.ts';

export type IndexLayerOptions = DecompressOptions;

/**
 * The indexer's version: a stored LayerIndex made by another version may miss what this one
 * finds (or differ in form), so whoever caches indexes by layer digest re-indexes when it changes.
 */
export const LAYER_INDEX_VERSION = 1;

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Parses a selected file's bytes; throws on malformed content. */
function parseFile(kind: ReadKind, data: Buffer, path: string): FileFinding {
  switch (kind) {
    case 'os-release': {
      const os = parseOsRelease(data);
      return os ? { kind, packages: [], os } : { kind, packages: [], unread: 'no ID= line' };
    }
    case 'dpkg-status': return { kind, packages: parseDpkgStatus(data, path) };
    case 'dpkg-status-d': return { kind, packages: parseDpkgStatus(data, path, { statusD: true }) };
    case 'apk-installed': return { kind, packages: parseApkInstalled(data, path) };
    case 'rpmdb-sqlite': return { kind, packages: parseRpmdbSqlite(data, path) };
    case 'npm-lock': return { kind, packages: parseNpmLock(data, path) };
    case 'npm-package': return { kind, packages: parseNpmPackageJson(data, path) };
    case 'python-metadata': return { kind, packages: parsePythonMetadata(data, path) };
    case 'jar': return { kind, packages: parseJar(data, path) };
  }
}

/** What one regular file says, or undefined when it says nothing (and so only hides). */
async function examine(entry: TarEntryReader): Promise<FileFinding | undefined> {
  const sel = selectFile(entry);
  if (!sel) return undefined;
  if (sel.action === 'unsupported') return { kind: sel.kind, packages: [], unread: sel.reason };
  if (sel.action === 'stream-scan') {
    const scanner = new GoBuildInfoScanner();
    for await (const chunk of entry.chunks()) if (!scanner.push(chunk)) break;
    const r = scanner.result();
    if (r.kind === 'found') return { kind: 'go-binary', packages: goPackages(r.info, entry.path) };
    if (r.kind === 'unsupported') return { kind: 'go-binary', packages: [], unread: r.reason };
    return undefined;
  }
  if (entry.size > sel.max) return { kind: sel.kind, packages: [], unread: `${entry.size} bytes, over the ${sel.max} bytes read for ${sel.kind}` };
  const data = await entry.read(sel.max);
  try {
    return parseFile(sel.kind, data, entry.path);
  } catch (error) {
    return { kind: sel.kind, packages: [], unread: `malformed: ${(error as Error).message}` };
  }
}

const relocate = (f: FileFinding, path: string): FileFinding => ({ ...f, packages: f.packages.map((p) => ({ ...p, location: path })) });

/**
 * Reads one layer blob once. Whiteouts (".wh.<name>": <dir>/<name> is deleted) and opaque
 * markers (".wh..wh..opq": the folder's lower contents are gone) are recorded, not applied:
 * they act on lower layers only (OCI image-spec, layer changesets), which foldLayers knows.
 * Throws UnsupportedLayerError, DecompressError or TarError when the blob cannot be read.
 */
export async function indexLayer(source: AsyncIterable<Uint8Array>, mediaType: string, options: IndexLayerOptions = {}): Promise<LayerIndex> {
  const reader = new TarReader(reclaiming(decompressLayer(source, mediaType, options)));
  const files = new Map<string, FileFinding>();
  const masked = new Set<string>();
  const whiteouts = new Set<string>();
  const opaqueDirs = new Set<string>();
  for await (const entry of reader.entries()) {
    const path = entry.path;
    if (path === '') continue;
    const slash = path.lastIndexOf('/');
    const dir = slash === -1 ? '' : path.slice(0, slash);
    const base = path.slice(slash + 1);
    if (base.startsWith(WHITEOUT)) {
      if (base === OPAQUE) opaqueDirs.add(dir);
      // Other ".wh..wh." names are aufs bookkeeping (hard-link dirs), not deletions.
      else if (!base.startsWith('.wh..wh.') && base.length > WHITEOUT.length) whiteouts.add(dir ? `${dir}/${base.slice(WHITEOUT.length)}` : base.slice(WHITEOUT.length));
      continue;
    }
    // Within one layer a later entry at the same path replaces an earlier one.
    files.delete(path);
    masked.delete(path);
    let finding: FileFinding | undefined;
    if (entry.type === 'file') finding = await examine(entry);
    else if (entry.type === 'hardlink' && entry.linkpath !== undefined) {
      // Same content as an earlier entry of this layer (a tar hard link points backwards).
      const target = files.get(entry.linkpath);
      if (target) finding = relocate(target, path);
    } else if (entry.type === 'dir') continue; // a folder over a folder merges; it hides nothing
    if (finding) files.set(path, finding);
    else if (couldHoldFinding(path) || (entry.type === 'file' && (entry.mode & 0o111) !== 0)) masked.add(path);
  }
  const sorted = [...files.keys()].sort();
  return {
    files: Object.fromEntries(sorted.map((p) => [p, files.get(p)!])),
    whiteouts: [...whiteouts].sort(),
    opaqueDirs: [...opaqueDirs].sort(),
    bytesRead: reader.bytesRead,
    ...(masked.size ? { masked: [...masked].sort() } : {}),
  };
}

/** Whether a lower layer's file at `path` survives this layer's whiteouts and opaque folders. */
function survives(path: string, whiteouts: ReadonlySet<string>, opaque: ReadonlySet<string>): boolean {
  if (opaque.has('')) return false;
  let i = path.indexOf('/');
  while (i !== -1) {
    const ancestor = path.slice(0, i);
    if (whiteouts.has(ancestor) || opaque.has(ancestor)) return false;
    i = path.indexOf('/', i + 1);
  }
  return !whiteouts.has(path);
}

const dirOf = (p: string): string => (p.lastIndexOf('/') === -1 ? '' : p.slice(0, p.lastIndexOf('/')));

/**
 * An image's inventory from its layer indexes, lowest layer first. Pure. For each layer: its
 * whiteouts delete the lower files at or under their path, its opaque folders delete every lower
 * file under them, its masked paths delete the lower file there; then its own files are added,
 * replacing lower ones at the same path. Packages get purls for the os-release that survives
 * (etc/os-release, else usr/lib/os-release). The same package (type, name, version, arch) found
 * twice at one location is listed once, and a lock-file entry is left out when the package's own
 * package.json was found in the folder the lock puts it in.
 */
export function foldLayers(layers: readonly LayerIndex[]): Inventory {
  const acc = new Map<string, FileFinding>();
  for (const layer of layers) {
    if (layer.whiteouts.length || layer.opaqueDirs.length) {
      const w = new Set(layer.whiteouts);
      const o = new Set(layer.opaqueDirs);
      for (const p of [...acc.keys()]) if (!survives(p, w, o)) acc.delete(p);
    }
    for (const p of layer.masked ?? []) acc.delete(p);
    for (const [p, f] of Object.entries(layer.files)) acc.set(p, f);
  }
  const paths = [...acc.keys()].sort();
  const os = acc.get('etc/os-release')?.os ?? acc.get('usr/lib/os-release')?.os;
  // Folders holding an installed npm package (node_modules/x/package.json with a name and version).
  const installedNpm = new Set<string>();
  for (const p of paths) {
    const f = acc.get(p)!;
    if (f.kind === 'npm-package' && f.packages.length) installedNpm.add(dirOf(p));
  }
  const seen = new Set<string>();
  const packages: Package[] = [];
  const unread: { location: string; kind: FileKind; reason: string }[] = [];
  for (const p of paths) {
    const f = acc.get(p)!;
    if (f.unread !== undefined && f.kind !== 'os-release') unread.push({ location: p, kind: f.kind, reason: f.unread });
    for (const raw of f.packages as readonly RawPackage[]) {
      if (raw.installedAt !== undefined && installedNpm.has(raw.installedAt)) continue;
      const key = [raw.type, raw.name, raw.version, raw.arch ?? '', raw.location].join('\0');
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push({ ...raw, purl: purlFor(raw, os) });
    }
  }
  return { ...(os ? { os } : {}), packages, ...(unread.length ? { unread } : {}) };
}
