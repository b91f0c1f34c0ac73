// What an external identity provider (LDAP, and later OIDC) answers Berth: who a user is and
// which groups they are in. Pure types.

export interface ExternalUser {
  /** The provider's stable id for the user (an LDAP DN). */
  readonly subject: string;
  /** The name the user has in Berth (the directory's, e.g. uid). */
  readonly username: string;
  readonly email?: string;
  readonly displayName?: string;
  /** Group names, as group mappings name them. */
  readonly groups: readonly string[];
}

export type ExternalCheck =
  | { readonly status: 'ok'; readonly user: ExternalUser }
  /** Wrong password, or no such user (never told apart to the caller). */
  | { readonly status: 'invalid' }
  /** The user is no longer there (removed, or no longer matches the user filter). */
  | { readonly status: 'gone' }
  /** The provider could not be asked (down, a TLS or bind failure): says why, for the log. */
  | { readonly status: 'unavailable'; readonly reason: string };

export interface PasswordProvider {
  readonly name: string;
  readonly type: 'ldap';
  readonly displayName: string;
  readonly checkIntervalMs: number;
  /** Checks a password by binding as the user. */
  authenticate(username: string, password: string): Promise<ExternalCheck>;
  /** Looks the user up again (no password): still there, and their groups now. */
  refresh(subject: string, username: string): Promise<ExternalCheck>;
  close?(): Promise<void>;
}

/** An OpenID Connect provider as ExternalIdentities sees it: users come from the browser flow. */
export interface OidcLogin {
  readonly name: string;
  readonly type: 'oidc';
  readonly displayName: string;
  readonly checkIntervalMs: number;
  /**
   * Asks the provider, with the user's refresh token, whether the user (subject) is still
   * enabled, and which groups they are in now (absent when the provider does not say).
   */
  refresh(refreshToken: string, subject: string): Promise<
    | { status: 'ok'; refreshToken?: string; groups?: readonly string[]; email?: string }
    | { status: 'gone' }
    | { status: 'unavailable'; reason: string }
  >;
}
