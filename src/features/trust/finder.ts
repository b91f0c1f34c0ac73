// Where an image's signatures are, in the four layouts Berth verifies: cosign's legacy
// sha256-<hex>.sig tag (simple-signing layers, the signature in an annotation); Sigstore bundles
// and Notation signatures stored as OCI referrers of the image; and the GPG signatures skopeo and
// podman store through the signature API extension. Reads go through the registry's services,
// never through GET, so no pull gate stands in the way.
import { parseDigest } from '../../core/digest.ts';
import { parseManifest, type Descriptor } from '../../core/manifest.ts';
import type { Registry } from '../../registry/registry.ts';
import type { StorageDriver } from '../../storage/driver.ts';
import { blobPath } from '../../storage/paths.ts';
import type { SignatureCandidate } from './verify/index.ts';

export const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const COSIGN_CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const SIGSTORE_BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const NOTATION_SIGNATURE = 'application/vnd.cncf.notary.signature';
/** A signature is small; a larger blob is not read. */
const MAX_SIGNATURE_BLOB = 4 * 1024 * 1024;
/** Signatures of one image looked at, at most. */
const MAX_CANDIDATES = 64;

export interface FoundSignature {
  readonly candidate: SignatureCandidate;
  /** Where it was found, for reports: the .sig manifest's digest, a referrer's, or an extension signature's name. */
  readonly source: { readonly kind: 'cosign-tag' | 'referrer' | 'extension'; readonly ref: string };
}

export function cosignTagOf(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** cosign's tags that follow a subject: sha256-<hex>.sig, .att and .sbom. */
export const COSIGN_TAG = /^sha(256|512)-[0-9a-f]{64,128}\.(sig|att|sbom)$/;

export class SignatureFinder {
  constructor(private readonly registry: Registry, private readonly storage: StorageDriver) {}

  /**
   * What signatures the image has, cheaply (a few indexed reads, no blob): a verdict computed
   * for the same sources still holds, whichever instance computed it.
   */
  async sources(repository: string, digest: string): Promise<string[]> {
    const out: string[] = [];
    const tag = await this.registry.manifests.resolve(repository, cosignTagOf(digest)).catch(() => undefined);
    if (tag) out.push(`tag ${tag.digest}`);
    const index = await this.registry.discovery.referrers(repository, digest).catch(() => undefined);
    for (const r of index?.manifests ?? []) {
      if (r.artifactType === SIGSTORE_BUNDLE || r.artifactType === NOTATION_SIGNATURE) out.push(`referrer ${r.digest}`);
    }
    for (const name of await this.registry.signatures.names(repository, digest)) out.push(`extension ${name}`);
    return out.sort();
  }

  async find(repository: string, digest: string): Promise<FoundSignature[]> {
    const out: FoundSignature[] = [];
    await this.cosignTag(repository, digest, out);
    await this.referrers(repository, digest, out);
    for (const s of await this.registry.signatures.contents(repository, digest)) {
      out.push({ candidate: { format: 'gpg', content: s.content }, source: { kind: 'extension', ref: s.name } });
    }
    return out.slice(0, MAX_CANDIDATES);
  }

  private async cosignTag(repository: string, digest: string, out: FoundSignature[]): Promise<void> {
    const info = await this.registry.manifests.resolve(repository, cosignTagOf(digest)).catch(() => undefined);
    if (!info) return;
    const facts = parseManifest(await this.registry.manifests.bytes(info.digest), info.mediaType);
    for (const layer of facts.layers) {
      if (layer.mediaType !== COSIGN_SIMPLESIGNING) continue;
      const signature = layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
      const payload = await this.blob(layer);
      if (!signature || !payload) continue;
      const certificate = layer.annotations?.[COSIGN_CERTIFICATE_ANNOTATION];
      const chain = layer.annotations?.[COSIGN_CHAIN_ANNOTATION];
      out.push({
        candidate: { format: 'cosign', payload, signature, ...(certificate ? { certificate } : {}), ...(chain ? { chain } : {}) },
        source: { kind: 'cosign-tag', ref: info.digest },
      });
    }
  }

  private async referrers(repository: string, digest: string, out: FoundSignature[]): Promise<void> {
    const index = await this.registry.discovery.referrers(repository, digest).catch(() => undefined);
    for (const r of index?.manifests ?? []) {
      if (r.artifactType !== SIGSTORE_BUNDLE && r.artifactType !== NOTATION_SIGNATURE) continue;
      const facts = parseManifest(await this.registry.manifests.bytes(r.digest), r.mediaType);
      for (const layer of facts.layers) {
        const bytes = await this.blob(layer);
        if (!bytes) continue;
        if (r.artifactType === SIGSTORE_BUNDLE) out.push({ candidate: { format: 'sigstore-bundle', bundle: bytes }, source: { kind: 'referrer', ref: r.digest } });
        else out.push({ candidate: { format: 'notation', envelope: bytes, mediaType: layer.mediaType }, source: { kind: 'referrer', ref: r.digest } });
      }
    }
  }

  private async blob(d: Descriptor): Promise<Buffer | undefined> {
    if (d.size > MAX_SIGNATURE_BLOB) return undefined;
    const path = blobPath(parseDigest(d.digest));
    if (!(await this.storage.stat(path))) return undefined;
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of await this.storage.read(path)) {
      n += (c as Buffer).length;
      if (n > MAX_SIGNATURE_BLOB) return undefined;
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }
}
