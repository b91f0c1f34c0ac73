// Identity providers (issue 19, docs/access.md): which provider a user signs in through (LDAP,
// OIDC) and when that provider last vouched for them; group mappings (a provider's group to a
// project role, or to system administrator); and which project memberships a mapping made, so
// that each sign-in adds and removes those without touching memberships given by hand.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const name = ctx.dialect === 'postgres' ? sql`text collate "C"` : sql`text`;
  await db.schema.createTable('user_identities')
    .addColumn('user_id', 'bigint', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('provider', name, (c) => c.notNull())
    /** The provider's stable id of the user: an LDAP DN, an OIDC subject. */
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('display_name', 'text')
    /** 1 when a group mapping (not an administrator) made the user a system administrator. */
    .addColumn('admin_from_mapping', 'integer', (c) => c.notNull().defaultTo(0))
    /** The provider's groups at the last check, as a JSON list. */
    .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
    /** OIDC: the provider's refresh token, used to ask whether the user is still enabled. */
    .addColumn('refresh_token', 'text')
    /** OIDC: the SHA-256 of the user's CLI secret (their docker/podman password), if they made one. */
    .addColumn('cli_secret_hash', 'text')
    .addColumn('checked_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_identities_subject').on('user_identities').columns(['provider', 'subject']).unique().execute();

  const serial = ctx.dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.schema.createTable('group_mappings')
    .addColumn('id', serial, (c) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('provider', name, (c) => c.notNull())
    .addColumn('group_name', 'text', (c) => c.notNull())
    /** Null for a mapping to system administrator. */
    .addColumn('project_id', 'bigint', (c) => c.references('projects.id').onDelete('cascade'))
    /** owner, maintainer, developer, guest; admin when project_id is null. */
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('group_mappings_group').on('group_mappings').columns(['provider', 'group_name']).execute();
  await db.schema.createIndex('group_mappings_project').on('group_mappings').column('project_id').execute();

  await db.schema.createTable('mapped_memberships')
    .addColumn('project_id', 'bigint', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('mapped_memberships_pk', ['project_id', 'user_id'])
    .execute();
  await db.schema.createIndex('mapped_memberships_user').on('mapped_memberships').column('user_id').execute();
}
