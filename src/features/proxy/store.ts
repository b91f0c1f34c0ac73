// The proxy tables (migration 014): proxy projects, when each cached tag was last checked, and
// the per-blob fetch leases. Typed here, beside the feature that owns them.
import type { Kysely } from 'kysely';
import { RegistryError } from '../../core/errors.ts';
import type { Database } from '../../metadata/schema.ts';
import type { SecretBox } from './secrets.ts';
import type { TagTtlRule } from './ttl.ts';

interface ProxyTables {
  proxy_projects: {
    project_id: number;
    upstream: string;
    username: string | null;
    password_sealed: string | null;
    tag_ttls: string;
    created_at: number;
    created_by: string;
  };
  proxy_tag_checks: { repository_id: number; tag: string; checked_at: number };
  proxy_blob_fetches: { digest: string; holder: string; expires_at: number };
}

type Db = Kysely<Database & ProxyTables>;

export interface ProxyProject {
  readonly project: string;
  readonly projectId: number;
  readonly upstream: string;
  readonly username?: string;
  readonly password?: string;
  readonly tagTtls: readonly TagTtlRule[];
  readonly createdAt: number;
  readonly createdBy: string;
}

export interface NewProxyProject {
  readonly project: string;
  readonly upstream: string;
  readonly username?: string;
  readonly password?: string;
  readonly tagTtls: readonly TagTtlRule[];
}

export class ProxyStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>, private readonly box: () => SecretBox) {
    this.db = db as unknown as Db;
  }

  async list(): Promise<ProxyProject[]> {
    const rows = await this.db.selectFrom('proxy_projects').innerJoin('projects', 'projects.id', 'proxy_projects.project_id')
      .select(['projects.name as project', 'proxy_projects.project_id', 'upstream', 'username', 'password_sealed', 'tag_ttls', 'proxy_projects.created_at', 'created_by'])
      .orderBy('projects.name').execute();
    return rows.map((r) => ({
      project: r.project, projectId: Number(r.project_id), upstream: r.upstream,
      ...(r.username !== null ? { username: r.username } : {}),
      ...(r.password_sealed !== null ? { password: this.box().open(r.password_sealed) } : {}),
      tagTtls: JSON.parse(r.tag_ttls) as TagTtlRule[], createdAt: Number(r.created_at), createdBy: r.created_by,
    }));
  }

  /** Makes an existing project a proxy of `upstream` (CONFLICT when it already is one, or holds repositories). */
  async create(input: NewProxyProject, by: string, now = Date.now()): Promise<void> {
    const project = await this.db.selectFrom('projects').select('id').where('name', '=', input.project).executeTakeFirst();
    if (!project) throw new RegistryError('NOT_FOUND', { project: input.project }, { message: `no project ${input.project}` });
    const existing = await this.db.selectFrom('proxy_projects').select('project_id').where('project_id', '=', project.id).executeTakeFirst();
    if (existing) throw new RegistryError('CONFLICT', { project: input.project }, { message: `${input.project} is already a proxy project` });
    const repos = await this.db.selectFrom('repositories').select('id').where((eb) => eb.or([eb('name', '=', input.project), eb('name', 'like', `${input.project}/%`)])).limit(1).execute();
    if (repos.length) throw new RegistryError('CONFLICT', { project: input.project }, { message: `${input.project} already holds repositories: a proxy project starts empty` });
    await this.db.insertInto('proxy_projects').values({
      project_id: project.id, upstream: input.upstream, username: input.username ?? null,
      password_sealed: input.password !== undefined ? this.box().seal(input.password) : null,
      tag_ttls: JSON.stringify(input.tagTtls), created_at: now, created_by: by,
    }).execute();
  }

  /** Stops proxying (the cached content stays, as an ordinary project's). */
  async remove(project: string): Promise<boolean> {
    const p = await this.db.selectFrom('projects').select('id').where('name', '=', project).executeTakeFirst();
    if (!p) return false;
    const r = await this.db.deleteFrom('proxy_projects').where('project_id', '=', p.id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async tagCheckedAt(repositoryId: number, tag: string): Promise<number | undefined> {
    const row = await this.db.selectFrom('proxy_tag_checks').select('checked_at').where('repository_id', '=', repositoryId).where('tag', '=', tag).executeTakeFirst();
    return row ? Number(row.checked_at) : undefined;
  }

  async tagChecked(repositoryId: number, tag: string, at: number): Promise<void> {
    await this.db.insertInto('proxy_tag_checks').values({ repository_id: repositoryId, tag, checked_at: at })
      .onConflict((oc) => oc.columns(['repository_id', 'tag']).doUpdateSet({ checked_at: at })).execute();
  }

  /** Another repository of the project that links the blob (to mount it from), if any. */
  async linkedInProject(digest: string, project: string, except: string): Promise<string | undefined> {
    // LIKE's _ matches any character: the prefix is checked again here.
    const rows = await this.db.selectFrom('repository_blobs').innerJoin('repositories', 'repositories.id', 'repository_blobs.repository_id')
      .select('repositories.name').where('repository_blobs.digest', '=', digest).where('repositories.name', 'like', `${project}/%`)
      .where('repositories.name', '!=', except).limit(20).execute();
    return rows.find((r) => r.name.startsWith(`${project}/`))?.name;
  }

  /** Takes the fetch lease of a blob (true), unless another holder's lease is still running (false). */
  async takeLease(digest: string, holder: string, ttlMs: number, now = Date.now()): Promise<boolean> {
    await this.db.deleteFrom('proxy_blob_fetches').where('digest', '=', digest).where('expires_at', '<', now).execute();
    const r = await this.db.insertInto('proxy_blob_fetches').values({ digest, holder, expires_at: now + ttlMs })
      .onConflict((oc) => oc.column('digest').doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async leaseHeld(digest: string, now = Date.now()): Promise<boolean> {
    const row = await this.db.selectFrom('proxy_blob_fetches').select('expires_at').where('digest', '=', digest).executeTakeFirst();
    return Boolean(row && Number(row.expires_at) >= now);
  }

  async dropLease(digest: string, holder: string): Promise<void> {
    await this.db.deleteFrom('proxy_blob_fetches').where('digest', '=', digest).where('holder', '=', holder).execute();
  }
}
