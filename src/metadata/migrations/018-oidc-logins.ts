// OpenID Connect sign-ins in progress (issue 19; docs/access.md, OIDC): what the browser flow
// must find again at the callback (the nonce, the PKCE verifier and the redirect URI), between
// GET /auth/oidc/<name>/login and its callback, which behind a load balancer without stickiness
// may reach another instance. Keyed by the SHA-256 of the state (the state itself is only in the
// browser's cookie and the provider's redirect); a row is taken once (deleted as it is read) and
// lives at most 10 minutes. And when a user's CLI secret was made (the account page and
// /api/v1/me say so).
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.createTable('oidc_logins')
    /** base64url SHA-256 of the state. */
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_logins_expires').on('oidc_logins').column('expires_at').execute();
  // Null while there is no CLI secret, and for the secrets made before this column (their time is unknown).
  await db.schema.alterTable('user_identities').addColumn('cli_secret_created_at', 'bigint').execute();
}
