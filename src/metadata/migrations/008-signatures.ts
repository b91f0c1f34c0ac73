// Signatures stored through the registry signature API extension (containers/image's
// "X-Registry-Supports-Signatures", as OpenShift's registry offers it): the "atomic" GPG simple
// signatures skopeo and podman make with --sign-by, per repository and image digest.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.ts';

export async function up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> {
  await db.schema.createTable('image_signatures')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    /** "<digest>@<per-image name>", unique per image. */
    .addColumn('name', 'text', (c) => c.notNull())
    /** Base64 of the signature (an OpenPGP message). */
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addPrimaryKeyConstraint('image_signatures_pk', ['repository_id', 'digest', 'name'])
    .execute();
  void ctx;
}
