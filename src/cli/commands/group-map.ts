// berth group-map add|list|remove (docs/access.md, Group mappings): a provider's group mapped to
// a role in a project, or (add-admin, remove-admin) to system administrator. Offline on the data
// directory (--data/--config; the providers are those of its configuration), or with --url on a
// running server, signed in as --user (password or access token in BERTH_PASSWORD, or
// --password-stdin).
import type { Command } from 'commander';
import { directoryServices, externalProviderNames } from '../../auth/builtin.ts';
import { SYSTEM } from '../../auth/directory/actor.ts';
import { auditEntryOf } from '../../auth/directory/audit-entry.ts';
import type { DirectoryChange } from '../../auth/directory/changes.ts';
import type { GroupMappingView, MappingKey } from '../../auth/external/group-mappings.ts';
import { openMetadataFor } from '../../http/stores.ts';
import { insertAudit } from '../../metadata/identity/audit.ts';
import { CliError } from '../cli-error.ts';
import { loadConfig } from '../config-loader.ts';
import { apiClient } from '../management/remote.ts';
import { printJson, printTable, readStdinLine, say, when, withCommon, withOpened, type CommonFlags } from './common.ts';

interface GroupMapOps {
  list(project?: string): Promise<GroupMappingView[]>;
  set(key: MappingKey, role: string): Promise<GroupMappingView>;
  remove(key: MappingKey): Promise<void>;
  close(): Promise<void>;
}

const ROLES = ['owner', 'maintainer', 'developer', 'guest'];
const enc = encodeURIComponent;

async function openOps(flags: CommonFlags): Promise<GroupMapOps> {
  if (flags.url) {
    const password = flags.passwordStdin ? await readStdinLine('password') : process.env.BERTH_PASSWORD;
    const client = apiClient({ url: flags.url, ...(flags.user ? { user: flags.user } : {}), ...(password !== undefined ? { password } : {}) });
    const which = (k: MappingKey) => `provider=${enc(k.provider)}&group=${enc(k.group)}`;
    return {
      list: async (project) => (await client.call<{ mappings: GroupMappingView[] }>('GET', project ? `/projects/${enc(project)}/group-mappings` : '/group-mappings')).mappings,
      set: (k, role) => k.project !== undefined
        ? client.call<GroupMappingView>('PUT', `/projects/${enc(k.project)}/group-mappings`, { provider: k.provider, group: k.group, role })
        : client.call<GroupMappingView>('PUT', '/group-mappings/admins', { provider: k.provider, group: k.group }),
      remove: async (k) => {
        await client.call('DELETE', k.project !== undefined ? `/projects/${enc(k.project)}/group-mappings?${which(k)}` : `/group-mappings/admins?${which(k)}`);
      },
      close: async () => {},
    };
  }
  const config = loadConfig({ config: flags.config, data: flags.data });
  if (config.auth.mode !== 'builtin') throw new CliError(`auth.mode is ${config.auth.mode}: group mappings exist only with auth.mode builtin`);
  const metadata = await openMetadataFor(config);
  const record = async (change: DirectoryChange) => { await insertAudit(metadata.db, [auditEntryOf(change)]); };
  const dir = directoryServices(metadata.db, { record }, externalProviderNames(config));
  return {
    list: (project) => dir.groupMappings.list(SYSTEM, project),
    set: (k, role) => dir.groupMappings.set(SYSTEM, k, role),
    remove: (k) => dir.groupMappings.remove(SYSTEM, k),
    close: () => metadata.close(),
  };
}

const withOps = (flags: CommonFlags, fn: (ops: GroupMapOps) => Promise<void>): Promise<void> => withOpened(flags, openOps, fn);

type MapFlags = CommonFlags & { provider: string; role?: string };

function withPassword(cmd: Command): Command {
  return withCommon(cmd).option('--password-stdin', 'with --url: read the --user password or access token from stdin');
}

export function registerGroupMapCommands(program: Command): void {
  const gm = program.command('group-map').description("map identity providers' groups (LDAP) to project roles or to system administrator; applied at each sign-in");

  withPassword(gm.command('add').argument('<project>').argument('<group>', "the group's name at the provider (LDAP: its cn)"))
    .description('map GROUP of --provider to --role in PROJECT (or change the role of that mapping)')
    .requiredOption('--role <role>', 'owner, maintainer, developer or guest')
    .requiredOption('--provider <name>', 'the provider (a name in auth.providers)')
    .action(async (project: string, group: string, flags: MapFlags) => {
      if (!ROLES.includes(flags.role ?? '')) throw new CliError(`--role ${flags.role} is not a role`, `Give one of ${ROLES.join(', ')}.`);
      await withOps(flags, async (ops) => {
        const m = await ops.set({ provider: flags.provider, group, project }, flags.role!);
        if (flags.json) return printJson(m);
        say(`Members of group ${m.group} (${m.provider}) are ${m.role}s of ${project} from their next sign-in.`);
      });
    });

  withPassword(gm.command('list').argument('[project]', 'omitted: every mapping (administrators)'))
    .description("a project's group mappings, or all of them")
    .action(async (project: string | undefined, flags: CommonFlags) => withOps(flags, async (ops) => {
      const list = await ops.list(project);
      if (flags.json) return printJson(list);
      if (!list.length) return say(project ? `No group mappings in ${project}.` : 'No group mappings.');
      printTable(['PROVIDER', 'GROUP', 'PROJECT', 'ROLE', 'CREATED', 'BY'], list.map((m) => [m.provider, m.group, m.project ?? '(system)', m.role, when(m.createdAt), m.createdBy]));
    }));

  withPassword(gm.command('remove').argument('<project>').argument('<group>'))
    .description('remove the mapping of GROUP in PROJECT; the memberships it made end at the next sign-in')
    .requiredOption('--provider <name>', 'the provider (a name in auth.providers)')
    .action(async (project: string, group: string, flags: MapFlags) => withOps(flags, async (ops) => {
      await ops.remove({ provider: flags.provider, group, project });
      if (flags.json) return printJson({ removed: true });
      say(`Removed the mapping of group ${group} (${flags.provider}) in ${project}.`);
    }));

  withPassword(gm.command('add-admin').argument('<group>'))
    .description('members of GROUP of --provider are system administrators (from their next sign-in)')
    .requiredOption('--provider <name>', 'the provider (a name in auth.providers)')
    .action(async (group: string, flags: MapFlags) => withOps(flags, async (ops) => {
      const m = await ops.set({ provider: flags.provider, group }, 'admin');
      if (flags.json) return printJson(m);
      say(`Members of group ${m.group} (${m.provider}) are system administrators from their next sign-in.`);
    }));

  withPassword(gm.command('remove-admin').argument('<group>'))
    .description('remove the mapping of GROUP to system administrator')
    .requiredOption('--provider <name>', 'the provider (a name in auth.providers)')
    .action(async (group: string, flags: MapFlags) => withOps(flags, async (ops) => {
      await ops.remove({ provider: flags.provider, group });
      if (flags.json) return printJson({ removed: true });
      say(`Removed the mapping of group ${group} (${flags.provider}) to system administrator.`);
    }));
}
