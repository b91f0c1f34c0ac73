// berth tag history|rollback (docs/tag-history.md): every move of a tag, and moving it back by
// digest or by steps, through the registry (webhooks, audit and immutability apply). REPO:TAG
// follows the Docker naming rules: nginx:1 is library/nginx:1, a registry host is ignored.
import { Option, type Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';
import { imageRef } from './scan.ts';

const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';
const short = (digest: string | null) => (digest ? digest.slice(0, 19) : '-');

/** REPO:TAG as a repository and a tag (a digest is not a tag). */
function tagRef(ref: string): { repository: string; tag: string } {
  const { repository, reference } = imageRef(ref);
  if (reference.includes(':')) throw new CliError(`${ref} names a digest: history and rollback are about a tag`, 'Give REPO:TAG, e.g. acme/app:latest.');
  return { repository, tag: reference };
}

export function registerTagCommands(program: Command): void {
  const tag = program.command('tag').description('the history of a tag (who moved it, when, from which digest to which) and rolling it back (docs/tag-history.md)');

  withCommon(tag.command('history').argument('<ref>', 'the tag: [HOST/]NAME[:TAG] (latest when left out)'))
    .description("a tag's moves, newest first; an asterisk marks digests no longer in the repository (they cannot be rolled back to)")
    .option('-n, --limit <n>', 'how many moves to show', '50')
    .option('--before <id>', 'only moves older than this entry id (the next page)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (ref: string, flags: CommonFlags & { limit: string; before?: string }) => {
      const { repository, tag: name } = tagRef(ref);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError('--limit is a whole number from 1 to 500');
      const before = flags.before === undefined ? undefined : Number(flags.before);
      if (before !== undefined && !Number.isInteger(before)) throw new CliError('--before is an entry id (the ID column)');
      await run(flags, async (m) => {
        const h = await m.tagHistory(repository, name, { limit, ...(before !== undefined ? { before } : {}) });
        if (flags.json) return printJson(h);
        say(`${h.repository}:${h.tag} ${h.current ? `points at ${h.current}` : 'does not exist now'}; ${h.total} recorded move${h.total === 1 ? '' : 's'}`);
        if (!h.entries.length) return;
        printTable(['ID', 'WHEN', 'WHO', 'ACTION', 'FROM', 'TO'], h.entries.map((e) => [
          e.id, when(e.at), e.actor, e.action, short(e.from), e.to ? `${short(e.to)}${e.available ? '' : ' *'}` : '-',
        ]));
        if (h.entries.some((e) => e.to && !e.available)) say('* no longer in the repository');
        if (h.next !== null) say(`older moves: berth tag history ${h.repository}:${h.tag} --before ${h.next}`);
      });
    });

  withCommon(tag.command('rollback').argument('<ref>', 'the tag: [HOST/]NAME[:TAG] (latest when left out)'))
    .description('move a tag back: to a digest it pointed at (--to), or N moves back in its history (--steps, default 1: the digest before the current one)')
    .addOption(new Option('--to <digest>', 'the digest (a unique prefix of one in the history will do)').conflicts('steps'))
    .addOption(new Option('--steps <n>', 'moves back in the history; a rollback is a move too, so --steps 1 twice returns to where it was'))
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (ref: string, flags: CommonFlags & { to?: string; steps?: string }) => {
      const { repository, tag: name } = tagRef(ref);
      let steps: number | undefined;
      if (flags.steps !== undefined) {
        steps = Number(flags.steps);
        if (!Number.isInteger(steps) || steps < 1) throw new CliError('--steps is a whole number of moves back, from 1');
      }
      const request = flags.to !== undefined ? { to: flags.to } : { steps: steps ?? 1 };
      await run(flags, async (m) => {
        const r = await m.tagRollback(repository, name, request);
        if (flags.json) return printJson(r);
        if (!r.moved) return say(`${r.repository}:${r.tag} already points at ${r.to}; nothing to do`);
        say(`${r.repository}:${r.tag} moved back to ${r.to}${r.from ? ` (from ${r.from})` : ''}${r.steps !== undefined ? `, ${r.steps} move${r.steps === 1 ? '' : 's'} back` : ''}`);
      });
    });
}
