// The web UI's "Sign in with <provider>" for OpenID Connect providers (issue 19; docs/access.md,
// OIDC): GET /auth/oidc/<name>/login sends the browser to the provider (code flow with PKCE,
// state and nonce); GET /auth/oidc/<name>/callback checks what comes back, signs the user in
// (created on first sign-in, group mappings applied) and starts a web UI session. The nonce and
// PKCE verifier wait in the database for at most 10 minutes, keyed by a hash of the state
// (auth/oidc/login-states.ts), so the callback may land on any instance; each is taken once, so
// a replayed callback is refused. The state is also in a cookie of the browser that started
// (SameSite=Lax: the callback is a cross-site navigation), so a callback from another browser is
// refused.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ExternalIdentities } from '../../auth/external/identities.ts';
import type { OidcClient } from '../../auth/oidc/oidc-client.ts';
import type { SessionService } from '../../auth/sessions.ts';
import { secureCookies, sessionCookie } from '../api/auth.ts';
import { baseUrlOf } from '../oci/access.ts';

export interface OidcRouteDeps {
  readonly clients: ReadonlyMap<string, OidcClient>;
  readonly external: ExternalIdentities;
  readonly sessions: SessionService;
  readonly publicUrl: string;
  readonly onLogin?: (event: { account: string; address: string; ok: boolean; via: string }) => void;
}

const STATE_COOKIE = 'berth_oidc_state';

export function registerOidcRoutes(app: FastifyInstance, deps: OidcRouteDeps): void {
  const pending = deps.external.oidcLogins;
  const maxAge = Math.floor(pending.ttlMs / 1000);
  const secure = secureCookies(deps.publicUrl);

  app.get('/auth/oidc/:provider/login', async (request, reply) => {
    request.routeKind = 'oidc_login';
    const name = (request.params as { provider: string }).provider;
    const client = deps.clients.get(name);
    if (!client) return page(reply, 404, `no OpenID Connect provider named ${name}`);
    const redirectUri = `${baseUrlOf(request, deps.publicUrl)}/auth/oidc/${encodeURIComponent(name)}/callback`;
    let auth;
    try {
      auth = await client.authorizationRequest(redirectUri);
    } catch (error) {
      request.log.warn({ err: error, provider: name }, 'OIDC discovery failed');
      return page(reply, 502, `the provider ${name} could not be reached; try again later`);
    }
    if (!(await pending.put(auth.state, { provider: name, nonce: auth.nonce, codeVerifier: auth.codeVerifier, redirectUri }))) {
      return page(reply, 503, 'too many sign-ins are in progress; try again in a few minutes');
    }
    return reply.code(302)
      .header('Set-Cookie', `${STATE_COOKIE}=${auth.state}; Max-Age=${maxAge}; Path=/auth/oidc/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`)
      .header('Cache-Control', 'no-store')
      .header('Location', auth.url)
      .send();
  });

  app.get('/auth/oidc/:provider/callback', async (request, reply) => {
    request.routeKind = 'oidc_callback';
    const name = (request.params as { provider: string }).provider;
    const client = deps.clients.get(name);
    if (!client) return page(reply, 404, `no OpenID Connect provider named ${name}`);
    const params = new URLSearchParams(request.raw.url?.split('?')[1] ?? '');
    const state = params.get('state') ?? '';
    const fail = (reason: string) => {
      deps.onLogin?.({ account: `(${name})`, address: request.ip, ok: false, via: `oidc:${name}` });
      return page(reply, 401, reason);
    };
    // The cookie first: a callback from another browser does not spend the sign-in it names.
    const waiting = state && cookie(request, STATE_COOKIE) === state ? await pending.take(state, name) : undefined;
    if (!waiting) {
      return fail(`this sign-in was not started by this browser, was already used, or took longer than ${Math.round(maxAge / 60)} minutes; start again`);
    }
    const result = await client.callback(params, { state, nonce: waiting.nonce, codeVerifier: waiting.codeVerifier, redirectUri: waiting.redirectUri });
    if (!result.ok) {
      request.log.warn({ provider: name, reason: result.reason }, 'OIDC sign-in refused');
      return fail(result.reason);
    }
    const login = await deps.external.signInOidc(name, { subject: result.identity.subject, username: result.identity.username, ...(result.identity.email ? { email: result.identity.email } : {}), groups: result.identity.groups }, result.refreshToken);
    if (!login.ok) {
      deps.onLogin?.({ account: result.identity.username, address: request.ip, ok: false, via: `oidc:${name}` });
      return page(reply, 401, login.reason);
    }
    const { secret } = await deps.sessions.create(login.user.id);
    deps.onLogin?.({ account: login.user.name, address: request.ip, ok: true, via: `oidc:${name}` });
    return reply.code(302)
      .header('Set-Cookie', [sessionCookie(secret, secure), `${STATE_COOKIE}=; Max-Age=0; Path=/auth/oidc/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`])
      .header('Cache-Control', 'no-store')
      .header('Location', '/')
      .send();
  });
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A plain page for the browser (the reason never holds a secret). */
function page(reply: FastifyReply, status: number, message: string): FastifyReply {
  const text = message.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return reply.code(status).header('Content-Type', 'text/html; charset=utf-8').header('Cache-Control', 'no-store')
    .send(`<!doctype html><meta charset="utf-8"><title>Sign-in</title><p>${text}</p><p><a href="/">Back to Berth</a></p>`);
}
