// berth retention set|show|run (docs/retention.md). Offline (--data/--config) they work on the
// data directory as the local system; with --url on a running server, signed in with --user.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatBytes } from '../../features/retention/planner.ts';
import { CliError } from '../cli-error.ts';
import type { RetentionPlanView, RetentionPolicyView, RetentionRunView } from '../management/types.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';
const short = (digest: string) => digest.slice(0, 19);
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : 'never');

function printPolicy(p: RetentionPolicyView): void {
  const rules = p.policy.rules.length;
  const schedule = p.schedule ? `runs "${p.schedule}" (UTC), next ${p.nextRuns.slice(0, 1).map((t) => when(t)).join('') || 'never'}` : 'runs on demand only (no schedule)';
  say(`project ${p.project}: ${rules} retention rule${rules === 1 ? '' : 's'}${p.policy.untagged ? ', untagged manifests deleted too' : ''}; ${schedule}${p.updatedBy ? `; set by ${p.updatedBy} ${when(p.updatedAt)}` : ''}`);
}

/** The plan (or a run's outcome), repository by repository, then the summary line. */
export function printPlan(p: RetentionPlanView | RetentionRunView): void {
  const done = 'dryRun' in p && !p.dryRun;
  for (const r of p.repositories) {
    if (!r.deleteTags.length && !r.deleteManifests.length) continue;
    const parts = [r.deleteTags.length ? `${r.deleteTags.length} tag${r.deleteTags.length === 1 ? '' : 's'}` : '', r.deleteManifests.length ? `${r.deleteManifests.length} untagged manifest${r.deleteManifests.length === 1 ? '' : 's'}` : ''].filter(Boolean);
    say(`${r.repository}: ${done ? 'deleted' : 'would delete'} ${parts.join(' and ')} (${formatBytes(r.bytes)})`);
    printTable(['TAG', 'DIGEST', 'PUSHED', 'PULLED', 'WHY'], [
      ...r.deleteTags.map((t) => [t.tag, short(t.digest), day(t.pushedAt), day(t.pulledAt), t.reasons.join('; ')]),
      ...r.deleteManifests.map((m) => ['(untagged)', short(m.digest), day(m.pushedAt), '', m.followers.length ? `untagged; with ${m.followers.join(', ')}` : 'untagged']),
    ]);
  }
  const immutable = p.repositories.flatMap((r) => r.keepTags.filter((t) => t.reasons.some((x) => x.startsWith('immutable'))).map((t) => `${r.repository}:${t.tag}`));
  if (immutable.length) say(`kept as immutable: ${immutable.join(', ')}`);
  if ('skipped' in p) for (const x of p.skipped) say(`not deleted: ${x.repository}${x.tag ? `:${x.tag}` : `@${short(x.digest)}`} (${x.outcome}): ${x.reason}`);
  for (const w of p.warnings) say(`warning: ${w}`);
  say(`${p.text} (bytes: an estimate of what nothing kept in ${p.project} references; GC reclaims them)`);
  if ('error' in p && p.error) say(`the run stopped: ${p.error}`);
}

async function readSource(file: string): Promise<string> {
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'Give the path of a YAML file of rules (docs/retention.md shows examples), or - for stdin.');
  }
}

export function registerRetentionCommands(program: Command): void {
  const retention = program.command('retention').description("a project's retention policy: which tags to keep, a dry run of what it deletes, and runs now or on a schedule (docs/retention.md)");

  withCommon(retention.command('set').argument('<project>'))
    .description('set the policy from a YAML file of rules (schedule:, untagged:, rules:); prints what a run would delete now')
    .requiredOption('-f, --file <file>', 'the YAML (or JSON) file ("-" for stdin)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, flags: CommonFlags & { file: string }) => {
      if (flags.file === '-' && flags.passwordStdin) throw new CliError('--file - and --password-stdin both want stdin', 'Give the rules as a file, or the password in BERTH_PASSWORD.');
      const source = await readSource(flags.file);
      await run(flags, async (m) => {
        const policy = await m.retentionSet(project, source);
        if (flags.json) return printJson(policy);
        printPolicy(policy);
        const plan = await m.retentionPreview(project);
        for (const w of plan.warnings) say(`warning: ${w}`);
        say(`a run now ${plan.text} (berth retention run ${project} --dry-run lists them)`);
      });
    });

  withCommon(retention.command('show').argument('<project>'))
    .description('show the policy as it was written, its schedule and its last runs')
    .option('--runs <n>', 'how many of the last runs to list', '10')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, flags: CommonFlags & { runs: string }) => {
      const n = Number(flags.runs);
      if (!Number.isInteger(n) || n < 1 || n > 100) throw new CliError('--runs is a whole number from 1 to 100');
      await run(flags, async (m) => {
        const shown = await m.retentionShow(project, n);
        if (flags.json) return printJson(shown);
        printPolicy(shown.policy);
        if (shown.policy.source.trim()) process.stdout.write(`\n${shown.policy.source.replace(/\n?$/, '\n')}\n`);
        else say(`no rules yet: set them with berth retention set ${project} --file RULES.yaml`);
        if (shown.policy.nextRuns.length) say(`next runs: ${shown.policy.nextRuns.map((t) => when(t)).join(', ')}`);
        if (!shown.runs.length) return say('no runs yet');
        printTable(['RUN', 'STARTED', 'TRIGGER', 'BY', 'DRY RUN', 'DELETED', 'BYTES', 'OUTCOME'], shown.runs.map((r) => [
          r.id, when(r.startedAt), r.trigger, r.requestedBy, r.dryRun ? 'yes' : 'no', r.tags, formatBytes(r.bytes), r.error ?? (r.finishedAt ? (r.skipped ? `${r.skipped} not deleted` : 'ok') : 'running'),
        ]));
      });
    });

  withCommon(retention.command('run').argument('<project>'))
    .description('run the policy now: deletes the tags no rule keeps (immutable tags stay and are reported); --dry-run lists them without deleting')
    .option('--dry-run', 'plan only: list what would be deleted, and why, without deleting anything')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, flags: CommonFlags & { dryRun?: boolean }) => run(flags, async (m) => {
      const progress = flags.json ? () => {} : (text: string) => process.stderr.write(`${text}\n`);
      const result = await m.retentionRun(project, { dryRun: flags.dryRun === true }, progress);
      if (flags.json) return printJson(result);
      printPlan(result);
      if (result.error) process.exitCode = 1;
    }));
}
