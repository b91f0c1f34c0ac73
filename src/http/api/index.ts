// The JSON management API under /api/v1 (DESIGN.md, Layers: http/api): users, projects, members,
// robots, access tokens, the audit log and the caller's own account, with its OpenAPI document at
// /api/v1/openapi.json. Only this plugin parses JSON bodies; /v2 bodies keep streaming.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RegistryError } from '../../core/errors.ts';
import { readLimited } from '../body.ts';
import { sendError, toRegistryError } from '../errors.ts';
import { auditRoutes } from './audit.ts';
import { compressJsonAnswers } from './compress.ts';
import { LOGIN_REQUIRED, browserHooks, resolveCaller, unauthorized } from './auth.ts';
import { cliSecretRoutes } from './cli-secrets.ts';
import { groupMappingRoutes } from './group-mappings.ts';
import { jobRoutes } from './jobs.ts';
import { meRoutes } from './me.ts';
import { memberRoutes } from './members.ts';
import { buildOpenApi } from './openapi.ts';
import { projectRoutes } from './projects.ts';
import { repositoryRoutes } from './repositories.ts';
import { robotRoutes } from './robots.ts';
import { sessionRoutes } from './session.ts';
import { searchRoutes } from './search.ts';
import { fastifyPath, route, type ApiDeps, type ApiRoute, type RouteContext } from './route.ts';
import { tokenRoutes } from './tokens.ts';
import { userNameRoutes } from './user-names.ts';
import { userRoutes } from './users.ts';
import { webhookRoutes } from './webhooks.ts';

export type { ApiDeps } from './route.ts';
export const API_PREFIX = '/api/v1';
const BODY_LIMIT = 1024 * 1024;
const NDJSON = 'application/x-ndjson';
const API_VERSION = '1.0.0';

/** Every route of the API, the OpenAPI document's included. */
export function apiRoutes(deps: ApiDeps): ApiRoute[] {
  const routes = [
    ...userRoutes(deps),
    ...userNameRoutes(deps),
    ...projectRoutes(deps),
    ...memberRoutes(deps),
    ...groupMappingRoutes(deps),
    ...cliSecretRoutes(deps),
    ...robotRoutes(deps),
    ...tokenRoutes(deps),
    ...auditRoutes(deps),
    ...webhookRoutes(deps),
    ...meRoutes(deps),
    ...repositoryRoutes(deps),
    ...sessionRoutes(deps),
    ...searchRoutes(deps),
    ...jobRoutes(deps),
    ...(deps.features ?? []).flatMap((f) => f.routes ?? []),
  ];
  routes.push(route({
    method: 'GET', path: '/capabilities', resource: 'capabilities', auth: 'optional', summary: 'What this server offers beyond the core (enabled features), for the web UI',
    status: 200, response: z.object({ features: z.array(z.string()) }), errors: [],
    handler: async () => ({ features: (deps.features ?? []).flatMap((f) => f.capabilities ?? [f.name]) }),
  }));
  let document: unknown;
  routes.push(route({
    method: 'GET', path: '/openapi.json', resource: 'openapi', auth: 'optional', summary: 'This OpenAPI 3.1 document',
    status: 200, response: z.record(z.string(), z.unknown()), errors: [],
    handler: async () => (document ??= buildOpenApi(routes, API_VERSION)),
  }));
  return routes;
}

export function openApiDocument(deps: ApiDeps): Record<string, unknown> {
  return buildOpenApi(apiRoutes(deps), API_VERSION);
}

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  app.register(async (api) => {
    // Read with the same limits as every small body: a size cap and the body deadline.
    api.addContentTypeParser('application/json', async (request: FastifyRequest) => {
      if (isRawBody(request)) return undefined;
      const text = (await readLimited(request.raw, BODY_LIMIT, 'BODY_TOO_LARGE')).toString('utf8');
      if (text.trim() === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new RegistryError('INVALID_REQUEST', undefined, { message: `the body is not valid JSON: ${(error as Error).message}` });
      }
    });
    // Routes that stream an upload read it themselves; any other body must be JSON.
    api.addContentTypeParser('*', (request: FastifyRequest, _payload: unknown, done: (error: Error | null, body?: unknown) => void) => {
      if (isRawBody(request)) return done(null, undefined);
      done(new RegistryError('INVALID_REQUEST', undefined, { message: `send a JSON body with Content-Type: application/json, not ${String(request.headers['content-type']).slice(0, 80)}` }));
    });
    // Label the request before its body is parsed, so refused bodies are counted under their route too.
    api.addHook('onRequest', async (request) => {
      const resource = (request.routeOptions.config as { resource?: string } | undefined)?.resource;
      if (resource) request.routeKind = `api_${resource}`;
    });
    api.setErrorHandler((error, request, reply) => sendError(request, reply, error));
    compressJsonAnswers(api);
    browserHooks(api, deps.publicUrl);
    api.setNotFoundHandler((request, reply) => {
      request.routeKind = 'api_unknown';
      return sendError(request, reply, new RegistryError('NOT_FOUND', undefined, { message: `no API route ${request.method} ${request.url.split('?')[0]}; see ${API_PREFIX}/openapi.json` }));
    });
    for (const r of apiRoutes(deps)) {
      api.route({ method: r.method, url: fastifyPath(r.path), config: { resource: r.resource, rawBody: r.rawBody === true }, handler: (request, reply) => handle(r, request, reply, deps) });
    }
  }, { prefix: API_PREFIX });
}

async function handle(r: ApiRoute, request: FastifyRequest, reply: FastifyReply, deps: ApiDeps): Promise<FastifyReply> {
  request.routeKind = `api_${r.resource}`;
  const caller = await resolveCaller(request, deps.accounts, deps.access?.onFailedLogin, deps.sessions);
  // The address travels with the caller into the services, for the audit log.
  const actor = caller ? { ...caller, address: request.ip } : undefined;
  if (r.auth === 'required' && !actor) throw unauthorized(LOGIN_REQUIRED);
  const body = r.body ? validate(r.body, request.body, 'body', !request.headers['content-type']?.toLowerCase().startsWith('application/json')) : undefined;
  const query = r.query ? validate(r.query, request.query ?? {}, 'query', false) : undefined;
  if (r.progress && String(request.headers.accept ?? '').includes(NDJSON)) return streamProgress(r, request, reply, { actor, body, query }, deps);
  let result: unknown;
  try {
    result = await r.handler({ actor, params: request.params as Record<string, string>, body, query, request, reply, progress: () => {} });
  } catch (error) {
    reportDenied(r, request, actor, error, deps);
    throw error;
  }
  reply.header('Cache-Control', 'no-store');
  if (r.status === 204) return reply.code(204).send();
  return reply.code(r.status).send(result);
}

/**
 * Runs a long route with its progress streamed as NDJSON lines (RouteDef.progress). Once the
 * first line is out the status is 200: the outcome is the last line, a result or an error.
 */
async function streamProgress(r: ApiRoute, request: FastifyRequest, reply: FastifyReply, input: { actor: RouteContext<unknown, unknown, unknown>['actor']; body: unknown; query: unknown }, deps: ApiDeps): Promise<FastifyReply> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, { 'content-type': `${NDJSON}; charset=utf-8`, 'cache-control': 'no-store' });
  const line = (value: unknown) => {
    if (!out.destroyed && !out.writableEnded) out.write(`${JSON.stringify(value)}\n`);
  };
  try {
    const result = await r.handler({
      actor: input.actor as never, params: request.params as Record<string, string>, body: input.body, query: input.query, request, reply,
      progress: (text) => line({ progress: text }),
    });
    line({ result: result ?? null });
  } catch (error) {
    reportDenied(r, request, input.actor as { name: string } | undefined, error, deps);
    const { error: re, unexpected } = toRegistryError(error, request.id);
    if (unexpected) request.log.error({ err: error }, 'unexpected error');
    line({ error: { code: re.code, status: re.status, message: re.message } });
  }
  out.end();
  return reply;
}

/** 403 refusals go to the audit log (summed with their repeats there). */
function reportDenied(r: ApiRoute, request: FastifyRequest, actor: { name: string } | undefined, error: unknown, deps: ApiDeps): void {
  if (!actor || !(error instanceof RegistryError) || error.code !== 'DENIED') return;
  const params = request.params as Record<string, string>;
  const project = params.project ?? (r.path.startsWith('/projects/{name}') ? params.name : undefined);
  deps.onDenied?.({ actor: actor.name, address: request.ip, what: `${r.method} ${request.url.split('?')[0]}`, ...(project ? { project } : {}) });
}

function isRawBody(request: FastifyRequest): boolean {
  return (request.routeOptions.config as { rawBody?: boolean } | undefined)?.rawBody === true;
}

function validate(schema: z.ZodType, value: unknown, where: 'body' | 'query', notJson: boolean): unknown {
  if (where === 'body' && value === undefined) {
    throw new RegistryError('INVALID_REQUEST', undefined, {
      message: notJson ? 'send a JSON body with Content-Type: application/json' : 'the request needs a JSON body',
    });
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  throw new RegistryError('INVALID_REQUEST', { issues }, { message: issues.map((i) => `${i.path}: ${i.message}`).join('; ') });
}
