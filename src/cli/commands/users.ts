// berth user add|list|passwd|update|remove
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, readStdinLine, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { admin?: boolean; disable?: boolean; enable?: boolean; deleteProject?: boolean; keepProject?: boolean };

/** The new password: one line from stdin (--password-stdin). With --url, the login comes from BERTH_PASSWORD. */
async function newPassword(flags: Flags): Promise<string> {
  if (!flags.passwordStdin) throw new CliError('the new password is read from stdin: add --password-stdin', `e.g. printf '%s\\n' "$PASSWORD" | berth user ... --password-stdin`);
  return readStdinLine('new password');
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage user accounts (offline with --data/--config, or with --url)');

  withCommon(user.command('add').argument('<name>', 'account name (also their personal project)'))
    .description('create a user; the password is read from stdin')
    .option('--admin', 'make the user a system administrator')
    .option('--password-stdin', "read the new user's password from stdin (with --url, sign in with BERTH_PASSWORD)")
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      const password = await newPassword(flags);
      const created = await m.addUser(name, password, flags.admin ?? false);
      if (flags.json) return printJson(created);
      say(`Created user ${created.name}${created.admin ? ' (administrator)' : ''} with the personal project ${created.name}, in ${m.target}.`);
    }, false));

  withCommon(user.command('list'))
    .description('list users')
    .option('--password-stdin', 'with --url: read the login password or access token from stdin')
    .action(async (flags: Flags) => run(flags, async (m) => {
      const users = await m.listUsers();
      if (flags.json) return printJson(users);
      printTable(['NAME', 'ADMIN', 'DISABLED', 'CREATED'], users.map((u) => [u.name, u.admin ? 'yes' : 'no', u.disabled ? 'yes' : 'no', when(u.createdAt)]));
    }));

  withCommon(user.command('passwd').argument('<name>', 'account name'))
    .description("set a user's password, read from stdin")
    .option('--password-stdin', 'read the new password from stdin (with --url, sign in with BERTH_PASSWORD)')
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      const password = await newPassword(flags);
      await m.setPassword(name, password);
      if (flags.json) return printJson({ user: name, changed: true });
      say(`Changed the password of ${name}.`);
    }, false));

  withCommon(user.command('update').argument('<name>', 'account name'))
    .description('make a user an administrator (or not), or disable or enable them')
    .option('--admin', 'make the user a system administrator')
    .option('--no-admin', 'take administrator rights away')
    .option('--disable', 'the user can no longer sign in; their sessions and tokens end at once')
    .option('--enable', 'the user may sign in again')
    .option('--password-stdin', 'with --url: read the login password or access token from stdin')
    .action(async (name: string, flags: Flags, cmd: Command) => run(flags, async (m) => {
      if (flags.disable && flags.enable) throw new CliError('--disable and --enable contradict each other', 'give one of them');
      const adminGiven = cmd.getOptionValueSource('admin') === 'cli';
      const changes = { ...(adminGiven ? { admin: flags.admin ?? false } : {}), ...(flags.disable ? { disabled: true } : flags.enable ? { disabled: false } : {}) };
      if (!Object.keys(changes).length) throw new CliError('nothing to change', 'give --admin, --no-admin, --disable or --enable');
      const u = await m.updateUser(name, changes);
      if (flags.json) return printJson(u);
      say(`${u.name} is ${u.admin ? 'an administrator' : 'not an administrator'} and ${u.disabled ? 'disabled' : 'enabled'}.`);
    }));

  withCommon(user.command('remove').argument('<name>', 'account name'))
    .description('remove a user and end their sessions and tokens; an empty personal project goes with them')
    .option('--delete-project', 'also delete their personal project with its repositories')
    .option('--keep-project', 'keep their personal project and its repositories as an organisation project (owned by you when signed in with --url)')
    .option('--password-stdin', 'with --url: read the login password or access token from stdin')
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      if (flags.deleteProject && flags.keepProject) throw new CliError('--delete-project and --keep-project contradict each other', 'give one of them');
      const removed = await m.removeUser(name, flags.deleteProject ? 'delete' : flags.keepProject ? 'keep' : undefined);
      if (flags.json) return printJson(removed);
      const n = removed.repositories.length;
      const project = removed.personalProject === 'removed'
        ? ` Their personal project ${name} was removed${n ? ` with ${n} ${n === 1 ? 'repository' : 'repositories'}` : ''}.`
        : removed.personalProject === 'kept' ? ` Their personal project ${name} stays as an organisation project (${n} ${n === 1 ? 'repository' : 'repositories'}); the name cannot become a user again while it exists.` : '';
      say(`Removed user ${name}; their sessions and tokens have ended.${project}`);
    }));
}
