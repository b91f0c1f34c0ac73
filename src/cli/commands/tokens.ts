// berth token create|list: personal access tokens (bpat_...)
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { permissions: string; expiresIn?: string; projects?: string };
const LOGIN_STDIN = 'with --url: read the login password from stdin';

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('manage personal access tokens (offline with --data/--config and --user, or with --url)');

  withCommon(token.command('create').argument('<name>', 'what the token is for, e.g. ci'))
    .description('create an access token (offline: for --user; with --url: for the signed-in user); printed once')
    .requiredOption('--permissions <actions>', 'comma-separated subset of pull,push,delete')
    .option('--projects <names>', 'comma-separated projects it is limited to (default: all of the user\'s)')
    .option('--expires-in <duration>', 'e.g. 30d, 12h (default: never)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      const created = await m.createToken({
        ...(flags.url ? {} : flags.user ? { user: flags.user } : {}),
        name,
        permissions: flags.permissions,
        ...(flags.projects ? { projects: flags.projects.split(',').map((p) => p.trim()).filter(Boolean) } : {}),
        ...(flags.expiresIn !== undefined ? { expiresIn: flags.expiresIn } : {}),
      });
      if (flags.json) return printJson(created);
      const t = created.token;
      say(`Created access token ${t.id} "${t.name}" for ${created.user} (${t.actions.join(',')}${t.projects.length ? ` on ${t.projects.join(',')}` : ''}), ${t.expiresAt ? `expires ${when(t.expiresAt)}` : 'never expires'}.`);
      say(`  user:  ${created.user}`);
      say(`  token: ${created.secret}`);
      process.stderr.write(`Store the token now: it is not shown again. Use it as the password of ${created.user}, e.g. docker login -u ${created.user} --password-stdin <registry>\n`);
    }));

  withCommon(token.command('list'))
    .description('list access tokens (never their secrets)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (flags: Flags) => run(flags, async (m) => {
      const { user, tokens } = await m.listTokens(flags.url ? undefined : flags.user);
      if (flags.json) return printJson({ user, tokens });
      printTable(['ID', 'NAME', 'ACTIONS', 'PROJECTS', 'EXPIRES', 'LAST USED'], tokens.map((t) => [
        t.id, t.name, t.actions.join(','), t.projects.join(',') || 'all', t.expiresAt ? when(t.expiresAt) : 'never', when(t.lastUsedAt),
      ]));
    }));

  withCommon(token.command('revoke').argument('<id>', 'the token id (berth token list shows it)'))
    .description('revoke an access token; it stops working at once')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (idText: string, flags: Flags) => run(flags, async (m) => {
      const id = Number(idText);
      if (!Number.isSafeInteger(id) || id < 1) throw new CliError(`${idText} is not a token id`, 'berth token list shows the ids.');
      const { user } = await m.revokeToken(flags.url ? undefined : flags.user, id);
      if (flags.json) return printJson({ user, id, revoked: true });
      say(`Revoked access token ${id} of ${user}.`);
    }));
}
