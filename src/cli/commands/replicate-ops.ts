// Where `berth replicate` acts: with --url on a running server's /api/v1/replication (signed in
// as --user with BERTH_PASSWORD; --password-stdin carries the peer's password, not the login's),
// or offline on the data directory (the same configuration as berth serve): rules are changed in
// the database (a running server picks them up within seconds), and `run` copies in this process.
import { directoryServices } from '../../auth/builtin.ts';
import { SYSTEM } from '../../auth/directory/actor.ts';
import { auditEntryOf } from '../../auth/directory/audit-entry.ts';
import type { DirectoryChange } from '../../auth/directory/changes.ts';
import type { NewRuleInput } from '../../features/replication/service.ts';
import type { RuleView, RunView, RunWithResultsView } from '../../features/replication/views.ts';
import { openMetadataFor, openStorageFor, registryLimitsOf } from '../../http/stores.ts';
import { insertAudit } from '../../metadata/identity/audit.ts';
import { EventBus } from '../../registry/event-bus.ts';
import { Registry } from '../../registry/registry.ts';
import { CliError } from '../cli-error.ts';
import { loadConfig } from '../config-loader.ts';
import { apiClient, waitForRemoteJob } from '../management/remote.ts';
import type { TargetFlags } from '../management/index.ts';

export type Progress = (done: number, total: number, what: string) => void;

export interface ReplicateOps {
  readonly target: string;
  add(input: NewRuleInput): Promise<RuleView>;
  list(): Promise<RuleView[]>;
  remove(name: string): Promise<void>;
  run(name: string, progress: Progress, timeoutMs: number): Promise<RunWithResultsView>;
  history(name: string): Promise<RunView[]>;
  show(run: number): Promise<RunWithResultsView>;
  close(): Promise<void>;
}

export async function openReplicateOps(flags: TargetFlags): Promise<ReplicateOps> {
  if (flags.url) {
    const password = process.env.BERTH_PASSWORD;
    if (flags.user && !password) throw new CliError(`--user ${flags.user} needs a password or access token`, 'Set BERTH_PASSWORD (--password-stdin carries the peer\'s password in berth replicate add).');
    const client = apiClient({ url: flags.url, ...(flags.user ? { user: flags.user } : {}), ...(password !== undefined ? { password } : {}) });
    const rule = (name: string) => `/replication/rules/${encodeURIComponent(name)}`;
    return {
      target: client.server,
      add: (input) => client.call<RuleView>('POST', '/replication/rules', input),
      list: () => client.call<RuleView[]>('GET', '/replication/rules'),
      remove: async (name) => { await client.call('DELETE', rule(name)); },
      async run(name, progress, timeoutMs) {
        const { run, job } = await client.call<{ run: RunView; job: number }>('POST', `${rule(name)}/runs`);
        await waitForRemoteJob(client, job, timeoutMs, (text) => {
          const m = /^(\d+)\/(\d+) (.*)$/.exec(text);
          if (m) progress(Number(m[1]), Number(m[2]), m[3]!);
        }, (state) => new CliError(`the replication run ${run.id} (job ${job}) did not finish within ${Math.round(timeoutMs / 1000)} s; it is ${state}`, `It goes on in the server: see it with berth replicate history ${name} --url ...`));
        return client.call<RunWithResultsView>('GET', `/replication/runs/${run.id}`);
      },
      history: (name) => client.call<RunView[]>('GET', `${rule(name)}/runs`),
      show: (id) => client.call<RunWithResultsView>('GET', `/replication/runs/${id}`),
      close: async () => {},
    };
  }
  const config = loadConfig({ config: flags.config, data: flags.data });
  const metadata = await openMetadataFor(config);
  const record = async (change: DirectoryChange) => { await insertAudit(metadata.db, [auditEntryOf(change)]); };
  const dir = config.auth.mode === 'builtin' ? directoryServices(metadata.db, { record }) : undefined;
  // Loaded only here: `berth replicate list --url` needs none of the feature.
  const { ReplicationService } = await import('../../features/replication/service.ts');
  const { lazySecretBox } = await import('../../features/secrets.ts');
  const storage = openStorageFor(config);
  const registry = new Registry({ db: metadata.db, storage, bus: new EventBus(), limits: registryLimitsOf(config) });
  const service = new ReplicationService({ db: metadata.db, box: lazySecretBox(config.storage.dataDir), registry, ...(dir ? { projects: dir.projects } : {}), record });
  return {
    target: config.database.dialect === 'postgres' ? 'the PostgreSQL database' : `the data directory ${config.storage.dataDir}`,
    add: (input) => service.add(SYSTEM, input),
    list: () => service.list(),
    remove: (name) => service.remove(name, SYSTEM),
    async run(name, progress) {
      const rule = await service.store.rule(name);
      if (!rule) throw new CliError(`no replication rule ${name}`, 'See them with berth replicate list.');
      const runId = await service.store.insertRun(rule.id, 'manual', 'cli');
      await record({ action: 'replication.run', actor: SYSTEM, detail: { rule: name, run: runId } });
      // Offline a failed pass is reported, not retried: run it again (what was copied is skipped).
      await service.pass(rule, runId, 0, undefined, undefined, progress).catch(() => undefined);
      return service.runWithResults(runId);
    },
    history: (name) => service.history(name),
    show: (id) => service.runWithResults(id),
    close: async () => { await metadata.close(); await storage.close?.(); },
  };
}
