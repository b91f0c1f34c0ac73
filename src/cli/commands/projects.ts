// berth project create|list|update|remove, berth project member add|list|remove
import { Option, type Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { public?: boolean; role?: string; withRepositories?: boolean };
type UpdateFlags = CommonFlags & { public?: boolean; private?: boolean; description?: string; verified?: boolean; sponsored?: boolean };
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
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: UpdateFlags) => run(flags, async (m) => {
      if (flags.public && flags.private) throw new CliError('--public and --private contradict each other', 'give one of them');
      const changes = {
        ...(flags.public ? { visibility: 'public' as const } : flags.private ? { visibility: 'private' as const } : {}),
        ...(flags.description !== undefined ? { description: flags.description } : {}),
        ...(flags.verified !== undefined ? { verified: flags.verified } : {}),
        ...(flags.sponsored !== undefined ? { sponsored: flags.sponsored } : {}),
      };
      if (Object.keys(changes).length === 0) {
        throw new CliError('nothing to change', 'give --public, --private, --description, --[no-]verified or --[no-]sponsored');
      }
      const p = await m.updateProject(name, changes);
      if (flags.json) return printJson(p);
      const badges = [p.verified ? 'Verified Publisher' : '', p.sponsored ? 'Sponsored OSS' : ''].filter(Boolean);
      say(`Project ${p.name} is ${p.visibility}${badges.length ? `, badges: ${badges.join(', ')}` : ', no badges'}.`);
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
