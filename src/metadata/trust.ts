// Rows of the trust feature (features/trust): policies, signers and cached verdicts.
import type { Executor } from './executor.ts';

export interface TrustPolicyRow {
  readonly mode: string;
  readonly exempt: string;
  readonly version: number;
  readonly updated_at: number;
}

export interface TrustSignerRow {
  readonly id: number;
  readonly name: string;
  readonly kind: string;
  readonly material: string;
  readonly fingerprint: string;
  readonly created_at: number;
  readonly created_by: string;
}

export async function findTrustPolicy(db: Executor, projectId: number): Promise<TrustPolicyRow | undefined> {
  return db.selectFrom('trust_policies').select(['mode', 'exempt', 'version', 'updated_at']).where('project_id', '=', projectId).executeTakeFirst();
}

/** Saves the policy and bumps its version (a new version makes cached verdicts stale). */
export async function saveTrustPolicy(db: Executor, projectId: number, p: { mode: string; exempt: string }, now: number): Promise<number> {
  const current = await findTrustPolicy(db, projectId);
  const version = (current ? Number(current.version) : 0) + 1;
  await db.insertInto('trust_policies').values({ project_id: projectId, mode: p.mode, exempt: p.exempt, version, updated_at: now })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ mode: p.mode, exempt: p.exempt, version, updated_at: now })).execute();
  return version;
}

export async function trustSigners(db: Executor, projectId: number): Promise<TrustSignerRow[]> {
  return db.selectFrom('trust_signers').select(['id', 'name', 'kind', 'material', 'fingerprint', 'created_at', 'created_by'])
    .where('project_id', '=', projectId).orderBy('name').execute();
}

export async function insertTrustSigner(db: Executor, projectId: number, s: Omit<TrustSignerRow, 'id'>): Promise<void> {
  await db.insertInto('trust_signers').values({ project_id: projectId, ...s }).execute();
}

export async function deleteTrustSigner(db: Executor, projectId: number, name: string): Promise<boolean> {
  const r = await db.deleteFrom('trust_signers').where('project_id', '=', projectId).where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface VerdictRow {
  readonly policy_version: number;
  readonly signed: number;
  readonly verdict: string;
  readonly computed_at: number;
}

export async function findVerdicts(db: Executor, repositoryId: number, digests: readonly string[]): Promise<Map<string, VerdictRow>> {
  const out = new Map<string, VerdictRow>();
  if (!digests.length) return out;
  const rows = await db.selectFrom('trust_verdicts').select(['digest', 'policy_version', 'signed', 'verdict', 'computed_at'])
    .where('repository_id', '=', repositoryId).where('digest', 'in', [...digests]).execute();
  for (const r of rows) out.set(r.digest, r);
  return out;
}

export async function saveVerdict(db: Executor, repositoryId: number, digest: string, v: VerdictRow): Promise<void> {
  await db.insertInto('trust_verdicts').values({ repository_id: repositoryId, digest, ...v })
    .onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ ...v })).execute();
}

/** Forgets the verdicts of these images (a signature arrived, or went). */
export async function dropVerdicts(db: Executor, repositoryId: number, digests: readonly string[]): Promise<void> {
  if (!digests.length) return;
  await db.deleteFrom('trust_verdicts').where('repository_id', '=', repositoryId).where('digest', 'in', [...digests]).execute();
}
