// Which metadata tables `berth migrate --to` copies, and which it leaves out and why. Both lists
// are checked against the tables the migrations really create (the source's schema, read at run
// time): a table in neither list stops the migration, and test/unit/migrate-tables.test.ts fails,
// so a table added by a future migration is never silently left behind. Decide for the new table
// whether its rows belong to the registry (add it to COPIED) or to this one process or file
// (add it to EXCLUDED with the reason).

/** Tables whose every row is copied (in foreign-key order, computed from the schema). */
export const COPIED: readonly string[] = [
  // registry (001, 004, 011)
  'repositories', 'blobs', 'repository_blobs', 'manifests', 'manifest_refs', 'repository_manifests', 'tags',
  // identity (002): accounts, tokens and the token signing key, so that logins and issued tokens keep working
  'users', 'projects', 'project_members', 'robots', 'robot_permissions', 'access_tokens', 'signing_keys', 'audit_log',
  // webhooks (003): endpoints, the outbox (pending deliveries are delivered by the target) and the log
  'webhooks', 'webhook_deliveries', 'webhook_attempts',
  // discovery (004)
  'stars', 'sessions',
  // durable jobs (006): queued work; a lease held by the stopped source has expired, so the target's runner takes it
  'jobs',
  // scanning (007, 011)
  'scan_layers', 'scan_inventories', 'scan_packages', 'scan_package_keys', 'vuln_imports', 'vuln_affected', 'vuln_feeds',
  'vuln_feed_imports', 'scan_reports', 'scan_settings',
  // signatures and trust (008, 009)
  'image_signatures', 'trust_policies', 'trust_signers', 'trust_verdicts',
  // lifecycle (010): tag history, GC queues and runs, immutability, retention, quotas (columns of projects)
  'tag_history', 'gc_manifest_reviews', 'gc_blob_reviews', 'gc_byte_deletes', 'gc_runs', 'immutable_rules',
  'retention_policies', 'retention_runs',
  // proxy projects (014): upstreams, sealed credentials (the target needs the same proxy-secret.key or
  // BERTH_PROXY_SECRET_KEY to open them) and when each cached tag was last checked upstream
  'proxy_projects', 'proxy_tag_checks',
  // replication (015): rules (peer credentials sealed as proxy projects' are), their runs and per-artifact results
  'replication_rules', 'replication_runs', 'replication_results',
  // identity providers (016): which provider each provider user signs in through, group mappings,
  // and which memberships a mapping made (so that sign-ins on the target keep telling them apart)
  'user_identities', 'group_mappings', 'mapped_memberships',
];

/** Tables deliberately not copied, with the reason (printed by --dry-run and in docs/migrate.md). */
export const EXCLUDED: Readonly<Record<string, string>> = {
  uploads: 'upload sessions in progress: their bytes (uploads/<id>/) are not copied; a client whose push was cut off by the migration starts its upload again',
  kysely_migration: 'schema versions: the target runs its own migrations (the versions of both sides are compared before anything is copied)',
  kysely_migration_lock: 'the migration lock of this one database',
  proxy_blob_fetches: 'leases of blob fetches in progress (proxy projects): they end with the stopped source, and a pull after the migration fetches again',
  oidc_logins: 'OIDC browser sign-ins in progress (018), each alive for at most 10 minutes: a browser that was signing in during the migration starts again',
};

/**
 * Tables that only the embedded dialect has, derived from copied rows: SQLite's full-text
 * indexes (virtual FTS5 tables and their shadow tables, kept by triggers on repositories) and
 * SQLite's own bookkeeping. PostgreSQL computes the same from generated columns.
 */
export function derivedReason(table: string, virtualTables: readonly string[]): string | undefined {
  if (table.startsWith('sqlite_')) return 'SQLite bookkeeping (sqlite_sequence, statistics)';
  for (const v of virtualTables) {
    if (table === v || table.startsWith(`${v}_`)) return `SQLite full-text index ${v}, rebuilt from repositories (PostgreSQL: generated search columns)`;
  }
  return undefined;
}

export interface TablePlan {
  /** Copied tables, parents before children. */
  readonly copy: readonly string[];
  /** Left out, with the reason. */
  readonly excluded: readonly { table: string; reason: string }[];
  /** In the schema but in neither list: the migration must not run. */
  readonly unknown: readonly string[];
  /** Named in COPIED or EXCLUDED but not in the schema (a stale list). */
  readonly missing: readonly string[];
}

/**
 * Sorts the schema's tables into copied, excluded and unknown. `references` maps each table to
 * the tables its foreign keys point at; copied tables come out parents first.
 */
export function planTables(tables: readonly string[], virtualTables: readonly string[], references: ReadonlyMap<string, readonly string[]>): TablePlan {
  const copied = new Set(COPIED);
  const copy: string[] = [];
  const excluded: { table: string; reason: string }[] = [];
  const unknown: string[] = [];
  for (const t of [...tables].sort()) {
    if (copied.has(t)) copy.push(t);
    else if (EXCLUDED[t] !== undefined) excluded.push({ table: t, reason: EXCLUDED[t] });
    else {
      const reason = derivedReason(t, virtualTables);
      if (reason) excluded.push({ table: t, reason });
      else unknown.push(t);
    }
  }
  const present = new Set(tables);
  const missing = [...COPIED, ...Object.keys(EXCLUDED)].filter((t) => !present.has(t));
  return { copy: parentsFirst(copy, references), excluded, unknown, missing };
}

/** Topological order over the foreign keys (a copied table's parents come before it). */
export function parentsFirst(tables: readonly string[], references: ReadonlyMap<string, readonly string[]>): string[] {
  const wanted = new Set(tables);
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string, path: string[]) => {
    if (state.get(t) === 'done') return;
    if (state.get(t) === 'visiting') throw new Error(`foreign keys form a cycle: ${[...path, t].join(' -> ')}`);
    state.set(t, 'visiting');
    for (const parent of references.get(t) ?? []) if (parent !== t && wanted.has(parent)) visit(parent, [...path, t]);
    state.set(t, 'done');
    out.push(t);
  };
  for (const t of tables) visit(t, []);
  return out;
}
