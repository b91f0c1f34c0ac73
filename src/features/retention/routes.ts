// /api/v1 routes of retention and tag history:
//   GET|PUT /projects/{name}/retention         the policy (PUT takes YAML or JSON)
//   POST    /projects/{name}/retention/preview the plan of rules being edited (not recorded)
//   POST    /projects/{name}/retention/runs    run now, or dry-run ({dryRun: true}): the result
//   GET     /projects/{name}/retention/runs    the last runs; …/runs/{id} one run with its plan
//   GET     /repositories/{project}/{repository}/tags/{tag}/history   the tag's moves, newest first
//   POST    /repositories/{project}/{repository}/tags/{tag}/rollback  {to?: digest, steps?: n}
// Members read a project's policy and runs; owners, maintainers and administrators change and run
// it. Whoever may pull a repository reads its tags' history; rolling back needs push. Strangers get
// the missing-project (or missing-repository) answer.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Authorizer } from '../../auth/authorizer.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import { isValidRepositoryName, isValidTag } from '../../core/reference.ts';
import type { IncomingMessage } from 'node:http';
import { route, type ApiRoute } from '../../http/api/route.ts';
import { findRetentionRun, listRetentionRuns } from '../../metadata/retention.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import type { TagHistoryService } from './history.ts';
import { MAX_STEPS, type RollbackService } from './rollback.ts';
import { parsePolicy, PolicyError, validatePolicy, type RetentionPolicy } from './rules.ts';
import type { RetentionRunner, RunResult } from './runner.ts';
import type { RetentionMetrics } from './metrics.ts';
import type { RetentionSettings } from './settings.ts';
import { PlanSchema, PolicyViewSchema, policyView, RollbackResultSchema, RunResultSchema, runSummary, RunSummarySchema, TagHistorySchema } from './views.ts';

export interface RetentionRouteDeps {
  readonly db: Kysely<Database>;
  readonly settings: RetentionSettings;
  readonly runner: RetentionRunner;
  readonly history: TagHistoryService;
  readonly rollback: RollbackService;
  readonly authorizer: Authorizer;
  readonly record: ChangeRecorder;
  readonly metrics?: RetentionMetrics;
}

const POLICY_MAX_BYTES = 64 * 1024;
const Preview = z.object({
  source: z.string().max(POLICY_MAX_BYTES).optional().describe('the policy as YAML (or JSON) text, as the editor holds it'),
  policy: z.unknown().optional().describe('or the policy as data ({schedule?, untagged?, rules})'),
});
const RunBody = z.strictObject({ dryRun: z.boolean().default(false).describe('plan only: nothing is deleted (the run is recorded as a dry run)') });
const RunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20), before: z.coerce.number().int().optional() });
const HistoryQuery = z.object({ n: z.coerce.number().int().min(1).max(500).default(50), before: z.coerce.number().int().optional().describe('an entry id: the page of older entries') });
const RollbackBody = z.strictObject({
  to: z.string().min(1).max(200).optional().describe('a digest in the repository (or a unique prefix of one in the tag\'s history)'),
  steps: z.number().int().min(1).max(MAX_STEPS).optional().describe('moves back in the tag\'s history: 1 is the digest before the current one'),
});

/** Problems of a policy as the API's 400. */
function invalidPolicy(error: PolicyError): RegistryError {
  return new RegistryError('INVALID_REQUEST', { problems: error.problems }, { message: `invalid retention policy: ${error.message}` });
}

function policyFrom(input: { source?: string; policy?: unknown }): { policy: RetentionPolicy; source?: string } {
  try {
    if (input.source !== undefined) return { policy: parsePolicy(input.source), source: input.source };
    if (input.policy !== undefined) return { policy: validatePolicy(input.policy) };
  } catch (error) {
    if (error instanceof PolicyError) throw invalidPolicy(error);
    throw error;
  }
  throw new RegistryError('INVALID_REQUEST', undefined, { message: 'give the policy as source (YAML text) or policy (data)' });
}

/** Reads a small body; more than `limit` bytes is BODY_TOO_LARGE (read to its end first, so the client sees the answer). */
function readSmall(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (total <= limit) chunks.push(c);
    });
    req.on('end', () => (total > limit
      ? reject(new RegistryError('BODY_TOO_LARGE', { limit }, { message: `a retention policy is at most ${limit / 1024} KiB` }))
      : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** A PUT body: YAML (application/yaml, text/yaml, text/plain) or JSON (the policy, or {source}). */
async function readPolicyBody(request: FastifyRequest): Promise<{ policy: RetentionPolicy; source?: string }> {
  const text = await readSmall(request.raw, POLICY_MAX_BYTES);
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    let data: unknown;
    try {
      data = JSON.parse(text) as unknown;
    } catch (error) {
      throw new RegistryError('INVALID_REQUEST', undefined, { message: `the body is not valid JSON: ${(error as Error).message}` });
    }
    if (data && typeof data === 'object' && !Array.isArray(data) && 'source' in data && typeof (data as { source: unknown }).source === 'string' && !('rules' in data)) {
      return policyFrom({ source: (data as { source: string }).source });
    }
    return policyFrom({ policy: data });
  }
  if (type === '' || type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type === 'text/x-yaml' || type === 'text/plain') return policyFrom({ source: text });
  throw new RegistryError('INVALID_REQUEST', undefined, { message: `send the policy as YAML (Content-Type: application/yaml) or JSON (application/json), not ${type.slice(0, 80)}` });
}

export function retentionRoutes(deps: RetentionRouteDeps): ApiRoute[] {
  const { settings, runner, history, rollback, authorizer } = deps;
  const resource = 'retention';

  const view = async (actor: Principal | undefined, name: string) => {
    const access = await settings.access(actor, name);
    const stored = await settings.of(access.project.id);
    return policyView(access.project.name, stored, settings.nextRuns(stored.policy.schedule), access.canChange);
  };

  /** The repository, when the caller may read it (404 otherwise, as for a missing one). */
  const readable = async (actor: Principal | undefined, params: Record<string, string>): Promise<string> => {
    const name = `${params.project}/${params.repository}`;
    if (!isValidRepositoryName(name) || !(await authorizer.allows(actor, name, 'pull'))) {
      throw new RegistryError('NOT_FOUND', { repository: name.slice(0, 300) }, { message: `no repository ${name.slice(0, 300)}` });
    }
    return name;
  };
  const tagOf = (params: Record<string, string>): string => {
    const tag = params.tag!;
    if (!isValidTag(tag)) throw new RegistryError('INVALID_REQUEST', { tag: tag.slice(0, 200) }, { message: `${tag.slice(0, 200)} is not a tag name` });
    return tag;
  };

  return [
    route({
      method: 'GET', path: '/projects/{name}/retention', resource, auth: 'optional',
      summary: "A project's retention policy: its rules, schedule (and next runs) and the text it was written in (members and administrators)",
      status: 200, response: PolicyViewSchema, errors: [403, 404],
      handler: async ({ actor, params }) => view(actor, params.name!),
    }),
    route({
      method: 'PUT', path: '/projects/{name}/retention', resource, auth: 'required', rawBody: true,
      summary: "Set a project's retention policy: YAML (Content-Type: application/yaml) or JSON, the policy or {source: YAML text} (owners, maintainers, administrators)",
      status: 200, response: PolicyViewSchema, errors: [403, 404, 413],
      handler: async ({ actor, params, request }) => {
        const { policy, source } = await readPolicyBody(request);
        await settings.set(actor, params.name!, policy, source);
        return view(actor, params.name!);
      },
    }),
    route({
      method: 'POST', path: '/projects/{name}/retention/preview', resource, auth: 'required', body: Preview,
      summary: 'The exact plan of a policy being edited, against the project as it is now: what it would delete and keep, and why (members); nothing is recorded',
      status: 200, response: PlanSchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => {
        const access = await settings.access(actor, params.name!);
        const { policy } = body.source === undefined && body.policy === undefined
          ? { policy: (await settings.of(access.project.id)).policy }
          : policyFrom(body);
        return runner.preview(access.project, policy);
      },
    }),
    route({
      method: 'POST', path: '/projects/{name}/retention/runs', resource, auth: 'required', body: RunBody, progress: true,
      summary: 'Run the retention policy now (or a dry run): deletes through the registry as system:retention; immutable tags are kept and reported (owners, maintainers, administrators)',
      status: 200, response: RunResultSchema, errors: [403, 404],
      handler: async ({ actor, params, body, progress }): Promise<RunResult> => {
        const project = await settings.requireChange(actor, params.name!);
        const stored = await settings.of(project.id);
        return runner.run(project, stored.policy, { dryRun: body.dryRun, trigger: 'manual', actor, progress });
      },
    }),
    route({
      method: 'GET', path: '/projects/{name}/retention/runs', resource, auth: 'required', query: RunsQuery,
      summary: "The project's last retention runs, newest first (members)",
      status: 200, response: z.object({ runs: z.array(RunSummarySchema), next: z.number().int().nullable() }), errors: [403, 404],
      handler: async ({ actor, params, query }) => {
        const access = await settings.access(actor, params.name!);
        const rows = await listRetentionRuns(deps.db, access.project.id, query.limit + 1, query.before);
        const page = rows.slice(0, query.limit);
        return { runs: page.map(runSummary), next: rows.length > query.limit ? page[page.length - 1]!.id : null };
      },
    }),
    route({
      method: 'GET', path: '/projects/{name}/retention/runs/{id}', resource, auth: 'required',
      summary: 'One retention run with its whole plan or outcome (members)',
      status: 200, response: RunResultSchema, errors: [403, 404],
      handler: async ({ actor, params }) => {
        const access = await settings.access(actor, params.name!);
        const id = Number(params.id);
        const row = Number.isInteger(id) ? await findRetentionRun(deps.db, access.project.id, id) : undefined;
        if (!row || !row.plan) throw new RegistryError('NOT_FOUND', undefined, { message: `project ${access.project.name} has no retention run ${String(params.id).slice(0, 20)}` });
        return JSON.parse(row.plan) as unknown;
      },
    }),
    route({
      method: 'GET', path: '/repositories/{project}/{repository}/tags/{tag}/history', resource: 'tag_history', auth: 'optional', query: HistoryQuery,
      summary: "A tag's moves, newest first: when, who, from which digest to which, and whether each digest is still there to roll back to (whoever may pull)",
      status: 200, response: TagHistorySchema, errors: [404],
      handler: async ({ actor, params, query }) => history.history(await readable(actor, params), tagOf(params), { limit: query.n, ...(query.before !== undefined ? { before: query.before } : {}) }),
    }),
    route({
      method: 'POST', path: '/repositories/{project}/{repository}/tags/{tag}/rollback', resource: 'tag_history', auth: 'required', body: RollbackBody,
      summary: 'Move a tag back to an earlier digest ({to} or {steps} moves back), pushed through the registry as the caller: webhooks, the audit log and immutability apply (who may push)',
      status: 200, response: RollbackResultSchema, errors: [403, 404, 409],
      handler: async ({ actor, params, body, request }) => {
        const name = await readable(actor, params);
        const tag = tagOf(params);
        if (!(await authorizer.allows(actor, name, 'push'))) throw new RegistryError('DENIED', undefined, { message: `you may not push to ${name}, so you may not move its tags` });
        const result = await rollback.rollback({ actor: { name: actor.name, address: request.ip }, requestId: request.id }, name, tag, body);
        if (result.moved) {
          deps.metrics?.rollbacks.inc();
          await deps.record({ action: 'tag.rollback', actor, project: params.project!, target: `${name}:${tag}`, detail: { from: result.from, to: result.to, ...(result.steps !== undefined ? { steps: result.steps } : {}) } });
        }
        return result;
      },
    }),
  ];
}
