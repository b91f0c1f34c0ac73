// /api/v1/me/cli-secret: users of an OpenID Connect provider cannot type a password into docker
// or podman, so they make a CLI secret here (docs/access.md, OIDC), shown once, and use it as the
// password. Making a new one ends the old one; DELETE revokes it. It is honoured only while the
// provider still vouches for the user (checked with their refresh token, at most every
// checkIntervalSeconds).
import { z } from 'zod';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

export function cliSecretRoutes(deps: ApiDeps): ApiRoute[] {
  const resource = 'cli_secret';
  const oidcUser = async (actor: Principal) => {
    if (actor.kind !== 'user' || actor.limit || !deps.external || !(await deps.external.isOidcUser(actor.id))) {
      throw new RegistryError('DENIED', undefined, { message: 'CLI secrets are for users who sign in through an OpenID Connect provider (signed in as themselves, not with an access token)' });
    }
    return deps.external;
  };
  return [
    route({
      method: 'POST', path: '/me/cli-secret', resource, auth: 'required',
      summary: 'A new CLI secret (the docker/podman password of an OIDC user), shown once; the previous one stops',
      status: 201, response: z.object({ user: z.string(), secret: z.string() }), errors: [403],
      handler: async ({ actor }) => {
        const external = await oidcUser(actor);
        const secret = await external.newCliSecret(actor);
        return { user: actor.name, secret };
      },
    }),
    route({
      method: 'DELETE', path: '/me/cli-secret', resource, auth: 'required', summary: 'Revoke your CLI secret',
      status: 204, errors: [403, 404],
      handler: async ({ actor }) => {
        const external = await oidcUser(actor);
        if (!(await external.revokeCliSecret(actor))) throw new RegistryError('NOT_FOUND', undefined, { message: 'you have no CLI secret' });
      },
    }),
  ];
}
