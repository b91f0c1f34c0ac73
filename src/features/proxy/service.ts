// Proxy project management: make a project (new or empty) a pull-through cache of an upstream,
// list and stop them. Changes are audited (never the password) and reload the puller.
import type { Kysely } from 'kysely';
import { SYSTEM, type Actor } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { ProjectService } from '../../auth/directory/projects.ts';
import { RegistryError } from '../../core/errors.ts';
import { findProject } from '../../metadata/identity/projects.ts';
import type { Database } from '../../metadata/schema.ts';
import type { SecretBox } from './secrets.ts';
import { ProxyStore, type ProxyProject } from './store.ts';
import { DEFAULT_TAG_TTL_MS, formatTagTtls, parseTagTtls } from './ttl.ts';
import type { ProxyProjectView } from './views.ts';

export interface NewProxyInput {
  readonly project: string;
  readonly upstream: string;
  readonly username?: string;
  readonly password?: string;
  readonly tagTtl?: string;
}

/**
 * The retention policy a new proxy project gets when it has none (issue 15: cached content is
 * ordinary content, with a default rule "not pulled in 30 days"). Daily; GC then frees the bytes.
 * Untagged manifests are left to GC: an index's children and the referrers are untagged too.
 */
export const PROXY_RETENTION = `# Berth's default for a proxy project: cached tags not pulled in the last 30 days are deleted.
schedule: "17 3 * * *"
rules:
  - pulledWithinDays: 30
`;

/** Sets a project's retention policy from YAML unless it has one (features/retention's setDefault). */
export type DefaultRetention = (actor: Actor, project: string, source: string) => Promise<unknown>;

export class ProxyService {
  readonly store: ProxyStore;

  constructor(
    private readonly db: Kysely<Database>,
    box: () => SecretBox,
    private readonly projects: ProjectService | undefined,
    private readonly record: ChangeRecorder,
    private readonly changed: () => Promise<void> = async () => {},
    private readonly defaultRetention?: DefaultRetention,
  ) {
    this.store = new ProxyStore(db, box);
  }

  async list(): Promise<ProxyProjectView[]> {
    return (await this.store.list()).map(viewOf);
  }

  async create(actor: Actor, input: NewProxyInput): Promise<ProxyProjectView> {
    const upstream = checkUpstream(input.upstream);
    if (input.password !== undefined && input.username === undefined) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'a password needs a username (--username)' });
    let tagTtls;
    try {
      tagTtls = input.tagTtl !== undefined ? parseTagTtls(input.tagTtl) : [{ pattern: '*', ttlMs: DEFAULT_TAG_TTL_MS }];
    } catch (error) {
      throw new RegistryError('INVALID_REQUEST', undefined, { message: `--tag-ttl: ${(error as Error).message}` });
    }
    if (!(await findProject(this.db, input.project))) {
      if (!this.projects) throw new RegistryError('NOT_FOUND', { project: input.project }, { message: `no project ${input.project}` });
      await this.projects.create(actor, input.project, 'private');
    }
    await this.store.create({
      project: input.project, upstream, tagTtls,
      ...(input.username !== undefined ? { username: input.username } : {}),
      ...(input.password !== undefined ? { password: input.password } : {}),
    }, actor.name);
    await this.record({ action: 'proxy.create', actor, project: input.project, detail: { upstream, ...(input.username ? { username: input.username } : {}), tagTtl: formatTagTtls(tagTtls) } });
    await this.defaultRetention?.(actor, input.project, PROXY_RETENTION);
    await this.changed();
    const created = (await this.store.list()).find((p) => p.project === input.project);
    return viewOf(created!);
  }

  async remove(project: string, actor: Actor = SYSTEM): Promise<void> {
    if (!(await this.store.remove(project))) throw new RegistryError('NOT_FOUND', { project }, { message: `${project} is not a proxy project` });
    await this.record({ action: 'proxy.remove', actor, project });
    await this.changed();
  }
}

function checkUpstream(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new RegistryError('INVALID_REQUEST', undefined, { message: `--upstream ${value.slice(0, 200)} is not a URL (http(s)://host[:port])` });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RegistryError('INVALID_REQUEST', undefined, { message: '--upstream must be http:// or https://' });
  if (u.username || u.password) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'give upstream credentials with --username and --password-stdin, not in the URL' });
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

function viewOf(p: ProxyProject): ProxyProjectView {
  return {
    project: p.project, upstream: p.upstream, username: p.username ?? null, hasPassword: p.password !== undefined,
    tagTtl: formatTagTtls(p.tagTtls), createdAt: new Date(p.createdAt).toISOString(), createdBy: p.createdBy,
  };
}
