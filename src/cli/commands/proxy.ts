// berth proxy create|list|remove (docs/proxy.md): proxy projects, pull-through caches of an
// upstream registry.
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, readStdinLine, say, when, withCommon, withOpened, type CommonFlags } from './common.ts';
import { openProxyOps, type ProxyOps } from './proxy-ops.ts';

type CreateFlags = CommonFlags & { upstream: string; username?: string; tagTtl?: string };

const withOps = (flags: CommonFlags, fn: (ops: ProxyOps) => Promise<void>): Promise<void> => withOpened(flags, openProxyOps, fn);

export function registerProxyCommands(program: Command): void {
  const proxy = program.command('proxy').description('proxy projects: pull-through caches of an upstream registry (docs/proxy.md)');

  withCommon(proxy.command('create').argument('<project>', 'the project (made private if it does not exist; an existing one must be empty)'))
    .description('make PROJECT a pull-through cache: PROJECT/library/nginx:1.27 is fetched from UPSTREAM/library/nginx:1.27 on a miss')
    .requiredOption('--upstream <url>', 'the upstream registry, e.g. https://registry-1.docker.io')
    .option('--username <name>', "the upstream account (its password from --password-stdin)")
    .option('--password-stdin', "read the upstream account's password or token from stdin (with --url, the login password comes from BERTH_PASSWORD)")
    .option('--tag-ttl <duration>', 'how long a cached tag is served before a HEAD upstream checks it: 10m, 1h (default), or per pattern: latest=5m,v*=7d,*=1h')
    .action(async (project: string, flags: CreateFlags) => {
      if (flags.passwordStdin && !flags.username) throw new CliError('--password-stdin needs --username');
      const password = flags.passwordStdin ? await readStdinLine('upstream password') : undefined;
      await withOps(flags, async (ops) => {
        const created = await ops.create({
          project, upstream: flags.upstream,
          ...(flags.username !== undefined ? { username: flags.username } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(flags.tagTtl !== undefined ? { tagTtl: flags.tagTtl } : {}),
        });
        if (flags.json) return printJson(created);
        say(`Project ${created.project} is now a pull-through cache of ${created.upstream}${created.username ? ` (as ${created.username})` : ''}; tags are checked upstream after ${created.tagTtl}.`);
      });
    });

  withCommon(proxy.command('list'))
    .description('the proxy projects and their upstreams (never their passwords)')
    .action(async (flags: CommonFlags) => withOps(flags, async (ops) => {
      const list = await ops.list();
      if (flags.json) return printJson(list);
      if (!list.length) return say('No proxy projects.');
      printTable(['PROJECT', 'UPSTREAM', 'USER', 'TAG TTL', 'CREATED', 'BY'], list.map((p) => [p.project, p.upstream, p.username, p.tagTtl, when(p.createdAt), p.createdBy]));
    }));

  withCommon(proxy.command('remove').argument('<project>'))
    .description('stop proxying PROJECT; what it cached stays, as ordinary content')
    .action(async (project: string, flags: CommonFlags) => withOps(flags, async (ops) => {
      await ops.remove(project);
      if (flags.json) return printJson({ project, removed: true });
      say(`${project} is no longer a proxy project.`);
    }));
}
