// berth replicate add|run|list|remove|history (docs/replication.md): rules that push Berth's
// images to a peer registry (--to) or pull a peer's into Berth (--from).
import type { Command } from 'commander';
import { formatBytes } from '../../core/sizes.ts';
import type { RunView, RunWithResultsView } from '../../features/replication/views.ts';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, readStdinLine, say, when, withCommon, withOpened, type CommonFlags } from './common.ts';
import { openReplicateOps, type ReplicateOps } from './replicate-ops.ts';

type AddFlags = CommonFlags & {
  to?: string; from?: string; repos: string; tags?: string; label?: string; onPush?: boolean; schedule?: string; deletions?: boolean; username?: string; destPrefix?: string;
};

const withOps = (flags: CommonFlags, fn: (ops: ReplicateOps) => Promise<void>): Promise<void> => withOpened(flags, openReplicateOps, fn);

/** A progress bar on a terminal (rewritten in place), or a line now and then otherwise; on stderr. */
function progressBar(): { update(done: number, total: number, what: string): void; end(): void } {
  const tty = process.stderr.isTTY;
  let shown = '';
  let lastLine = 0;
  return {
    update(done, total, what) {
      if (!tty) {
        const now = Date.now();
        if (what === 'done' || now - lastLine < 1000) return;
        lastLine = now;
        process.stderr.write(`replicate: ${done}/${total} ${what}\n`);
        return;
      }
      const width = 30;
      const filled = total > 0 ? Math.min(width, Math.round((done / total) * width)) : 0;
      const line = `replicate [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${what.slice(0, 60)}`;
      if (line !== shown) process.stderr.write(`\r${line.padEnd(shown.length)}`);
      shown = line;
    },
    end() {
      if (tty && shown) process.stderr.write('\n');
    },
  };
}

function summaryLine(r: RunView): string {
  const s = r.summary;
  if (!s) return `run ${r.id}: ${r.state}${r.error ? `: ${r.error}` : ''}`;
  return `run ${r.id} ${r.state}: ${s.copied} copied, ${s.skipped} skipped, ${s.failed} failed${s.deleted ? `, ${s.deleted} deleted` : ''}; `
    + `blobs ${s.blobsCopied} uploaded (${formatBytes(s.bytes)}), ${s.blobsMounted} mounted, ${s.blobsSkipped} already there`;
}

function printRun(run: RunWithResultsView): void {
  say(summaryLine(run));
  if (run.error) say(`error: ${run.error}`);
  const shown = run.results.filter((r) => r.kind !== 'child' || r.status !== 'skipped');
  if (shown.length) printTable(['REPOSITORY', 'REFERENCE', 'KIND', 'STATUS', 'BYTES', 'ERROR'], shown.map((r) => [r.repository, r.reference.length > 40 ? `${r.reference.slice(0, 19)}…` : r.reference, r.kind, r.status, r.bytes ? formatBytes(r.bytes) : '', r.error]));
}

export function registerReplicateCommands(program: Command): void {
  const rep = program.command('replicate').description('replication: push images to a peer registry, or pull a peer\'s into Berth (docs/replication.md)');

  withCommon(rep.command('add').argument('<name>', 'the rule\'s name'))
    .description('add a rule: --to URL pushes Berth\'s repositories there, --from URL pulls the peer\'s into Berth')
    .option('--to <url>', 'push rule: the target registry, e.g. https://registry.example.com')
    .option('--from <url>', 'pull rule: the source registry')
    .requiredOption('--repos <glob>', 'repositories, by full name: library/*, team/**, ** (every one)')
    .option('--tags <glob>', 'tags: a glob (v*, {latest,stable}) or a /regular expression/ (default: every tag)')
    .option('--label <label>', 'push rules: only repositories with this label')
    .option('--on-push', 'push rules: replicate each push (and tag move) within seconds')
    .option('--schedule <cron>', 'run on a cron schedule, 5 fields in UTC: "0 3 * * *"')
    .option('--deletions', 'replicate tag deletions too (off by default)')
    .option('--dest-prefix <prefix>', 'replace the first path component of each name on the target: team/app -> PREFIX/app (a pull rule fills the Berth project PREFIX)')
    .option('--username <name>', 'the peer account (its password from --password-stdin)')
    .option('--password-stdin', "read the peer account's password or token from stdin (with --url, the login password comes from BERTH_PASSWORD)")
    .action(async (name: string, flags: AddFlags) => {
      if (Boolean(flags.to) === Boolean(flags.from)) throw new CliError('give exactly one of --to URL or --from URL');
      if (flags.passwordStdin && !flags.username) throw new CliError('--password-stdin needs --username');
      const password = flags.passwordStdin ? await readStdinLine('peer password') : undefined;
      await withOps(flags, async (ops) => {
        const rule = await ops.add({
          name, repos: flags.repos,
          ...(flags.to !== undefined ? { to: flags.to } : {}), ...(flags.from !== undefined ? { from: flags.from } : {}),
          ...(flags.tags !== undefined ? { tags: flags.tags } : {}), ...(flags.label !== undefined ? { label: flags.label } : {}),
          ...(flags.onPush ? { onPush: true } : {}), ...(flags.schedule !== undefined ? { schedule: flags.schedule } : {}),
          ...(flags.deletions ? { deletions: true } : {}), ...(flags.destPrefix !== undefined ? { destPrefix: flags.destPrefix } : {}),
          ...(flags.username !== undefined ? { username: flags.username } : {}), ...(password !== undefined ? { password } : {}),
        });
        if (flags.json) return printJson(rule);
        const how = [rule.onPush ? 'on push' : '', rule.schedule ? `on schedule ${rule.schedule} (next ${when(rule.nextRunAt)})` : '', 'with berth replicate run'].filter(Boolean).join(', ');
        say(`Rule ${rule.name}: ${rule.direction === 'push' ? `Berth -> ${rule.peer}` : `${rule.peer} -> Berth`}, repositories ${rule.repos}, tags ${rule.tags}${rule.destPrefix ? `, named ${rule.destPrefix}/... there` : ''}; runs ${how}.`);
      });
    });

  withCommon(rep.command('run').argument('<name>'))
    .description('run a rule now and wait for it, with a progress bar (what the target has is skipped)')
    .option('--timeout <seconds>', 'with --url: how long to wait for the run', '3600')
    .action(async (name: string, flags: CommonFlags & { timeout: string }) => withOps(flags, async (ops) => {
      const bar = progressBar();
      const run = await ops.run(name, (d, t, w) => bar.update(d, t, w), Number(flags.timeout) * 1000);
      bar.end();
      if (flags.json) printJson(run);
      else printRun(run);
      if (run.state === 'failed') process.exitCode = 1;
    }));

  withCommon(rep.command('list'))
    .description('the replication rules (never their passwords)')
    .action(async (flags: CommonFlags) => withOps(flags, async (ops) => {
      const list = await ops.list();
      if (flags.json) return printJson(list);
      if (!list.length) return say('No replication rules.');
      printTable(['NAME', 'DIRECTION', 'PEER', 'REPOS', 'TAGS', 'PREFIX', 'ON PUSH', 'SCHEDULE', 'USER', 'ENABLED', 'LAST RUN'], list.map((r) => [r.name, r.direction, r.peer, r.repos, r.tags, r.destPrefix, r.onPush ? 'yes' : 'no', r.schedule, r.username, r.enabled ? 'yes' : 'no', r.lastRun?.state]));
    }));

  withCommon(rep.command('remove').argument('<name>'))
    .description('remove a rule and its history (what it copied stays)')
    .action(async (name: string, flags: CommonFlags) => withOps(flags, async (ops) => {
      await ops.remove(name);
      if (flags.json) return printJson({ name, removed: true });
      say(`Rule ${name} removed.`);
    }));

  withCommon(rep.command('history').argument('<name>'))
    .description("a rule's runs, newest first; --run ID shows one with its per-artifact results")
    .option('--run <id>', 'one run, with what it did to each artifact')
    .action(async (name: string, flags: CommonFlags & { run?: string }) => withOps(flags, async (ops) => {
      if (flags.run !== undefined) {
        const run = await ops.show(Number(flags.run));
        if (flags.json) return printJson(run);
        return printRun(run);
      }
      const runs = await ops.history(name);
      if (flags.json) return printJson(runs);
      if (!runs.length) return say(`Rule ${name} has not run yet.`);
      printTable(['RUN', 'TRIGGER', 'STATE', 'STARTED', 'COPIED', 'SKIPPED', 'FAILED', 'BYTES', 'ERROR'], runs.map((r) => [
        r.id, r.trigger, r.state, when(r.startedAt), r.summary?.copied, r.summary?.skipped, r.summary?.failed, r.summary ? formatBytes(r.summary.bytes) : '', r.error,
      ]));
    }));
}
