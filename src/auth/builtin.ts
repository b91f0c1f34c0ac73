// Wires the built-in auth mode: accounts, the authorizer, the token service, the directory
// services (users, projects, robots, access tokens), and first-start bootstrap.
import type { Kysely } from 'kysely';
import type { Config } from '../core/config.ts';
import type { Database } from '../metadata/schema.ts';
import { Accounts } from './accounts.ts';
import { Authorizer } from './authorizer.ts';
import { BuiltinAccess } from './builtin-access.ts';
import { AccessTokenService } from './directory/access-tokens.ts';
import { ProjectService } from './directory/projects.ts';
import { RobotService } from './directory/robots.ts';
import { UserService } from './directory/users.ts';
import { LoginLimiter } from './login-limiter.ts';
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
}

export function directoryServices(db: Kysely<Database>) {
  return {
    users: new UserService(db),
    projects: new ProjectService(db),
    robots: new RobotService(db),
    accessTokens: new AccessTokenService(db),
  };
}

export async function createBuiltinAuth(db: Kysely<Database>, config: Config): Promise<BuiltinAuth> {
  const limiter = new LoginLimiter({
    maxFailures: config.auth.loginMaxFailures,
    windowMs: config.auth.loginWindowSeconds * 1000,
    lockMs: config.auth.loginLockSeconds * 1000,
  });
  const accounts = new Accounts(db, limiter);
  const authorizer = new Authorizer(db);
  const tokens = new TokenService(db, {
    issuer: 'berth',
    service: config.auth.service,
    ttlSeconds: config.auth.tokenTtlSeconds,
    refreshTtlSeconds: config.auth.refreshTtlSeconds,
  });
  await tokens.init();
  return { access: new BuiltinAccess(accounts, authorizer, tokens), accounts, authorizer, tokens, ...directoryServices(db) };
}
