// Pull counters: one batch of counts added to repositories and tags in one transaction
// (features/pulls aggregates them in memory between flushes).
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface PullCountDelta {
  readonly count: number;
  /** Epoch ms of the latest pull in the batch. */
  readonly last: number;
}

export interface PullCountBatch {
  readonly repositories: ReadonlyMap<string, PullCountDelta>;
  /** Repository name -> tag name -> delta. */
  readonly tags: ReadonlyMap<string, ReadonlyMap<string, PullCountDelta>>;
}

/** Adds the batch's counts; repositories or tags deleted meanwhile are skipped. */
export async function addPullCounts(db: Kysely<Database>, batch: PullCountBatch): Promise<void> {
  if (batch.repositories.size === 0 && batch.tags.size === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const [name, d] of batch.repositories) {
      await trx.updateTable('repositories')
        .set((eb) => ({
          pull_count: eb('pull_count', '+', d.count),
          last_pulled_at: eb.case().when('last_pulled_at', 'is', null).then(d.last).when('last_pulled_at', '<', d.last).then(d.last).else(eb.ref('last_pulled_at')).end(),
        }))
        .where('name', '=', name)
        .execute();
    }
    for (const [name, tags] of batch.tags) {
      const repo = await trx.selectFrom('repositories').select('id').where('name', '=', name).executeTakeFirst();
      if (!repo) continue;
      for (const [tag, d] of tags) {
        await trx.updateTable('tags')
          .set((eb) => ({
            pull_count: eb('pull_count', '+', d.count),
            last_pulled_at: eb.case().when('last_pulled_at', 'is', null).then(d.last).when('last_pulled_at', '<', d.last).then(d.last).else(eb.ref('last_pulled_at')).end(),
          }))
          .where('repository_id', '=', repo.id)
          .where('name', '=', tag)
          .execute();
      }
    }
  });
}
