// Wires the built-in auth mode: accounts, the authorizer, the token service, the directory
// services (users, projects, robots, access tokens), and first-start bootstrap.
import type { Kysely } from 'kysely';
import type { Config } from '../core/config.ts';
import type { Database } from '../metadata/schema.ts';
import { Accounts } from './accounts.ts';
import { Authorizer } from './authorizer.ts';
import { BuiltinAccess } from './builtin-access.ts';
import { AccessTokenService } from './directory/access-tokens.ts';
import type { ChangeRecorder, DirectoryChange } from './directory/changes.ts';
import { ProjectService } from './directory/projects.ts';
import { GroupMappingService } from './external/group-mappings.ts';
import { ExternalIdentities } from './external/identities.ts';
import type { Sealer } from './external/sealed-tokens.ts';
import { LdapProvider } from './ldap/ldap-provider.ts';
import { OidcClient } from './oidc/oidc-client.ts';
import { RobotService } from './directory/robots.ts';
import { UserService } from './directory/users.ts';
import { LoginLimiter } from './login-limiter.ts';
import { loadSuppliedKey } from './signing-key.ts';
import { TokenService } from './token-service.ts';

export interface BuiltinAuth {
  readonly access: BuiltinAccess;
  readonly accounts: Accounts;
  readonly authorizer: Authorizer;
  readonly tokens: TokenService;
  readonly users: UserService;
  readonly projects: ProjectService;
  readonly robots: RobotService;
  readonly accessTokens: AccessTokenService;
  /** Users of the identity providers of auth.providers (LDAP, OIDC). */
  readonly external: ExternalIdentities;
  /** The OIDC providers' relying-party clients, by name (for the browser sign-in routes). */
  readonly oidc: ReadonlyMap<string, OidcClient>;
  readonly groupMappings: GroupMappingService;
}

/**
 * What the directory services report upward. Read at each call, so the composition root can
 * fill it in once the audit log and the registry exist.
 */
export interface DirectoryHooks {
  record?: ChangeRecorder;
  /** Repositories a project removal deleted (the registry drops what it cached of them). */
  repositoriesRemoved?: (names: string[]) => void;
  /** Something the operator should fix (e.g. a key file others can read). */
  warn?: (message: string) => void;
  /** A credential changed (revoked, rotated, a password set): other instances must check theirs again. */
  credentialsChanged?: () => void;
  /** The installation's secret box (features/secrets.ts), made at first use: seals OIDC refresh tokens at rest. */
  secrets?: () => Sealer;
}

export function directoryServices(db: Kysely<Database>, hooks: DirectoryHooks = {}, providerNames: readonly string[] = []) {
  const record: ChangeRecorder = (change) => hooks.record?.(change);
  const projects = new ProjectService(db, Date.now, record, (names) => hooks.repositoriesRemoved?.(names));
  return {
    users: new UserService(db, projects, Date.now, record),
    projects,
    robots: new RobotService(db, Date.now, record),
    accessTokens: new AccessTokenService(db, Date.now, record),
    groupMappings: new GroupMappingService(db, () => providerNames, Date.now, record),
  };
}

/** The providers of auth.providers that have groups (LDAP, OIDC), by name. */
export function externalProviderNames(config: Config): string[] {
  return config.auth.providers.filter((p) => p.type !== 'builtin').map((p) => p.name);
}

/** The sign-in choices, for the web UI: the local accounts first, then auth.providers in order. */
export function identityProvidersOf(config: Config): { name: string; type: 'builtin' | 'ldap' | 'oidc'; displayName: string }[] {
  const builtin = config.auth.providers.find((p) => p.type === 'builtin');
  return [
    { name: builtin?.name ?? 'builtin', type: 'builtin', displayName: builtin?.displayName || 'Local account' },
    ...config.auth.providers.filter((p) => p.type !== 'builtin').map((p) => ({ name: p.name, type: p.type, displayName: p.displayName || p.name })),
  ];
}

/** The password providers (LDAP) of auth.providers, in their order. */
export function passwordProviders(config: Config): LdapProvider[] {
  return config.auth.providers.flatMap((p) => (p.type === 'ldap' ? [new LdapProvider(p)] : []));
}

/** The OpenID Connect providers of auth.providers, by name. */
export function oidcClients(config: Config): Map<string, OidcClient> {
  return new Map(config.auth.providers.flatMap((p) => (p.type === 'oidc' ? [[p.name, new OidcClient(p)] as const] : [])));
}

/** Changes after which tokens minted from some credential must stop at once on this instance. */
const CREDENTIAL_CHANGES = new Set(['user.password', 'user.update', 'user.delete', 'robot.rotate', 'robot.disable', 'robot.delete', 'token.revoke', 'project.delete', 'cli-secret.create', 'cli-secret.revoke']);

export async function createBuiltinAuth(db: Kysely<Database>, config: Config, hooks: DirectoryHooks = {}): Promise<BuiltinAuth> {
  const limiter = new LoginLimiter({
    maxFailures: config.auth.loginMaxFailures,
    windowMs: config.auth.loginWindowSeconds * 1000,
    lockMs: config.auth.loginLockSeconds * 1000,
    maxFailuresPerAddress: config.auth.loginMaxFailuresPerAddress,
  });
  const accounts = new Accounts(db, limiter);
  const authorizer = new Authorizer(db);
  const tokens = new TokenService(db, {
    issuer: 'berth',
    service: config.auth.service,
    ttlSeconds: config.auth.tokenTtlSeconds,
    refreshTtlSeconds: config.auth.refreshTtlSeconds,
  });
  const supplied = loadSuppliedKey({ file: config.auth.signingKeyFile, value: config.auth.signingKey });
  if (supplied?.warning) hooks.warn?.(supplied.warning);
  await tokens.init(supplied);
  // This instance forgets at once; the others when told (credentialsChanged), or within
  // Accounts' live-check interval.
  const record = (change: DirectoryChange) => {
    if (CREDENTIAL_CHANGES.has(change.action)) {
      accounts.forgetLive();
      hooks.credentialsChanged?.();
    }
    return hooks.record?.(change);
  };
  const external = new ExternalIdentities(db, passwordProviders(config), record, (message) => hooks.warn?.(message), Date.now, hooks.secrets);
  accounts.external = external;
  const oidc = oidcClients(config);
  for (const p of config.auth.providers) {
    if (p.type !== 'oidc') continue;
    const client = oidc.get(p.name)!;
    external.oidc.set(p.name, { name: p.name, type: 'oidc', displayName: p.displayName || p.name, checkIntervalMs: p.checkIntervalSeconds * 1000, refresh: (token, subject) => client.refresh(token, subject) });
  }
  const services = directoryServices(db, {
    record,
    repositoriesRemoved: (names) => hooks.repositoriesRemoved?.(names),
  }, externalProviderNames(config));
  return { access: new BuiltinAccess(accounts, authorizer, tokens), accounts, authorizer, tokens, ...services, external, oidc };
}
