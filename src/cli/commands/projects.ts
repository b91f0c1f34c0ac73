// berth project create|list|update|remove, berth project member add|list|remove
import { Option, type Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { formatSize, parseSize, SizeError } from '../../features/quota/size.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { public?: boolean; role?: string; withRepositories?: boolean };
type UpdateFlags = CommonFlags & {
  public?: boolean; private?: boolean; description?: string; verified?: boolean; sponsored?: boolean; quota?: string;
  scanOnPush?: boolean; preventSeverity?: string; fixableOnly?: boolean; preventUnscanned?: boolean; gracePeriod?: string; allowCve?: string[]; exempt?: string[];
};

/** "6h", "2d", "90m", "0" -> seconds. */
function parseGrace(value: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) throw new CliError(`--grace-period ${value} is not a duration`, 'Write it like 30m, 6h or 2d (0 for none).');
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!] ?? 1);
}

/** "CVE-2024-1234" or "CVE-2024-1234:2027-01-31" (the entry stops counting after that day). */
function parseAllow(value: string): { id: string; expiresAt?: string } {
  const i = value.indexOf(':');
  if (i < 0) return { id: value };
  const expires = value.slice(i + 1);
  if (Number.isNaN(Date.parse(expires))) throw new CliError(`--allow-cve ${value}: ${expires} is not a date`, 'Write ID:YYYY-MM-DD, e.g. CVE-2024-1234:2027-01-31.');
  return { id: value.slice(0, i), expiresAt: new Date(Date.parse(expires)).toISOString() };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** --quota 10GiB | 500MB | 1.5TiB | bytes | none -> bytes, or null for none. */
function quotaOf(value: string): number | null {
  try {
    return parseSize(value);
  } catch (error) {
    if (error instanceof SizeError) throw new CliError(`--quota: ${error.message}`, 'e.g. --quota 10GiB, or --quota none to remove the quota');
    throw error;
  }
}
const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';

export function registerProjectCommands(program: Command): void {
  const project = program.command('project').description('manage projects and their members (offline with --data/--config, or with --url)');

  withCommon(project.command('create').argument('<name>', 'project name'))
    .description('create an organisation project (private unless --public)')
    .option('--public', 'anyone may pull from it')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      const p = await m.createProject(name, flags.public ? 'public' : 'private');
      if (flags.json) return printJson(p);
      say(`Created ${p.visibility} project ${p.name}.${flags.url ? ' You are its owner.' : ' Add an owner with: berth project member add ' + p.name + ' USER --role owner'}`);
    }));

  withCommon(project.command('list'))
    .description('list the projects you may see')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (flags: Flags) => run(flags, async (m) => {
      const projects = await m.listProjects();
      if (flags.json) return printJson(projects);
      const badges = (p: { verified: boolean; sponsored: boolean }) => [p.verified ? 'verified' : '', p.sponsored ? 'sponsored' : ''].filter(Boolean).join(',');
      printTable(['NAME', 'VISIBILITY', 'ROLE', 'BADGES', 'CREATED', 'DESCRIPTION'], projects.map((p) => [p.name, p.visibility, p.role, badges(p), when(p.createdAt), p.description]));
    }));

  withCommon(project.command('update').argument('<name>', 'project name'))
    .description("change a project's visibility or description, or (administrators) its trusted-content badges")
    .option('--public', 'anyone may pull from it')
    .option('--private', 'only members (and robots given access) may pull')
    .option('--description <text>', 'a one-line description')
    .option('--verified', 'show the Verified Publisher badge on its repositories (administrators)')
    .option('--no-verified', 'remove the Verified Publisher badge')
    .option('--sponsored', 'show the Sponsored OSS badge on its repositories (administrators)')
    .option('--no-sponsored', 'remove the Sponsored OSS badge')
    .option('--quota <size>', 'storage quota (administrators): 10GiB, 500MB, 1.5TiB, a number of bytes, or none')
    .option('--scan-on-push', 'scan each image when it is pushed (the default)')
    .option('--no-scan-on-push', 'do not scan images when they are pushed (scans on request and after feed imports still run)')
    .addOption(new Option('--prevent-severity <level>', 'refuse pulls of images with vulnerabilities at or above this severity; none refuses nothing').choices(['critical', 'high', 'medium', 'low', 'none']))
    .option('--fixable-only', 'only vulnerabilities that have a fix count for --prevent-severity')
    .option('--no-fixable-only', 'every vulnerability counts for --prevent-severity')
    .option('--prevent-unscanned', 'refuse pulls of images that have no scan report yet')
    .option('--no-prevent-unscanned', 'let images without a report be pulled')
    .option('--grace-period <duration>', 'refuse nothing this long after an image is pushed (30m, 6h, 2d; 0 for none)')
    .option('--allow-cve <id[:date]>', 'ignore this advisory in the policy (until the date, if given); repeat it; replaces the list', collect)
    .option('--exempt <account>', 'an account (user or robot) whose pulls the policy never refuses; repeat it; replaces the list', collect)
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: UpdateFlags) => run(flags, async (m) => {
      if (flags.public && flags.private) throw new CliError('--public and --private contradict each other', 'give one of them');
      const changes = {
        ...(flags.public ? { visibility: 'public' as const } : flags.private ? { visibility: 'private' as const } : {}),
        ...(flags.description !== undefined ? { description: flags.description } : {}),
        ...(flags.verified !== undefined ? { verified: flags.verified } : {}),
        ...(flags.sponsored !== undefined ? { sponsored: flags.sponsored } : {}),
        ...(flags.quota !== undefined ? { quotaBytes: quotaOf(flags.quota) } : {}),
      };
      const policy = {
        ...(flags.scanOnPush !== undefined ? { scanOnPush: flags.scanOnPush } : {}),
        ...(flags.preventSeverity !== undefined ? { preventSeverity: flags.preventSeverity as 'none' } : {}),
        ...(flags.fixableOnly !== undefined ? { fixableOnly: flags.fixableOnly } : {}),
        ...(flags.preventUnscanned !== undefined ? { preventUnscanned: flags.preventUnscanned } : {}),
        ...(flags.gracePeriod !== undefined ? { graceSeconds: parseGrace(flags.gracePeriod) } : {}),
        ...(flags.allowCve !== undefined ? { allowlist: flags.allowCve.map(parseAllow) } : {}),
        ...(flags.exempt !== undefined ? { exempt: flags.exempt } : {}),
      };
      if (Object.keys(changes).length === 0 && Object.keys(policy).length === 0) {
        throw new CliError('nothing to change', 'give --public, --private, --description, --[no-]verified, --[no-]sponsored, --quota, --[no-]scan-on-push or --prevent-severity');
      }
      const p = Object.keys(changes).length ? await m.updateProject(name, changes) : undefined;
      const scan = Object.keys(policy).length ? await m.updateScanPolicy(name, policy) : undefined;
      if (flags.json) return printJson({ ...(p ?? {}), ...(scan ? { scanPolicy: scan } : {}) });
      if (p) {
        const badges = [p.verified ? 'Verified Publisher' : '', p.sponsored ? 'Sponsored OSS' : ''].filter(Boolean);
        say(`Project ${p.name} is ${p.visibility}${badges.length ? `, badges: ${badges.join(', ')}` : ', no badges'}.`);
        if (flags.quota !== undefined && p.quota) {
          const q = p.quota;
          say(q.limitBytes === null
            ? `Project ${p.name} has no storage quota (${formatSize(q.usedBytes)} used).`
            : `Project ${p.name} has a storage quota of ${formatSize(q.limitBytes)}: ${formatSize(q.usedBytes)} used (${q.percent}%).`);
        }
      }
      if (scan) {
        const refuses = scan.preventSeverity === 'none' ? 'no pull is refused for vulnerabilities' : `pulls of images with ${scan.fixableOnly ? 'fixable ' : ''}${scan.preventSeverity} or worse vulnerabilities are refused`;
        say(`Project ${name}: scan on push is ${scan.scanOnPush ? 'on' : 'off'}; ${refuses}${scan.preventUnscanned ? ', and of images not yet scanned' : ''}${scan.graceSeconds ? ` (not within ${scan.graceSeconds} s of a push)` : ''}.`);
      }
    }));

  withCommon(project.command('remove').argument('<name>', 'project name'))
    .description('remove an organisation project (refused while it holds repositories, unless --with-repositories)')
    .option('--with-repositories', 'also delete its repositories (tags, manifests and blob links) in the same step')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      const removed = await m.removeProject(name, flags.withRepositories ?? false);
      if (flags.json) return printJson({ ...removed, removed: true });
      const n = removed.repositories.length;
      say(`Removed project ${name}${n ? ` with ${n} ${n === 1 ? 'repository' : 'repositories'}` : ''}.`);
    }));

  const member = project.command('member').description("manage a project's members");
  withCommon(member.command('add').argument('<project>').argument('<user>'))
    .description("add a member, or change a member's role")
    .addOption(new Option('--role <role>', 'owner, maintainer, developer or guest').choices(['owner', 'maintainer', 'developer', 'guest']).default('developer'))
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (projectName: string, user: string, flags: Flags) => run(flags, async (m) => {
      await m.setMember(projectName, user, flags.role ?? 'developer');
      if (flags.json) return printJson({ project: projectName, user, role: flags.role });
      say(`${user} is now ${flags.role === 'owner' ? 'an' : 'a'} ${flags.role} of ${projectName}.`);
    }));
  withCommon(member.command('list').argument('<project>'))
    .description('list members with their roles')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (projectName: string, flags: Flags) => run(flags, async (m) => {
      const members = await m.listMembers(projectName);
      if (flags.json) return printJson(members);
      printTable(['USER', 'ROLE', 'SINCE'], members.map((x) => [x.user, x.role, when(x.since)]));
    }));
  withCommon(member.command('remove').argument('<project>').argument('<user>'))
    .description('remove a member')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (projectName: string, user: string, flags: Flags) => run(flags, async (m) => {
      await m.removeMember(projectName, user);
      if (flags.json) return printJson({ project: projectName, user, removed: true });
      say(`Removed ${user} from ${projectName}.`);
    }));
}
