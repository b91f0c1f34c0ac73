// berth audit: the audit log, newest first.
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { project?: string; actor?: string; action?: string; since?: string; limit: string };

export function registerAuditCommand(program: Command): void {
  withCommon(program.command('audit'))
    .description('show the audit log, newest first (administrators: all; project owners: their project)')
    .option('--project <name>', 'only this project')
    .option('--actor <name>', 'only this account')
    .option('--action <action>', 'only this action (push, pull, delete, login, login_failed, ...)')
    .option('--since <duration>', 'only the last 1h, 7d, ... (or since an ISO time)')
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--password-stdin', 'with --url: read the login password or access token from stdin')
    .action(async (flags: Flags) => run(flags, async (m) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError('--limit must be a whole number from 1 to 1000');
      const entries = await m.audit({
        limit,
        ...(flags.project !== undefined ? { project: flags.project } : {}),
        ...(flags.actor !== undefined ? { actor: flags.actor } : {}),
        ...(flags.action !== undefined ? { action: flags.action } : {}),
        ...(flags.since !== undefined ? { since: flags.since } : {}),
      });
      if (flags.json) return printJson(entries);
      if (!entries.length) return say('No audit entries match.');
      printTable(['TIME', 'ACTOR', 'ACTION', 'OUTCOME', 'REPOSITORY', 'REFERENCE', 'ADDRESS'], entries.map((e) => [
        when(e.at), e.actor, e.action, e.outcome, e.repository ?? e.project, e.reference, e.address,
      ]));
    }));
}
