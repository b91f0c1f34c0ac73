// berth immutable add|list|remove (docs/immutability.md): a project's tag immutability rules.
// Offline (--data/--config) they work on the data directory; with --url on a running server,
// signed in with --user.
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';

export function registerImmutableCommands(program: Command): void {
  const immutable = program.command('immutable').description('tag immutability: tags matching a rule can no longer be moved to another image or deleted (docs/immutability.md)');

  withCommon(immutable.command('add').argument('<project>'))
    .description('make the tags matching both patterns immutable (owners, maintainers, administrators)')
    .requiredOption('--repos <glob>', 'repositories, by their path inside the project: ** (all), app, app/* (one level under app), app/** (app and all under it), {app,web}')
    .requiredOption('--tags <glob>', 'tags: v* , {latest,stable}, release-[0-9]*, ** (all)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, flags: CommonFlags & { repos: string; tags: string }) => run(flags, async (m) => {
      const rule = await m.immutableAdd(project, { repos: flags.repos, tags: flags.tags });
      if (flags.json) return printJson(rule);
      say(`Added rule ${rule.id} to ${project}: tags matching ${rule.tags} in repositories matching ${rule.repos} can no longer be moved or deleted.`);
    }));

  withCommon(immutable.command('list').argument('<project>'))
    .description("a project's immutability rules")
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, flags: CommonFlags) => run(flags, async (m) => {
      const list = await m.immutableList(project);
      if (flags.json) return printJson(list);
      if (!list.rules.length) return say(`Project ${project} has no immutability rules: add one with berth immutable add ${project} --repos '**' --tags 'v*'`);
      printTable(['ID', 'REPOS', 'TAGS', 'ADDED', 'BY'], list.rules.map((r) => [r.id, r.repos, r.tags, when(r.createdAt), r.createdBy]));
    }));

  withCommon(immutable.command('remove').argument('<project>').argument('<id>', 'the rule number (berth immutable list shows it)'))
    .description('remove an immutability rule: the tags it covered can be moved and deleted again')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, id: string, flags: CommonFlags) => {
      const n = Number(id);
      if (!/^\d+$/.test(id) || !Number.isSafeInteger(n) || n <= 0) throw new CliError(`${id} is not a rule number`, `berth immutable list ${project} shows the rules and their numbers`);
      await run(flags, async (m) => {
        await m.immutableRemove(project, n);
        if (flags.json) return printJson({ project, removed: n });
        say(`Removed rule ${n} from ${project}.`);
      });
    });
}
