// Offline management: opens the metadata database named by the same configuration as `berth
// serve` (--config, --data, BERTH_* variables) and calls the directory services as the local
// system, which owns the data directory. Safe while a server runs on the same SQLite file.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { directoryServices } from '../../auth/builtin.ts';
import { SYSTEM } from '../../auth/directory/actor.ts';
import { RegistryError } from '../../core/errors.ts';
import { guardFor } from '../../features/webhooks/index.ts';
import { webhookServices } from '../../features/webhooks/service.ts';
import { sinceToEpoch } from '../../http/api/audit.ts';
import { openMetadataFor } from '../../http/stores.ts';
import { GC_OPS, lazyOps, RETENTION_OPS, SCAN_OPS, TRUST_OPS } from './lazy-ops.ts';
import { auditEntryOf } from '../../auth/directory/audit-entry.ts';
import type { DirectoryChange } from '../../auth/directory/changes.ts';
import { insertAudit, queryAudit } from '../../metadata/identity/audit.ts';
import { CliError } from '../cli-error.ts';
import { localLifecycleRuleOps } from './local-lifecycle-rules.ts';
import { loadConfig } from '../config-loader.ts';
import type { AuditEntryView, AuditFilter, Management, NewRobot, NewToken } from './types.ts';

export interface LocalFlags {
  readonly config?: string;
  readonly data?: string;
}

export async function openLocal(flags: LocalFlags): Promise<Management> {
  const config = loadConfig({ config: flags.config, data: flags.data });
  if (config.auth.mode !== 'builtin') {
    throw new CliError(`auth.mode is ${config.auth.mode}: users, projects and robots exist only with auth.mode builtin`, 'Set auth.mode: builtin in the config file (or BERTH_AUTH_MODE=builtin).');
  }
  const dataDir = resolve(config.storage.dataDir);
  if (config.database.dialect === 'sqlite' && !existsSync(join(dataDir, 'berth.db'))) {
    // A mistyped --data would otherwise start an empty store silently.
    process.stderr.write(`berth: note: no Berth data in ${dataDir} yet; starting a new store there (use --data DIR for another)\n`);
  }
  const metadata = await openMetadataFor(config);
  // Changes made offline are audited too, as the local system (awaited: the process may exit next).
  const record = (change: DirectoryChange) => insertAudit(metadata.db, [auditEntryOf(change)]);
  const s = directoryServices(metadata.db, { record });
  await s.projects.ensureLibrary();
  const db = metadata.db;
  // A running server's worker picks up what is queued here (redeliveries) at its next poll.
  const webhooks = webhookServices(db, guardFor(config.notifications), () => {}, record);
  const target = config.database.dialect === 'postgres' ? 'the PostgreSQL database' : `the data directory ${dataDir}`;
  // Loaded at first use, so that identity commands start fast (lazy-ops.ts).
  const scan = lazyOps(SCAN_OPS, async () => (await import('./local-scan.ts')).localScanOps(db, config, record));
  const trust = lazyOps(TRUST_OPS, async () => (await import('./local-trust.ts')).localTrustOps(db, config, record));
  const gc = lazyOps(GC_OPS, async () => (await import('./local-gc.ts')).localGcOps(db, config, record));
  const retention = lazyOps(RETENTION_OPS, async () => (await import('./local-retention.ts')).localRetentionOps(db, config, record));
  return {
    ...scan.ops,
    ...trust.ops,
    ...localLifecycleRuleOps(db, record),
    ...gc.ops,
    ...retention.ops,
    target,
    addUser: (name, password, admin) => s.users.create(SYSTEM, name, password, admin),
    listUsers: () => s.users.list(SYSTEM),
    setPassword: (name, password) => s.users.setPassword(SYSTEM, name, password),
    updateUser: (name, changes) => s.users.update(SYSTEM, name, changes),
    removeUser: (name, personalProject) => s.users.remove(SYSTEM, name, personalProject ? { personalProject } : {}),
    createProject: (name, visibility) => s.projects.create(SYSTEM, name, visibility),
    listProjects: () => s.projects.list(SYSTEM),
    updateProject: (name, changes) => s.projects.update(SYSTEM, name, changes),
    removeProject: (name, withRepositories) => s.projects.remove(SYSTEM, name, { withRepositories: withRepositories ?? false }),
    listMembers: (project) => s.projects.members(SYSTEM, project),
    setMember: (project, user, role) => s.projects.setMember(SYSTEM, project, user, role),
    removeMember: (project, user) => s.projects.removeMember(SYSTEM, project, user),
    createRobot: (req: NewRobot) => s.robots.create(SYSTEM, {
      name: req.name,
      permissions: [{ project: req.project, actions: req.permissions }],
      ...(req.expiresIn !== undefined ? { expiresIn: req.expiresIn } : {}),
      ...(req.description !== undefined ? { description: req.description } : {}),
    }),
    listRobots: (project) => s.robots.list(SYSTEM, project),
    removeRobot: (name) => s.robots.remove(SYSTEM, name),
    rotateRobot: (name) => s.robots.rotate(SYSTEM, name),
    setRobotDisabled: (name, disabled) => s.robots.setDisabled(SYSTEM, name, disabled),
    async createToken(req: NewToken) {
      if (!req.user) throw new CliError('offline, say whose token this is with --user USER', 'e.g. berth token create ci --user alice --permissions pull,push');
      const created = await s.accessTokens.create(SYSTEM, req.user, {
        name: req.name,
        actions: req.permissions,
        ...(req.projects ? { projects: req.projects } : {}),
        ...(req.expiresIn !== undefined ? { expiresIn: req.expiresIn } : {}),
      });
      return { ...created, user: req.user };
    },
    async listTokens(user) {
      if (!user) throw new CliError('offline, say whose tokens to list with --user USER');
      return { user, tokens: await s.accessTokens.list(SYSTEM, user) };
    },
    async revokeToken(user, id) {
      if (!user) throw new CliError('offline, say whose token to revoke with --user USER');
      await s.accessTokens.revoke(SYSTEM, user, id);
      return { user };
    },
    async audit(filter: AuditFilter): Promise<AuditEntryView[]> {
      let since: number | undefined;
      if (filter.since !== undefined) {
        since = sinceToEpoch(filter.since);
        if (since === undefined) throw new RegistryError('INVALID_REQUEST', undefined, { message: '--since must be a duration like 1h or 7d, or an ISO 8601 time' });
      }
      const rows = await queryAudit(db, {
        limit: filter.limit,
        ...(filter.project !== undefined ? { project: filter.project } : {}),
        ...(filter.actor !== undefined ? { actor: filter.actor } : {}),
        ...(filter.action !== undefined ? { action: filter.action } : {}),
        ...(since !== undefined ? { since } : {}),
      });
      return rows.map((r) => ({
        id: r.id, at: new Date(r.at).toISOString(), actor: r.actor, action: r.action, project: r.project ?? null, repository: r.repository ?? null,
        reference: r.reference ?? null, address: r.address ?? null, outcome: r.outcome, detail: r.detail ?? null,
      }));
    },
    addWebhook: (project, input) => webhooks.create(SYSTEM, project, input),
    listWebhooks: (project) => webhooks.list(SYSTEM, project),
    webhookDeliveries: (id, limit) => webhooks.deliveries(SYSTEM, id, limit),
    redeliver: (id) => webhooks.redeliver(SYSTEM, id),
    setWebhookPaused: (id, paused) => webhooks.update(SYSTEM, id, { paused }),
    removeWebhook: (id) => webhooks.remove(SYSTEM, id),
    close: async () => {
      for (const lazy of [scan, trust, gc, retention]) await lazy.close();
      await metadata.close();
    },
  };
}
