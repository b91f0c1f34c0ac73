// A real OpenID provider for tests (issue 19): oidc-provider, the reference implementation, on a
// free loopback port, with one confidential client (berth / s3cret, PKCE required), a signing key
// the test knows (so it can also forge tokens with the right key and wrong claims), accounts with
// a groups claim, and its development login pages (any password) for the browser flow. An account
// can be disabled: the provider then refuses its refresh tokens; and its groups can change: the
// id tokens and userinfo answers issued afterwards (a refresh grant's too) carry the new ones.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { freePort } from './slapd.ts';

export const CLIENT_ID = 'berth';
export const CLIENT_SECRET = 's3cret-of-the-berth-client';

export interface OidcAccount {
  readonly groups: readonly string[];
  readonly email?: string;
}

export interface OidcServer {
  readonly issuer: string;
  /** The private JWK the provider signs with (kid "test-key"). */
  readonly signingKey: JWK;
  disable(account: string): void;
  /** The account's groups from now on. */
  setGroups(account: string, groups: readonly string[]): void;
  stop(): Promise<void>;
}

export async function startOidcServer(options: { redirectUris: string[]; accounts: Record<string, OidcAccount> }): Promise<OidcServer> {
  const { default: Provider } = await import('oidc-provider');
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const disabled = new Set<string>();
  const groups = new Map(Object.entries(options.accounts).map(([id, a]) => [id, [...a.groups]]));
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: options.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [signingKey] },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    claims: { openid: ['sub'], profile: ['preferred_username'], email: ['email'], groups: ['groups'] },
    // The claims go into the id token (Berth reads them there), not only to userinfo.
    conformIdTokenClaims: false,
    issueRefreshToken: async () => true,
    features: { devInteractions: { enabled: true } },
    findAccount: async (_ctx: unknown, id: string) => {
      const account = options.accounts[id];
      if (!account || disabled.has(id)) return undefined;
      return {
        accountId: id,
        claims: async () => ({ sub: id, preferred_username: id, groups: [...(groups.get(id) ?? [])], ...(account.email ? { email: account.email } : {}) }),
      };
    },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    issuer, signingKey,
    disable: (account) => { disabled.add(account); },
    setGroups: (account, list) => { groups.set(account, [...list]); },
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
