// Signatures and trust policies (features/trust): per project, the trusted signers (keys,
// OpenPGP keys, Notation trust-store certificates, keyless identities) and the mode (off, audit,
// enforce); and the verdicts, cached per (repository, image digest) for a policy version.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  const id = ctx.dialect === 'postgres' ? 'bigserial' : 'integer';
  await db.schema.createTable('trust_policies')
    .addColumn('project_id', 'bigint', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    /** off, audit or enforce. */
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('off'))
    /** JSON [account names]: pulls never refused (replication, scanning). */
    .addColumn('exempt', 'text', (c) => c.notNull().defaultTo('[]'))
    /** Bumped by every change of the policy or its signers: cached verdicts of older versions are stale. */
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createTable('trust_signers')
    .addColumn('id', id, (c) => (ctx.dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('project_id', 'bigint', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    /** key, pgp, x509 or keyless. */
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('material', 'text', (c) => c.notNull())
    /** A short fingerprint of the material, for lists. */
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('trust_signers_name').unique().on('trust_signers').columns(['project_id', 'name']).execute();
  await db.schema.createTable('trust_verdicts')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    /** 1 when a trusted signer signed it. */
    .addColumn('signed', 'integer', (c) => c.notNull())
    /** JSON: the verdict (signers, problems, each signature's result). */
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('trust_verdicts_pk', ['repository_id', 'digest'])
    .execute();
}
