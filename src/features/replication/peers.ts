// The two ends of a replication, behind one interface: Berth itself (through the registry model,
// as a push would) and a peer registry (through registry-client, over HTTP with token auth). The
// copier (copier.ts) reads from one and writes to the other, and never knows which is which.
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import { parseDigest } from '../../core/digest.ts';
import { RegistryError } from '../../core/errors.ts';
import { MediaType } from '../../core/mediatypes.ts';
import { projectOf } from '../../core/reference.ts';
import type { Database } from '../../metadata/schema.ts';
import { listTags } from '../../metadata/tags.ts';
import type { RequestContext } from '../../registry/context.ts';
import type { Registry } from '../../registry/registry.ts';
import type { RegistryClient} from '../../registry-client/index.ts';
import { UpstreamError, type ReferrerDescriptor } from '../../registry-client/index.ts';
import { fallbackTag } from './filters.ts';

export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly body: Buffer;
}

export interface Endpoint {
  /** For messages: "Berth" or the peer's URL. */
  readonly label: string;
  /** Whether it answers the referrers API (asked once); without it the tag schema's index is kept up to date. */
  hasReferrersApi(repository: string, digest: string): Promise<boolean>;
  /** Repository names as this end spells them (canonical for Berth). */
  repositories(label?: string): Promise<string[]>;
  tags(repository: string): Promise<string[]>;
  /** The digest a tag or digest resolves to, or undefined. */
  head(repository: string, reference: string): Promise<string | undefined>;
  manifest(repository: string, reference: string): Promise<FetchedManifest>;
  hasBlob(repository: string, digest: string): Promise<boolean>;
  openBlob(repository: string, digest: string): Promise<{ size?: number; stream: Readable }>;
  putBlob(repository: string, digest: string, size: number, stream: Readable): Promise<void>;
  /** Links a blob another repository of this end holds; false when it could not. */
  mount(repository: string, digest: string, from: string): Promise<boolean>;
  /** A repository of this end that holds the blob (and passes `wanted`), to mount from; undefined: none known. */
  mountSource?(digest: string, except: string, wanted?: (repository: string) => boolean): Promise<string | undefined>;
  /** Stores a manifest; `indexed`: the subject's referrers list it (OCI-Subject came back, or Berth). */
  putManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<{ indexed: boolean }>;
  /** The manifests whose subject is `digest` (the referrers API, else the fallback tag). */
  referrers(repository: string, digest: string): Promise<ReferrerDescriptor[]>;
  /** Deletes a tag (the manifest stays where the registry can, else the manifest when no kept tag needs it). */
  deleteTag(repository: string, tag: string): Promise<boolean>;
  deleteManifest(repository: string, digest: string): Promise<boolean>;
}

/** Berth's own registry as an end of a replication. */
export class LocalEndpoint implements Endpoint {
  readonly label = 'Berth';

  async hasReferrersApi(): Promise<boolean> {
    return true;
  }

  constructor(
    private readonly registry: Registry,
    private readonly db: Kysely<Database>,
    private readonly ctx: RequestContext,
    /** Makes the project of a repository a pull brings in, when it does not exist. */
    private readonly ensureProject: (project: string) => Promise<void> = async () => {},
  ) {}

  async repositories(label?: string): Promise<string[]> {
    let q = this.db.selectFrom('repositories').select(['name', 'labels']).orderBy('name');
    if (label) q = q.where('labels', 'like', `%${label}%`);
    const rows = await q.execute();
    return rows.filter((r) => !label || r.labels.split(' ').includes(label)).map((r) => r.name);
  }

  async tags(repository: string): Promise<string[]> {
    const repo = await this.registry.repositories.find(repository);
    if (!repo) return [];
    const out: string[] = [];
    let last: string | undefined;
    for (;;) {
      const page = await listTags(this.db, repo.id, 1000, last);
      out.push(...page);
      if (page.length < 1000) return out;
      last = page[page.length - 1];
    }
  }

  async head(repository: string, reference: string): Promise<string | undefined> {
    try {
      return (await this.registry.manifests.resolve(repository, reference)).digest;
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'MANIFEST_UNKNOWN') return undefined;
      throw error;
    }
  }

  async manifest(repository: string, reference: string): Promise<FetchedManifest> {
    const info = await this.registry.manifests.resolve(repository, reference);
    return { digest: info.digest, mediaType: info.mediaType, body: await this.registry.manifests.bytes(info.digest) };
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    try {
      await this.registry.blobs.stat(repository, digest);
      return true;
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'BLOB_UNKNOWN') return false;
      throw error;
    }
  }

  async openBlob(repository: string, digest: string): Promise<{ size?: number; stream: Readable }> {
    const { info, stream } = await this.registry.blobs.open(repository, digest);
    return { size: info.size, stream };
  }

  async putBlob(repository: string, digest: string, _size: number, stream: Readable): Promise<void> {
    await this.ensureProject(projectOf(repository));
    await this.registry.uploads.putMonolithic(this.ctx, repository, digest, stream);
  }

  async mount(repository: string, digest: string, from: string): Promise<boolean> {
    await this.ensureProject(projectOf(repository));
    return Boolean(await this.registry.blobs.mount(this.ctx, repository, digest, from));
  }

  async mountSource(digest: string, except: string, wanted: (repository: string) => boolean = () => true): Promise<string | undefined> {
    const rows = await this.db.selectFrom('repository_blobs').innerJoin('repositories', 'repositories.id', 'repository_blobs.repository_id')
      .select('repositories.name').where('repository_blobs.digest', '=', parseDigest(digest).digest).where('repositories.name', '!=', except).limit(50).execute();
    return rows.find((r) => wanted(r.name))?.name;
  }

  async putManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<{ indexed: boolean }> {
    await this.ensureProject(projectOf(repository));
    await this.registry.manifests.put(this.ctx, repository, reference, body, mediaType);
    return { indexed: true };
  }

  async referrers(repository: string, digest: string): Promise<ReferrerDescriptor[]> {
    return (await this.registry.discovery.referrers(repository, digest)).manifests;
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    try {
      await this.registry.manifests.delete(this.ctx, repository, tag);
      return true;
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'MANIFEST_UNKNOWN') return false;
      throw error;
    }
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    return this.deleteTag(repository, digest);
  }
}

/** A peer registry (any OCI registry: Distribution, another Berth, ...) as an end of a replication. */
export class RemoteEndpoint implements Endpoint {
  private referrersApi: boolean | undefined;

  constructor(readonly client: RegistryClient) {}

  get label(): string {
    return this.client.url;
  }

  /** As the peer lists them (Distribution keeps "app" as "app"; Berth's copier canonicalises for filters). */
  repositories(): Promise<string[]> {
    return this.client.catalog();
  }

  tags(repository: string): Promise<string[]> {
    return this.client.listTags(repository);
  }

  async head(repository: string, reference: string): Promise<string | undefined> {
    const head = await this.client.headManifest(repository, reference);
    if (!head) return undefined;
    return head.digest ?? (await this.client.getManifest(repository, reference)).digest;
  }

  async manifest(repository: string, reference: string): Promise<FetchedManifest> {
    return this.client.getManifest(repository, reference);
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    return Boolean(await this.client.headBlob(repository, digest));
  }

  openBlob(repository: string, digest: string): Promise<{ size?: number; stream: Readable }> {
    return this.client.getBlob(repository, digest);
  }

  putBlob(repository: string, digest: string, size: number, stream: Readable): Promise<void> {
    return this.client.pushBlob(repository, digest, size, stream);
  }

  async mount(repository: string, digest: string, from: string): Promise<boolean> {
    try {
      return await this.client.mountBlob(repository, digest, from);
    } catch (error) {
      // A refused mount (no pull right on `from`, a registry without mounts) is an upload then.
      if (error instanceof UpstreamError && (error.failure === 'auth' || error.failure === 'invalid')) return false;
      throw error;
    }
  }

  async putManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<{ indexed: boolean }> {
    const r = await this.client.putManifest(repository, reference, body, mediaType);
    if (r.subject) this.referrersApi = true;
    return { indexed: Boolean(r.subject) };
  }

  async hasReferrersApi(repository: string, digest: string): Promise<boolean> {
    if (this.referrersApi === undefined) {
      const listed = await this.client.getReferrers(repository, digest).catch((error: unknown) => {
        if (error instanceof UpstreamError && error.failure === 'invalid') return undefined;
        throw error;
      });
      this.referrersApi = listed !== undefined;
    }
    return this.referrersApi;
  }

  async referrers(repository: string, digest: string): Promise<ReferrerDescriptor[]> {
    const listed = await this.client.getReferrers(repository, digest).catch((error: unknown) => {
      // Some registries answer an unknown route with 400/405 rather than 404.
      if (error instanceof UpstreamError && error.failure === 'invalid') return undefined;
      throw error;
    });
    if (listed) return listed;
    // No referrers API (Distribution 2.8): the tag schema, an index tagged sha256-<hex>.
    let index: FetchedManifest;
    try {
      index = await this.client.getManifest(repository, fallbackTag(digest));
    } catch (error) {
      if (error instanceof UpstreamError && error.failure === 'not-found') return [];
      throw error;
    }
    try {
      const parsed = JSON.parse(index.body.toString('utf8')) as { manifests?: ReferrerDescriptor[] };
      return (parsed.manifests ?? []).filter((m) => typeof m?.digest === 'string');
    } catch {
      return [];
    }
  }

  async deleteTag(repository: string, tag: string): Promise<boolean> {
    try {
      return await this.client.deleteManifest(repository, tag);
    } catch (error) {
      // Distribution 2.8 deletes manifests by digest only: the caller deletes the digest then.
      if (error instanceof UpstreamError && error.failure === 'invalid') throw new UpstreamError('invalid', `${this.label} cannot delete a tag alone`, error.status);
      throw error;
    }
  }

  deleteManifest(repository: string, digest: string): Promise<boolean> {
    return this.client.deleteManifest(repository, digest);
  }
}

/** The fallback index (tag schema) of `subject` with `referrer` added, or undefined when it lists it already. */
export function withReferrer(existing: Buffer | undefined, referrer: ReferrerDescriptor): Buffer | undefined {
  let manifests: ReferrerDescriptor[] = [];
  if (existing) {
    try {
      manifests = (JSON.parse(existing.toString('utf8')) as { manifests?: ReferrerDescriptor[] }).manifests ?? [];
    } catch { /* a broken index is replaced */ }
  }
  if (manifests.some((m) => m.digest === referrer.digest)) return undefined;
  manifests.push(referrer);
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
}
