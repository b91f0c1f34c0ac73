// The contract between http/ and an auth mode: who is calling, and may they do this?
export type Action = 'pull' | 'push' | 'delete' | 'catalog';

export interface Identity {
  readonly name: string;
}

export type Authentication =
  | { readonly ok: true; readonly identity?: Identity }
  | { readonly ok: false; readonly reason: string };

export interface AuthProvider {
  readonly mode: string;
  /** Checks the Authorization header. No header means anonymous ({ok: true} without identity). */
  authenticate(authorization: string | undefined): Promise<Authentication>;
  /** May this caller do `action` on `repository` (undefined for registry-wide actions)? */
  authorize(identity: Identity | undefined, repository: string | undefined, action: Action): Promise<boolean>;
  /** Whether anonymous callers must log in even for GET /v2/ (clients probe it to log in). */
  readonly loginRequired: boolean;
  /** The WWW-Authenticate value for a 401. */
  challenge(): string;
}
