// Personal access tokens: a user's own credential for CI and `docker login`, limited to chosen
// actions (and optionally projects), with an expiry. Shown once, stored hashed.
import { RegistryError } from '../../core/errors.ts';
import { parseDuration } from '../../core/account-names.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';
import { deleteAccessToken, insertAccessToken, listAccessTokens, type AccessTokenRow } from '../../metadata/identity/tokens.ts';
import { findUserByName } from '../../metadata/identity/users.ts';
import { hashSecret, newSecret } from '../passwords.ts';
import { parsePermissions } from '../principal.ts';
import type { Actor } from './actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from './changes.ts';

export interface AccessTokenView {
  readonly id: number;
  readonly name: string;
  readonly actions: string[];
  readonly projects: string[];
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly createdAt: string;
}

export class AccessTokenService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
    private readonly record: ChangeRecorder = IGNORE_CHANGES,
  ) {}

  /** Creates a token for `user` (the actor themself, or anyone when the actor is the local system). */
  async create(actor: Actor, user: string, req: { name: string; actions: string; projects?: string[]; expiresIn?: string }): Promise<{ token: AccessTokenView; secret: string }> {
    const owner = await this.owner(actor, user);
    if (!req.name || req.name.length > 100) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'a token needs a name of at most 100 characters' });
    const parsed = parsePermissions(req.actions);
    if ('problem' in parsed) throw new RegistryError('INVALID_REQUEST', { actions: req.actions.slice(0, 200) }, { message: parsed.problem });
    const actions = [...parsed.actions];
    let expiresAt: number | null = null;
    if (req.expiresIn !== undefined) {
      const ms = parseDuration(req.expiresIn);
      if (!ms) throw new RegistryError('INVALID_REQUEST', { expiresIn: req.expiresIn }, { message: 'expiresIn must look like 30d, 12h or 3600s' });
      expiresAt = this.now() + ms;
    }
    // The id is part of the secret, so insert first with a placeholder hash, then set the real one.
    const body = newSecret();
    const projects = (req.projects ?? []).filter(Boolean).join(',');
    const id = await this.db.transaction().execute(async (trx) => {
      const newId = await insertAccessToken(trx, { userId: owner, name: req.name, secretHash: 'pending', actions: actions.join(','), projects, expiresAt }, this.now());
      await trx.updateTable('access_tokens').set({ secret_hash: hashSecret(`bpat_${newId}_${body}`) }).where('id', '=', newId).execute();
      return newId;
    });
    const row = (await listAccessTokens(this.db, owner)).find((t) => t.id === id)!;
    const token = toView(row);
    await this.record({ action: 'token.create', actor, target: `${user}/${req.name}`, detail: { id, actions: token.actions, projects: token.projects, expiresAt: token.expiresAt } });
    return { token, secret: `bpat_${id}_${body}` };
  }

  async list(actor: Actor, user: string): Promise<AccessTokenView[]> {
    return (await listAccessTokens(this.db, await this.owner(actor, user))).map(toView);
  }

  /** Revoking ends at once every token minted from it (refresh and access tokens alike). */
  async revoke(actor: Actor, user: string, id: number): Promise<void> {
    if (!(await deleteAccessToken(this.db, await this.owner(actor, user), id))) {
      throw new RegistryError('NOT_FOUND', { id }, { message: `no token ${id}` });
    }
    await this.record({ action: 'token.revoke', actor, target: user, detail: { id } });
  }

  private async owner(actor: Actor, user: string): Promise<number> {
    const allowed = actor.kind === 'system' || (actor.kind === 'user' && !actor.limit && (actor.name === user || actor.admin));
    if (!allowed) throw new RegistryError('DENIED', undefined, { message: 'you may only manage your own access tokens' });
    const u = await findUserByName(this.db, user);
    if (!u) throw new RegistryError('NOT_FOUND', { user }, { message: `no user named ${user}` });
    return u.id;
  }
}

function toView(t: AccessTokenRow): AccessTokenView {
  return {
    id: t.id,
    name: t.name,
    actions: t.actions.split(','),
    projects: t.projects ? t.projects.split(',') : [],
    expiresAt: t.expires_at === null ? null : new Date(t.expires_at).toISOString(),
    lastUsedAt: t.last_used_at === null ? null : new Date(t.last_used_at).toISOString(),
    createdAt: new Date(t.created_at).toISOString(),
  };
}
