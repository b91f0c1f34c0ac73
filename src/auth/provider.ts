// The contract between http/ and an auth mode: who is calling, and may they do this?
export type Action = 'pull' | 'push' | 'delete' | 'catalog';

/** Access a bearer token grants, as in the Docker token spec's "access" claim. */
export interface Grant {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

export interface Identity {
  /** Account name: a user, or robot$<project>+<name>. */
  readonly name: string;
  readonly kind: 'user' | 'robot';
  readonly admin?: boolean;
  /** Set when the caller presented a bearer token: it may do exactly what the token grants. */
  readonly grants?: readonly Grant[];
  /** The auth mode's own record of the account (e.g. a robot's permissions); opaque to http/. */
  readonly principal?: unknown;
}

export type Authentication =
  | { readonly ok: true; readonly identity?: Identity }
  | { readonly ok: false; readonly reason: string; readonly retryAfterSeconds?: number };

export interface ChallengeContext {
  /** Scheme and host the client used, e.g. http://127.0.0.1:5000 (for the token realm). */
  readonly baseUrl: string;
  /** The scope the request needed, e.g. repository:team/app:pull. */
  readonly scope?: string;
  readonly error?: 'insufficient_scope' | 'invalid_token';
}

export interface AuthProvider {
  readonly mode: string;
  /** Checks the Authorization header. No header means anonymous ({ok: true} without identity). */
  authenticate(authorization: string | undefined, address: string): Promise<Authentication>;
  /** May this caller do `action` on `repository` (undefined for registry-wide actions)? */
  authorize(identity: Identity | undefined, repository: string | undefined, action: Action): Promise<boolean>;
  /**
   * For a bearer token that lacks a grant: could its account obtain it with a new token? Then the
   * answer is 401 (fetch a new token); otherwise 403 DENIED.
   */
  couldObtain?(identity: Identity, repository: string | undefined, action: Action): Promise<boolean>;
  /** Why a signed-in caller is refused (for the DENIED error's detail); never reveals hidden projects. */
  explainDenial?(identity: Identity, repository: string, action: Action): Promise<string | undefined>;
  /** Which repositories of a catalog page this caller may see. */
  visibleRepositories?(identity: Identity | undefined, names: readonly string[]): Promise<string[]>;
  /** Whether anonymous callers must log in even for GET /v2/ (clients probe it to log in). */
  readonly loginRequired: boolean;
  /** The WWW-Authenticate value for a 401. */
  challenge(context: ChallengeContext): string;
}
