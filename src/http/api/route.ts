// One declarative shape for every /api/v1 route: the same object registers the fastify route and
// describes it in the OpenAPI document, so the two cannot drift apart.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Accounts } from '../../auth/accounts.ts';
import type { AccessTokenService } from '../../auth/directory/access-tokens.ts';
import type { ProjectService } from '../../auth/directory/projects.ts';
import type { RobotService } from '../../auth/directory/robots.ts';
import type { UserService } from '../../auth/directory/users.ts';
import type { GroupMappingService } from '../../auth/external/group-mappings.ts';
import type { ExternalIdentities } from '../../auth/external/identities.ts';
import type { Authorizer } from '../../auth/authorizer.ts';
import type { Principal } from '../../auth/principal.ts';
import type { SessionService } from '../../auth/sessions.ts';
import type { Registry } from '../../registry/registry.ts';
import type { Feature } from '../../features/feature.ts';
import type { JobRunner } from '../../jobs/runner.ts';
import type { SearchService } from '../../features/search/index.ts';
import type { WebhookService } from '../../features/webhooks/index.ts';
import type { Database } from '../../metadata/schema.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext<B, Q, A> {
  /** The signed-in caller (always set when the route needs a login). */
  readonly actor: A;
  /** Path parameters, URL-decoded (robot names carry "$" and "+"). */
  readonly params: Record<string, string>;
  readonly body: B;
  readonly query: Q;
  readonly request: FastifyRequest;
  /** For the few routes that set their own headers (a streamed answer's content type). */
  readonly reply: FastifyReply;
  /**
   * Reports progress of long work (routes with `progress: true`): with Accept:
   * application/x-ndjson the caller reads it as {"progress": "..."} lines; otherwise it is dropped.
   */
  readonly progress: (text: string) => void;
}

export interface RouteDef<B extends z.ZodType | undefined, Q extends z.ZodType | undefined, Auth extends 'required' | 'optional'> {
  readonly method: Method;
  /** OpenAPI form, relative to /api/v1: /users/{name} */
  readonly path: string;
  /** The metrics label is api_<resource>. */
  readonly resource: string;
  readonly summary: string;
  /** 'optional': anonymous callers reach the handler (the service decides what they see). */
  readonly auth: Auth;
  readonly body?: B;
  readonly query?: Q;
  /** Success status and the schema of its JSON body (none for 204). */
  readonly status: 200 | 201 | 204;
  readonly response?: z.ZodType;
  /** Refusals this route documents besides 401 (400 whenever there is a body or query). */
  readonly errors: readonly number[];
  /**
   * The handler streams the request body itself from `request.raw` (a file upload of any content
   * type); the body is not parsed. Described in the OpenAPI document as application/octet-stream.
   */
  readonly rawBody?: boolean;
  /**
   * Long work: a caller that sends Accept: application/x-ndjson gets a stream of
   * {"progress": "..."} lines ending in {"result": <the response>} or {"error": {code, status,
   * message}}; any other caller gets the plain answer when the work is done.
   */
  readonly progress?: boolean;
  handler(ctx: RouteContext<
    B extends z.ZodType ? z.output<B> : undefined,
    Q extends z.ZodType ? z.output<Q> : undefined,
    Auth extends 'required' ? Principal : Principal | undefined
  >): Promise<unknown>;
}

/** A route with its types erased, for tables of heterogeneous routes. */
export interface ApiRoute {
  readonly method: Method;
  readonly path: string;
  readonly resource: string;
  readonly summary: string;
  readonly auth: 'required' | 'optional';
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  readonly status: 200 | 201 | 204;
  readonly response?: z.ZodType;
  readonly errors: readonly number[];
  readonly rawBody?: boolean;
  readonly progress?: boolean;
  handler(ctx: RouteContext<unknown, unknown, Principal | undefined>): Promise<unknown>;
}

export function route<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, Auth extends 'required' | 'optional' = 'required'>(
  def: RouteDef<B, Q, Auth>,
): ApiRoute {
  return def as unknown as ApiRoute;
}

/** /users/{name} -> /users/:name (fastify's form). */
export function fastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

export interface ApiDeps {
  readonly users: UserService;
  readonly projects: ProjectService;
  readonly robots: RobotService;
  readonly accessTokens: AccessTokenService;
  readonly accounts: Accounts;
  readonly db: Kysely<Database>;
  /** Webhook management (the composition root passes the webhooks feature's services). */
  readonly webhooks?: WebhookService;
  /** Repository search (features/search); the search routes answer 404 NOT_FOUND without it. */
  readonly search?: SearchService;
  /** When present (the composition root passes the whole BuiltinAuth), failed API logins are reported to its audit hook. */
  readonly access?: { readonly onFailedLogin?: (account: string, address: string) => void };
  /** Repository pages (retag, untag, delete, config blobs); the repository routes answer 404 without it. */
  readonly registry?: Registry;
  /** Who may do what on a repository (the composition root passes BuiltinAuth's). */
  readonly authorizer?: Authorizer;
  /** Web UI sessions (cookie berth_session); without it cookies are ignored and /session answers 404. */
  readonly sessions?: SessionService;
  /** server.publicUrl: its host goes into pull commands; https makes cookies Secure. */
  readonly publicUrl?: string;
  /** Background jobs (GET /jobs/{id}); the route answers 404 without it. */
  readonly jobs?: JobRunner;
  /** Enabled features: their routes join the API's, their capabilities are listed for the UI. */
  readonly features?: readonly Feature[];
  /** 403 refusals, for the audit log (summed with their repeats there). */
  readonly onDenied?: (d: { actor: string; address: string; what: string; project?: string }) => void;
  /** Users of identity providers (OIDC users' CLI secrets); the composition root passes BuiltinAuth's. */
  readonly external?: ExternalIdentities;
  /** Group mappings of identity providers (the composition root passes BuiltinAuth's). */
  readonly groupMappings?: GroupMappingService;
  /** The sign-in choices: builtin and each provider of auth.providers. */
  readonly identityProviders?: readonly { name: string; type: 'builtin' | 'ldap' | 'oidc'; displayName: string }[];
  /** Sign-ins through POST /session, good and bad, for the audit log. */
  readonly onLogin?: (e: { account: string; address: string; ok: boolean; via: string }) => void;
}
