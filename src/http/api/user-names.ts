// GET /api/v1/user-names?q=: user names starting with q, for the "add a member" box's
// autocomplete (issue 17, section 3). Any signed-in user may ask (as on Docker Hub, names are not
// secret): names only, at most 10, disabled accounts left out; robots are not users and may not ask.
import { sql } from 'kysely';
import { z } from 'zod';
import { RegistryError } from '../../core/errors.ts';
import { route, type ApiDeps, type ApiRoute } from './route.ts';

const Query = z.object({
  q: z.string().min(1).max(64).describe('the start of the name'),
  limit: z.coerce.number().int().min(1).max(10).default(10),
});

/** LIKE's wildcards (and its escape character) in a user's input, escaped. */
function likePrefix(q: string): string {
  return `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function userNameRoutes(deps: ApiDeps): ApiRoute[] {
  return [
    route({
      method: 'GET', path: '/user-names', resource: 'users', auth: 'required', summary: 'User names starting with q, for autocomplete (signed-in users)',
      query: Query, status: 200, response: z.object({ names: z.array(z.string()) }), errors: [403],
      handler: async ({ actor, query }) => {
        if (actor.kind !== 'user') throw new RegistryError('DENIED', undefined, { message: 'only users look up user names' });
        const rows = await deps.db.selectFrom('users').select('name')
          .where(sql<boolean>`name like ${likePrefix(query.q.toLowerCase())} escape '\\'`)
          .where('disabled', '=', 0)
          .orderBy('name').limit(query.limit).execute();
        return { names: rows.map((r) => r.name) };
      },
    }),
  ];
}
