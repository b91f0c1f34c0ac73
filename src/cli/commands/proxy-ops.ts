// Where `berth proxy` acts: offline on the data directory (the same configuration as berth serve;
// a running server picks the change up within seconds), or with --url on a running server's
// /api/v1/proxy-projects, signed in as --user with BERTH_PASSWORD (--password-stdin carries the
// upstream's password here, not the login's).
import { directoryServices } from '../../auth/builtin.ts';
import { SYSTEM } from '../../auth/directory/actor.ts';
import { auditEntryOf } from '../../auth/directory/audit-entry.ts';
import type { DirectoryChange } from '../../auth/directory/changes.ts';
import type { ProxyProjectView } from '../../features/proxy/views.ts';
import type { NewProxyInput } from '../../features/proxy/service.ts';
import { openMetadataFor } from '../../http/stores.ts';
import { insertAudit } from '../../metadata/identity/audit.ts';
import { CliError } from '../cli-error.ts';
import { loadConfig } from '../config-loader.ts';
import { apiClient } from '../management/remote.ts';
import type { TargetFlags } from '../management/index.ts';

export interface ProxyOps {
  readonly target: string;
  create(input: NewProxyInput): Promise<ProxyProjectView>;
  list(): Promise<ProxyProjectView[]>;
  remove(project: string): Promise<void>;
  close(): Promise<void>;
}

export async function openProxyOps(flags: TargetFlags): Promise<ProxyOps> {
  if (flags.url) {
    const password = process.env.BERTH_PASSWORD;
    if (flags.user && !password) throw new CliError(`--user ${flags.user} needs a password or access token`, 'Set BERTH_PASSWORD (--password-stdin carries the upstream\'s password in berth proxy).');
    const client = apiClient({ url: flags.url, ...(flags.user ? { user: flags.user } : {}), ...(password !== undefined ? { password } : {}) });
    return {
      target: client.server,
      create: (input) => client.call<ProxyProjectView>('POST', '/proxy-projects', input),
      list: () => client.call<ProxyProjectView[]>('GET', '/proxy-projects'),
      remove: async (project) => { await client.call('DELETE', `/proxy-projects/${encodeURIComponent(project)}`); },
      close: async () => {},
    };
  }
  const config = loadConfig({ config: flags.config, data: flags.data });
  if (config.auth.mode !== 'builtin') throw new CliError(`auth.mode is ${config.auth.mode}: proxy projects exist only with auth.mode builtin`);
  const metadata = await openMetadataFor(config);
  const record = async (change: DirectoryChange) => { await insertAudit(metadata.db, [auditEntryOf(change)]); };
  const dir = directoryServices(metadata.db, { record });
  await dir.projects.ensureLibrary();
  // Loaded only here: `berth proxy list --url` needs none of the feature.
  const { lazyBox } = await import('../../features/proxy/index.ts');
  const { ProxyService } = await import('../../features/proxy/service.ts');
  const { RetentionSettings } = await import('../../features/retention/settings.ts');
  // As berth serve does: a new proxy project gets the retention default (the server schedules it when it starts).
  const retention = new RetentionSettings(metadata.db, record);
  const service = new ProxyService(metadata.db, lazyBox(config.storage.dataDir), dir.projects, record, undefined, (actor, project, source) => retention.setDefault(actor, project, source));
  return {
    target: config.database.dialect === 'postgres' ? 'the PostgreSQL database' : `the data directory ${config.storage.dataDir}`,
    create: (input) => service.create(SYSTEM, input),
    list: () => service.list(),
    remove: (project) => service.remove(project, SYSTEM),
    close: () => metadata.close(),
  };
}
