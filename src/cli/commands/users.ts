// berth user add|list|passwd|remove
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, readStdinLine, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { admin?: boolean };

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

  withCommon(user.command('remove').argument('<name>', 'account name'))
    .description('remove a user (their personal project stays)')
    .option('--password-stdin', 'with --url: read the login password or access token from stdin')
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      await m.removeUser(name);
      if (flags.json) return printJson({ user: name, removed: true });
      say(`Removed user ${name}.`);
    }));
}
