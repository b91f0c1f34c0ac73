// The OpenAPI 3.1 document of /api/v1, generated from the same route table that fastify
// registers (schemas come from the zod validators through z.toJSONSchema).
import { z } from 'zod';
import type { ApiRoute } from './route.ts';

type Json = Record<string, unknown>;

const ErrorBody = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string(), detail: z.unknown().optional() })),
});

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content',
  400: 'Invalid request (INVALID_REQUEST); the message names the problem',
  401: 'No or bad credentials (UNAUTHORIZED)',
  403: 'Signed in but not allowed (DENIED)',
  404: 'No such resource (NOT_FOUND)',
  409: 'Already exists (CONFLICT)',
  429: 'Too many failed logins (TOOMANYREQUESTS); see Retry-After',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  delete out.$schema;
  return out;
}

export function buildOpenApi(routes: readonly ApiRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const parameters: Json[] = [];
    for (const m of r.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)) {
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' }, ...(m[1] === 'name' && r.path.startsWith('/robots/') ? { description: 'URL-encoded robot name, e.g. robot%24proj%2Bci' } : {}) });
    }
    if (r.query) {
      const q = jsonSchema(r.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {})) {
        const { description, ...rest } = schema;
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) });
      }
    }
    const responses: Record<string, Json> = {
      [r.status]: r.response
        ? { description: STATUS_TEXT[r.status], content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }
        : { description: STATUS_TEXT[r.status] },
    };
    const errors = new Set<number>(r.errors);
    if (r.body || r.query || r.rawBody) errors.add(400);
    if (r.auth === 'required') errors.add(401);
    errors.add(429); // any credentials sent are checked, and failures are rate-limited
    for (const status of [...errors].sort()) {
      responses[status] = { description: STATUS_TEXT[status] ?? 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const operation: Json = {
      operationId: `${r.method.toLowerCase()}${r.path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      tags: [r.resource],
      security: r.auth === 'required' ? [{ basic: [] }] : [{}, { basic: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      ...(r.rawBody ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } } : {}),
      responses,
    };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Berth management API',
      version,
      description: 'Users, projects, members, robots, access tokens and the audit log. Errors use the registry error form {"errors":[{code,message,detail}]}.',
    },
    servers: [{ url: '/api/v1' }],
    paths,
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'A user and their password or access token (bpat_...), or a robot name and its secret' },
      },
      schemas: { Error: jsonSchema(ErrorBody, 'output') },
    },
  };
}
