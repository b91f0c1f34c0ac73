// What every /v2 handler receives.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthProvider, Identity } from '../../auth/provider.ts';
import type { DeniedListener } from './access.ts';
import type { RequestContext } from '../../registry/context.ts';
import type { Registry } from '../../registry/registry.ts';
import type { OciRoute } from './paths.ts';

export interface OciDeps {
  readonly registry: Registry;
  readonly auth: AuthProvider;
  /** Absolute base for Location headers, or '' for relative locations. */
  readonly publicUrl: string;
  /** Told about 403 refusals, for the audit log. */
  readonly onDenied?: DeniedListener;
}

export interface OciCall<R extends OciRoute = OciRoute> {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly route: R;
  /** Canonical repository name (library/ added to single-component names). */
  readonly repository: string;
  readonly query: URLSearchParams;
  readonly identity?: Identity;
  readonly ctx: RequestContext;
  readonly deps: OciDeps;
}
