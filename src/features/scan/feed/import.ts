// Importing vulnerability data, offline: OSV records (a folder of JSON files, a zip such as
// osv.dev's per-ecosystem all.zip, a JSON array, NDJSON) or the Debian security tracker's JSON,
// from a path, an uploaded stream, or an OCI artifact in a registry (an air-gapped site mirrors the
// feed like any image). Records are read one at a time and loaded in batches; the feed switches to
// the new data in one transaction at the end (feed/store.ts). Progress is reported as it goes.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { parseOsv, OsvFormatError } from '../advisories/osv.ts';
import { parseTrackerPackage } from '../advisories/debian-tracker.ts';
import { openZip, ZipFormatError } from '../advisories/zip.ts';
import { readTar, TarEntryTooLargeError, TarError } from '../inventory/tar.ts';
import { jsonItems, JsonItemsError } from './json-items.ts';
import { OciClient, parseOciRef, type OciClientOptions } from './oci-client.ts';
import type { FeedLoad, FeedStore } from './store.ts';

export type FeedFormat = 'osv' | 'debian-tracker';

export interface ImportOptions {
  /** What this import replaces: the default is derived from the data (osv:<ecosystems>, debian-tracker). */
  readonly source?: string;
  readonly progress?: (text: string) => void;
  /** For oci:// sources. */
  readonly oci?: OciClientOptions;
  readonly signal?: AbortSignal;
}

export interface ImportResult {
  readonly feedId: number;
  /** The feed version now active (its imports' digests hashed together). */
  readonly feedDigest: string;
  readonly digest: string;
  readonly source: string;
  readonly format: FeedFormat;
  readonly records: number;
  readonly affected: number;
  /** Records (or tracker entries) that could not be read, and affected entries Berth does not scan. */
  readonly invalid: number;
  readonly skipped: number;
}

export class FeedImportError extends Error {}

const OSV_KEYS = new Set(['schema_version', 'id', 'modified', 'published', 'withdrawn', 'aliases', 'related', 'summary', 'details', 'severity', 'affected', 'references', 'credits', 'database_specific', 'upstream']);
const PROGRESS_EVERY = 2000;
/** A Debian source package name (the tracker's top-level keys). */
const TRACKER_PACKAGE = /^[a-z0-9][a-z0-9+.-]{0,200}$/;

/** Reads the records the loader sees, whatever container they came in. */
class Importer {
  format: FeedFormat | undefined;
  invalid = 0;
  skipped = 0;
  private readonly keys = new Set<string>();
  private seen = 0;

  constructor(private readonly load: FeedLoad, private readonly options: ImportOptions) {}

  /** Bytes read outside the readers below (whole small files), for the import's digest. */
  digest(bytes: Uint8Array): void {
    this.load.digestBytes(bytes);
  }

  async osv(record: unknown): Promise<void> {
    this.setFormat('osv');
    let parsed;
    try {
      parsed = parseOsv(record);
    } catch (error) {
      if (!(error instanceof OsvFormatError)) throw error;
      this.invalid++;
      return;
    }
    this.skipped += parsed.skipped;
    if (parsed.withdrawn) return;
    for (const a of parsed.affected) this.keys.add(a.release ?? a.type);
    const modified = parsed.modified ? Date.parse(parsed.modified) : undefined;
    await this.load.add(parsed.affected, modified !== undefined && !Number.isNaN(modified) ? modified : undefined);
    this.tick();
  }

  async tracker(source: string, issues: unknown): Promise<void> {
    this.setFormat('debian-tracker');
    // A source package name, and its issues by id: anything else is not the tracker's data.
    if (!TRACKER_PACKAGE.test(source) || !issues || typeof issues !== 'object' || Array.isArray(issues)) {
      this.invalid++;
      return;
    }
    const parsed = parseTrackerPackage(source, issues);
    this.skipped += parsed.skipped;
    await this.load.add(parsed.affected);
    this.tick();
  }

  /** An item of an array of OSV records: an object, or it is invalid (never the tracker's data). */
  private async osvItem(item: unknown): Promise<void> {
    if (item && typeof item === 'object' && !Array.isArray(item)) return this.osv(item);
    this.setFormat('osv');
    this.invalid++;
  }

  /** A JSON text that is one record, an array of records, or the tracker's document. */
  async jsonText(text: string): Promise<void> {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      this.invalid++;
      return;
    }
    if (Array.isArray(doc)) {
      for (const r of doc) await this.osvItem(r);
    } else if (doc && typeof doc === 'object' && isOsvRecord(doc as Record<string, unknown>)) {
      await this.osv(doc);
    } else if (doc && typeof doc === 'object') {
      for (const [k, v] of Object.entries(doc as Record<string, unknown>)) await this.tracker(k, v);
    } else {
      this.invalid++;
    }
  }

  private async osvText(text: string): Promise<void> {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      this.setFormat('osv');
      this.invalid++;
      return;
    }
    await this.osvItem(doc);
  }

  /** A JSON document as a stream: top-level items one at a time (a record, or the tracker). */
  async jsonStream(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    let decided: 'array' | 'osv-record' | 'tracker' | undefined;
    const first: { key?: string; text: string }[] = [];
    for await (const item of jsonItems(tee(chunks, (c) => this.load.digestBytes(c)))) {
      this.options.signal?.throwIfAborted();
      if (!decided) {
        if (item.key === undefined) decided = 'array';
        else if (OSV_KEYS.has(item.key)) decided = 'osv-record';
        else decided = 'tracker';
      }
      if (decided === 'array') await this.osvText(item.text);
      else if (decided === 'tracker') await this.tracker(item.key!, JSON.parse(item.text));
      else first.push(item); // a single OSV record: its members come in one by one
    }
    if (decided === 'osv-record') await this.osv(Object.fromEntries(first.map((i) => [i.key!, JSON.parse(i.text)])));
  }

  /** NDJSON: one OSV record per line. */
  async ndjson(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    let rest = '';
    const decoder = new TextDecoder();
    for await (const c of chunks) {
      this.load.digestBytes(c);
      rest += decoder.decode(c, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl).trim();
        rest = rest.slice(nl + 1);
        if (line) await this.jsonText(line);
      }
    }
    rest += decoder.decode();
    if (rest.trim()) await this.jsonText(rest.trim());
  }

  /** A zip of JSON files (osv.dev's all.zip), entries in name order. */
  async zip(path: string): Promise<void> {
    for await (const chunk of createReadStream(path)) this.load.digestBytes(chunk as Buffer);
    const zip = await openZip(path);
    try {
      for (const entry of zip.entries.filter((e) => e.name.endsWith('.json')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        this.options.signal?.throwIfAborted();
        await this.jsonText((await zip.read(entry)).toString('utf8'));
      }
    } finally {
      await zip.close();
    }
  }

  /** A tar (maybe gzipped) of JSON files, as an OCI layer may be. */
  async tar(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const entry of readTar(tee(chunks, (c) => this.load.digestBytes(c)))) {
      if (entry.type === 'file' && entry.path.endsWith('.json')) await this.jsonText((await entry.read(64 * 1024 * 1024)).toString('utf8'));
      else await entry.skip();
    }
  }

  sourceKey(): string {
    if (this.format === 'debian-tracker') return 'debian-tracker';
    return `osv:${[...this.keys].sort().join(',') || 'empty'}`;
  }

  private setFormat(f: FeedFormat): void {
    if (this.format && this.format !== f) throw new FeedImportError('one import holds both OSV records and the Debian tracker\'s data: import them separately');
    this.format = f;
  }

  private tick(): void {
    this.seen++;
    if (this.seen % PROGRESS_EVERY === 0) {
      const { records, affected } = this.load.counts;
      this.options.progress?.(`read ${records.toLocaleString('en')} records (${affected.toLocaleString('en')} affected packages)`);
    }
  }
}

function isOsvRecord(doc: Record<string, unknown>): boolean {
  return typeof doc.id === 'string' && ('affected' in doc || 'modified' in doc || 'schema_version' in doc);
}

async function* tee(chunks: AsyncIterable<Uint8Array>, see: (c: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    see(c);
    yield c;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries: Dirent[] = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (e.name.endsWith('.json') || e.name.endsWith('.zip'))) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

async function looksLike(path: string): Promise<'zip' | 'gzip' | 'json' | 'ndjson' | 'tar'> {
  if (path.endsWith('.ndjson') || path.endsWith('.jsonl')) return 'ndjson';
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const b = head.subarray(0, bytesRead);
    if (b[0] === 0x50 && b[1] === 0x4b) return 'zip';
    if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
    if (bytesRead >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return 'json';
  } finally {
    await fh.close();
  }
}

async function run(store: FeedStore, origin: string, options: ImportOptions, read: (importer: Importer) => Promise<void>): Promise<ImportResult> {
  const load = await store.begin(origin);
  const importer = new Importer(load, options);
  try {
    await read(importer);
    if (!importer.format) throw new FeedImportError(`${origin} holds no OSV records and no Debian tracker data`);
    // Nothing Berth can match (only invalid records, withdrawn ones, or ecosystems it does not
    // scan) would replace good data with none: refused, and the active feed stays.
    if (load.counts.affected === 0) {
      throw new FeedImportError(`${origin} holds nothing Berth can match (${load.counts.records} usable records, ${importer.invalid} invalid, ${importer.skipped} entries of ecosystems Berth does not scan); the active feed is unchanged`);
    }
    const source = options.source ?? importer.sourceKey();
    load.setSourceAndFormat(source, importer.format);
    const { records, affected } = load.counts;
    options.progress?.(`read ${records.toLocaleString('en')} records (${affected.toLocaleString('en')} affected packages); switching the feed`);
    const committed = await load.commit();
    return { feedId: committed.feedId, feedDigest: committed.feedDigest, digest: committed.digest, source: committed.source, format: importer.format, records, affected: load.counts.affected, invalid: importer.invalid, skipped: importer.skipped };
  } catch (error) {
    await load.abandon().catch(() => undefined);
    throw asImportError(error, origin);
  }
}

/** A malformed input (a broken zip, tar, gzip or JSON document) is the data's fault: say what it is. */
function asImportError(error: unknown, origin: string): unknown {
  const code = (error as { code?: unknown }).code;
  const malformed = error instanceof ZipFormatError || error instanceof JsonItemsError || error instanceof TarError || error instanceof TarEntryTooLargeError
    || (typeof code === 'string' && code.startsWith('Z_'));
  return malformed ? new FeedImportError(`${origin} cannot be read: ${(error as Error).message}`) : error;
}

/** Imports a folder, a zip, a JSON or NDJSON file, or a (gzipped) tar of JSON files. */
export async function importPath(store: FeedStore, path: string, options: ImportOptions = {}): Promise<ImportResult> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new FeedImportError(`${path} does not exist`);
  return run(store, path, options, async (importer) => {
    if (info.isDirectory()) {
      const files = await filesUnder(path);
      if (!files.length) throw new FeedImportError(`${path} holds no .json or .zip files`);
      for (const f of files) {
        options.signal?.throwIfAborted();
        if (f.endsWith('.zip')) await importer.zip(f);
        else {
          const bytes = await readFile(f);
          importer.digest(bytes);
          await importer.jsonText(bytes.toString('utf8'));
        }
      }
      return;
    }
    await readFileInto(importer, path);
  });
}

/** Imports what a client uploaded (the API): zip, JSON, NDJSON or tar, by content type or content. */
export async function importStream(store: FeedStore, chunks: AsyncIterable<Uint8Array>, contentType: string, origin: string, options: ImportOptions = {}): Promise<ImportResult> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-vulndb-'));
  try {
    const file = join(dir, 'upload'); // its format is read from its first bytes
    await pipeline(chunks, createWriteStream(file, { mode: 0o600 }));
    return await run(store, origin, options, (importer) => readFileInto(importer, file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Imports the layers of an OCI artifact: zip, JSON, NDJSON or (gzipped) tar layers. */
export async function importOci(store: FeedStore, reference: string, options: ImportOptions = {}): Promise<ImportResult> {
  const ref = parseOciRef(reference);
  const client = new OciClient(ref, options.oci ?? {});
  options.progress?.(`fetching ${reference}`);
  const manifest = await client.manifest();
  if (manifest.facts.isIndex) throw new FeedImportError(`${reference} is an index; give the feed artifact's own manifest`);
  const dir = await mkdtemp(join(tmpdir(), 'berth-vulndb-'));
  try {
    return await run(store, reference, options, async (importer) => {
      let n = 0;
      for (const layer of manifest.facts.layers) {
        n++;
        options.progress?.(`fetching layer ${n}/${manifest.facts.layers.length} (${Math.round(layer.size / 1048576)} MiB)`);
        const file = join(dir, `layer-${n}`);
        const hash = createHash(layer.digest.startsWith('sha512:') ? 'sha512' : 'sha256');
        await pipeline(await client.blob(layer.digest), async function* (src: AsyncIterable<Buffer>) {
          for await (const c of src) { hash.update(c); yield c; }
        }, createWriteStream(file, { mode: 0o600 }));
        if (`${layer.digest.split(':')[0]}:${hash.digest('hex')}` !== layer.digest) throw new FeedImportError(`layer ${layer.digest} of ${reference} does not match its digest`);
        await readFileInto(importer, file, layer.mediaType);
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readFileInto(importer: Importer, file: string, mediaType = ''): Promise<void> {
  // "zip" as a word: application/zip, +zip, but not the gzip of a tar+gzip layer.
  const kind = /(^|[^a-z])zip/.test(mediaType) ? 'zip' : mediaType.includes('ndjson') ? 'ndjson' : mediaType.includes('tar') ? (mediaType.includes('gzip') ? 'gzip' : 'tar') : await looksLike(file);
  switch (kind) {
    case 'zip': return importer.zip(file);
    case 'ndjson': return importer.ndjson(createReadStream(file));
    case 'tar': return importer.tar(createReadStream(file));
    case 'gzip': return importer.tar(createReadStream(file).pipe(createGunzip()));
    default: return importer.jsonStream(createReadStream(file));
  }
}
