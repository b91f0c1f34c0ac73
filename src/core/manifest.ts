// Manifest parsing and validation (pure). Accepts the OCI image manifest and index, Docker v2
// schema 2 and the Docker manifest list, including artifacts (artifactType, subject), and
// returns the facts the registry stores as rows. Anything else is MANIFEST_INVALID.
import { tryParseDigest } from './digest.ts';
import { RegistryError } from './errors.ts';
import { MANIFEST_MEDIA_TYPES, MediaType, isIndexMediaType } from './mediatypes.ts';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  readonly platform?: Platform;
  /** Where else the content may be fetched from (image-spec: non-distributable layers). */
  readonly urls?: readonly string[];
}

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly 'os.version'?: string;
}

/** What the registry keeps about a manifest, besides its bytes. */
export interface ManifestFacts {
  readonly mediaType: string;
  readonly isIndex: boolean;
  /** artifactType, or for an image manifest without one, its config's media type (referrers rule). */
  readonly artifactType?: string;
  readonly subject?: Descriptor;
  readonly config?: Descriptor;
  /** Layers of an image manifest. */
  readonly layers: readonly Descriptor[];
  /** Child manifests of an index. */
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Record<string, string>;
}

function invalid(reason: string): RegistryError {
  return new RegistryError('MANIFEST_INVALID', { reason }, { message: `manifest invalid: ${reason}` });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) throw invalid(`${where} must be an object of strings`);
  for (const [k, val] of Object.entries(v)) if (typeof val !== 'string') throw invalid(`${where}.${k} must be a string`);
  return v as Record<string, string>;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size, artifactType, platform } = v;
  if (typeof mediaType !== 'string' || mediaType.length === 0 || mediaType.length > 255) throw invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof digest !== 'string' || !tryParseDigest(digest)) throw invalid(`${where}.digest is not a valid sha256 or sha512 digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid(`${where}.artifactType must be a string`);
  const out: { -readonly [K in keyof Descriptor]: Descriptor[K] } = { mediaType, digest, size };
  if (artifactType !== undefined) out.artifactType = artifactType;
  const annotations = stringMap(v.annotations, `${where}.annotations`);
  if (annotations) out.annotations = annotations;
  if (v.urls !== undefined) {
    if (!Array.isArray(v.urls) || v.urls.some((u) => typeof u !== 'string' || u.length === 0 || u.length > 2048)) throw invalid(`${where}.urls must be an array of URLs`);
    out.urls = v.urls as string[];
  }
  if (platform !== undefined) {
    if (!isObject(platform) || typeof platform.architecture !== 'string' || typeof platform.os !== 'string') {
      throw invalid(`${where}.platform needs string architecture and os`);
    }
    out.platform = platform as unknown as Platform;
  }
  return out;
}

function descriptors(v: unknown, where: string): Descriptor[] {
  if (!Array.isArray(v)) throw invalid(`${where} must be an array`);
  return v.map((d, i) => descriptor(d, `${where}[${i}]`));
}

/**
 * Parses manifest bytes. `contentType` is the request's Content-Type; when the document has a
 * mediaType field they must agree. Throws RegistryError MANIFEST_INVALID with a reason.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ManifestFacts {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw invalid('body is not valid JSON');
  }
  if (!isObject(doc)) throw invalid('manifest must be a JSON object');
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2 (Docker schema 1 is not supported)');

  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.mediaType !== undefined && declared === undefined) throw invalid('mediaType must be a string');
  const header = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
  const headerIsManifest = header !== undefined && MANIFEST_MEDIA_TYPES.has(header);
  if (declared && headerIsManifest && declared !== header) {
    throw invalid(`mediaType ${declared} does not match Content-Type ${header}`);
  }
  let mediaType = declared ?? (headerIsManifest ? header : undefined);
  if (!mediaType) {
    // OCI allows mediaType to be omitted; infer from the shape, as Distribution does.
    mediaType = Array.isArray(doc.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
  }
  if (!MANIFEST_MEDIA_TYPES.has(mediaType)) throw invalid(`unsupported manifest media type ${mediaType}`);

  const artifactTypeField = doc.artifactType;
  if (artifactTypeField !== undefined && typeof artifactTypeField !== 'string') throw invalid('artifactType must be a string');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const annotations = stringMap(doc.annotations, 'annotations');

  if (isIndexMediaType(mediaType)) {
    if (doc.layers !== undefined || doc.config !== undefined) throw invalid('an index has manifests, not config or layers');
    const manifests = descriptors(doc.manifests, 'manifests');
    return { mediaType, isIndex: true, artifactType: artifactTypeField as string | undefined, subject, layers: [], manifests, annotations };
  }

  if (doc.manifests !== undefined) throw invalid('an image manifest has config and layers, not manifests');
  const config = descriptor(doc.config, 'config');
  const layers = descriptors(doc.layers, 'layers');
  if (mediaType === MediaType.DockerManifest && layers.length === 0) throw invalid('a Docker image manifest needs at least one layer');
  const artifactType = (artifactTypeField as string | undefined) ?? (subject ? config.mediaType : undefined);
  return { mediaType, isIndex: false, artifactType, subject, config, layers, manifests: [], annotations };
}
