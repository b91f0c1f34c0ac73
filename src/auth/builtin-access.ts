// auth.mode builtin: Berth's own accounts, projects and roles, with Docker token auth.
// /v2 accepts a bearer token from /auth/token (authorized by its grants, and honoured only while
// the credential it was minted from is: Accounts.livePrincipal) or Basic credentials (authorized
// against the DB on every request).
import { projectOf } from '../core/reference.ts';
import type { Accounts } from './accounts.ts';
import type { Authorizer } from './authorizer.ts';
import { parseBasic } from './basic-credentials.ts';
import type { Principal } from './principal.ts';
import type { Action, AuthProvider, Authentication, ChallengeContext, Identity } from './provider.ts';
import type { TokenService } from './token-service.ts';

export class BuiltinAccess implements AuthProvider {
  readonly mode = 'builtin';
  readonly loginRequired = true;
  /** Told about failed Basic logins on /v2 (for the audit log); successes are audited at /auth/token. */
  onFailedLogin?: (account: string, address: string) => void;

  constructor(private readonly accounts: Accounts, private readonly authorizer: Authorizer, private readonly tokens: TokenService) {}

  async authenticate(authorization: string | undefined, address: string): Promise<Authentication> {
    if (!authorization) return { ok: true };
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer) {
      const verified = await this.tokens.verify(bearer[1]!);
      if (!verified) return { ok: false, reason: 'invalid or expired token' };
      let principal: Principal | undefined;
      if (verified.credential) {
        principal = await this.accounts.livePrincipal(verified.credential, verified.credentialKey!);
        if (!principal || principal.name !== verified.subject) return { ok: false, reason: 'the credential this token was issued for was revoked or changed; log in again' };
      }
      return {
        ok: true,
        identity: { name: verified.subject, kind: verified.subject.startsWith('robot$') ? 'robot' : 'user', grants: verified.grants, ...(principal ? { principal } : {}) },
      };
    }
    const creds = parseBasic(authorization);
    if (!creds) return { ok: false, reason: 'unsupported or malformed Authorization header' };
    const login = await this.accounts.login(creds.username, creds.password, address);
    if (!login.ok) {
      this.onFailedLogin?.(creds.username, address);
      return { ok: false, reason: login.reason, retryAfterSeconds: login.retryAfterMs ? Math.ceil(login.retryAfterMs / 1000) : undefined };
    }
    return { ok: true, identity: toIdentity(login.principal) };
  }

  async authorize(identity: Identity | undefined, repository: string | undefined, action: Action): Promise<boolean> {
    if (identity?.grants) return granted(identity.grants, repository, action);
    if (action === 'catalog') return true;
    if (!repository) return false;
    return this.authorizer.allows(identity?.principal as Principal | undefined, repository, action);
  }

  /**
   * Whether the credential behind a bearer token could get this grant with a new token. An
   * anonymous token's holder gets what anonymous callers may do (the catalog, public pulls).
   */
  async couldObtain(identity: Identity, repository: string | undefined, action: Action): Promise<boolean> {
    const principal = identity.principal as Principal | undefined;
    if (!identity.name) return action === 'catalog' || (repository !== undefined && this.authorizer.allows(undefined, repository, action));
    if (!principal) return false;
    if (action === 'catalog') return true;
    return repository !== undefined && this.authorizer.allows(principal, repository, action);
  }

  async explainDenial(identity: Identity, repository: string, action: Action): Promise<string | undefined> {
    return this.authorizer.explain(identity.principal as Principal | undefined, repository, action);
  }

  async visibleRepositories(identity: Identity | undefined, names: readonly string[]): Promise<string[]> {
    // Decided by the rights of the credential the caller presented (for a bearer token, the one
    // it was minted from, with an access token's project limit), never by the account's alone.
    const principal = identity?.principal as Principal | undefined;
    const byProject = new Map<string, boolean>();
    const out: string[] = [];
    for (const name of names) {
      const project = projectOf(name);
      let visible = byProject.get(project);
      if (visible === undefined) {
        visible = await this.authorizer.allows(principal, name, 'pull');
        byProject.set(project, visible);
      }
      if (visible) out.push(name);
    }
    return out;
  }

  challenge(context: ChallengeContext): string {
    const parts = [`realm="${context.baseUrl}/auth/token"`, `service="${this.tokens.options.service}"`];
    if (context.scope) parts.push(`scope="${context.scope}"`);
    if (context.error) parts.push(`error="${context.error}"`);
    return `Bearer ${parts.join(',')}`;
  }
}

export function toIdentity(principal: Principal): Identity {
  return { name: principal.name, kind: principal.kind, admin: principal.kind === 'user' && principal.admin, principal };
}

function granted(grants: readonly { type: string; name: string; actions: readonly string[] }[], repository: string | undefined, action: Action): boolean {
  if (action === 'catalog') return grants.some((g) => g.type === 'registry' && g.name === 'catalog' && g.actions.includes('*'));
  return grants.some((g) => g.type === 'repository' && g.name === repository && g.actions.includes(action));
}
