// The registry signature API extension (containers/image's "X-Registry-Supports-Signatures",
// first offered by OpenShift's registry): skopeo and podman store the GPG "atomic" signatures they
// make with --sign-by next to the image, and read them back on pull. Signatures are per
// repository and image digest, added one at a time, never changed; they go when the image does.
import { parseDigest } from '../core/digest.ts';
import { RegistryError } from '../core/errors.ts';
import { findLinkedManifest } from '../metadata/manifests.ts';
import { countSignatures, insertSignature, signatureNamesOf, signaturesOf } from '../metadata/signatures.ts';
import type { RequestContext } from './context.ts';
import type { RegistryDeps } from './deps.ts';
import type { Repositories } from './repositories.ts';

/** The only version and type of the extension's signature objects. */
export const SIGNATURE_VERSION = 2;
export const SIGNATURE_TYPE = 'atomic';
/** A signature is a few KiB; this bounds what one PUT may store. */
export const MAX_SIGNATURE_BYTES = 256 * 1024;
/** Signatures one image may hold. */
export const MAX_SIGNATURES_PER_IMAGE = 100;

/** As containers/image and OpenShift's registry spell it (content is base64, as Go encodes []byte). */
export interface ImageSignature {
  readonly schemaVersion: number;
  readonly type: string;
  readonly name: string;
  /** Base64 of the signature bytes. */
  readonly content: string;
}

export class SignatureService {
  constructor(private readonly deps: RegistryDeps, private readonly repos: Repositories) {}

  /** The signatures of the image (an empty list when it has none); 404 when the image is not there. */
  async list(repository: string, reference: string): Promise<ImageSignature[]> {
    const { repositoryId, digest } = await this.image(repository, reference);
    return (await signaturesOf(this.deps.db, repositoryId, digest)).map((r) => ({ schemaVersion: SIGNATURE_VERSION, type: SIGNATURE_TYPE, name: r.name, content: r.content }));
  }

  /** The names of the image's signatures (none when the repository or image is not there). */
  async names(repository: string, digest: string): Promise<string[]> {
    const repo = await this.repos.find(repository);
    return repo ? signatureNamesOf(this.deps.db, repo.id, digest) : [];
  }

  /** The raw signature bytes of the image, for verification. */
  async contents(repository: string, digest: string): Promise<{ name: string; content: Buffer; createdBy: string | null }[]> {
    const repo = await this.repos.find(repository);
    if (!repo) return [];
    return (await signaturesOf(this.deps.db, repo.id, digest)).map((r) => ({ name: r.name, content: Buffer.from(r.content, 'base64'), createdBy: r.created_by }));
  }

  /** Stores one more signature of the image (an existing name is kept as it was). */
  async add(ctx: RequestContext, repository: string, reference: string, body: unknown): Promise<void> {
    const { repositoryId, digest } = await this.image(repository, reference);
    const invalid = (message: string) => new RegistryError('INVALID_REQUEST', undefined, { message });
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('the body is one signature object: {"schemaVersion": 2, "type": "atomic", "name": "<digest>@<name>", "content": "<base64>"}');
    const s = body as Partial<ImageSignature>;
    if (s.schemaVersion !== SIGNATURE_VERSION) throw invalid(`signature schemaVersion ${JSON.stringify(s.schemaVersion)} is not supported (only ${SIGNATURE_VERSION})`);
    // The type may be left out (it then means an atomic signature, as OpenShift defaults it).
    if (s.type !== undefined && s.type !== SIGNATURE_TYPE) throw invalid(`signature type ${JSON.stringify(s.type)} is not supported (only "${SIGNATURE_TYPE}")`);
    if (typeof s.name !== 'string' || !s.name.startsWith(`${digest}@`) || s.name.length > digest.length + 1 + 256 || !/^[A-Za-z0-9._-]+$/.test(s.name.slice(digest.length + 1))) {
      throw invalid(`the signature's name must be "${digest}@" and a unique name of letters, digits, ".", "_" and "-"`);
    }
    if (typeof s.content !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s.content) || !s.content.length) throw invalid('the signature\'s content must be base64');
    const bytes = Buffer.from(s.content, 'base64');
    if (bytes.length > MAX_SIGNATURE_BYTES) throw new RegistryError('BODY_TOO_LARGE', { limit: MAX_SIGNATURE_BYTES });
    if ((await countSignatures(this.deps.db, repositoryId, digest)) >= MAX_SIGNATURES_PER_IMAGE) {
      throw new RegistryError('DENIED', undefined, { message: `the image has ${MAX_SIGNATURES_PER_IMAGE} signatures already` });
    }
    const now = this.deps.now?.() ?? Date.now();
    const added = await insertSignature(this.deps.db, repositoryId, digest, { name: s.name, content: bytes.toString('base64'), createdBy: ctx.actor.name ?? null }, now);
    if (added) this.deps.bus.emit({ type: 'signature', repository, digest, name: s.name, at: new Date(now), actor: ctx.actor, ...(ctx.requestId ? { requestId: ctx.requestId } : {}) });
  }

  private async image(repository: string, reference: string): Promise<{ repositoryId: number; digest: string }> {
    const unknown = () => new RegistryError('MANIFEST_UNKNOWN', { reference: reference.slice(0, 200) });
    const repo = await this.repos.find(repository);
    if (!repo) throw unknown();
    let digest: string;
    try {
      digest = parseDigest(reference).digest;
    } catch {
      throw new RegistryError('DIGEST_INVALID', undefined, { message: 'signatures are addressed by the image\'s manifest digest' });
    }
    if (!(await findLinkedManifest(this.deps.db, repo.id, digest))) throw unknown();
    return { repositoryId: repo.id, digest };
  }
}
