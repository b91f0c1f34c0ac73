// The immutability commands offline, on the data directory (or PostgreSQL) a server uses: a rule
// added here is enforced by a running server from its next change on (the rules are read inside
// each change's transaction).
import type { Kysely } from 'kysely';
import { SYSTEM } from '../../auth/directory/actor.ts';
import type { ChangeRecorder } from '../../auth/directory/changes.ts';
import { immutabilityServices } from '../../features/immutability/index.ts';
import type { Database } from '../../metadata/schema.ts';
import type { ImmutableOps } from './types.ts';

export function localLifecycleRuleOps(db: Kysely<Database>, record: ChangeRecorder): ImmutableOps {
  const rules = immutabilityServices({ db, record });
  return {
    immutableList: (project) => rules.list(SYSTEM, project),
    immutableAdd: (project, rule) => rules.add(SYSTEM, project, rule),
    immutableRemove: (project, id) => rules.remove(SYSTEM, project, id),
  };
}
