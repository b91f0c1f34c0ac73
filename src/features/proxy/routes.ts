// /api/v1/proxy-projects: make a project a pull-through cache of an upstream registry, list them,
// stop one (administrators only: a proxy reaches out to the network with stored credentials).
import { z } from 'zod';
import { isAdmin } from '../../auth/directory/actor.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import { route, type ApiRoute } from '../../http/api/route.ts';
import type { ProxyService } from './service.ts';
import { ProxyProjectSchema } from './views.ts';

const NewProxy = z.strictObject({
  project: z.string().min(1).max(255).describe('the project (made, private, when it does not exist)'),
  upstream: z.string().min(1).max(2048).describe('the upstream registry, http(s)://host[:port]'),
  username: z.string().min(1).max(255).optional(),
  password: z.string().min(1).max(4096).optional().describe('stored sealed; never shown again'),
  tagTtl: z.string().min(1).max(1024).optional().describe('a duration (1h) or PATTERN=DURATION,... (latest=5m,*=1h)'),
});

function admin(actor: Principal): void {
  if (!isAdmin(actor)) throw new RegistryError('DENIED', undefined, { message: 'only system administrators manage proxy projects' });
}

export function proxyRoutes(service: ProxyService): ApiRoute[] {
  const resource = 'proxy_projects';
  return [
    route({
      method: 'GET', path: '/proxy-projects', resource, auth: 'required',
      summary: 'The proxy projects (pull-through caches) and their upstreams (administrators)',
      status: 200, response: z.array(ProxyProjectSchema), errors: [403],
      handler: async ({ actor }) => { admin(actor); return service.list(); },
    }),
    route({
      method: 'POST', path: '/proxy-projects', resource, auth: 'required', body: NewProxy,
      summary: 'Make a project a pull-through cache of an upstream registry (administrators)',
      status: 201, response: ProxyProjectSchema, errors: [403, 404, 409],
      handler: async ({ actor, body }) => {
        admin(actor);
        return service.create(actor, body);
      },
    }),
    route({
      method: 'DELETE', path: '/proxy-projects/{name}', resource, auth: 'required',
      summary: 'Stop proxying a project; what it cached stays (administrators)',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => { admin(actor); await service.remove(params.name!, actor); },
    }),
  ];
}
