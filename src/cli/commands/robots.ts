// berth robot create|list|remove
import type { Command } from 'commander';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { permissions: string; expiresIn?: string; description?: string };
const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';

export function registerRobotCommands(program: Command): void {
  const robot = program.command('robot').description('manage robot accounts for CI (offline with --data/--config, or with --url)');

  withCommon(robot.command('create').argument('<project>', 'the project the robot works on').argument('<name>', 'the robot name (becomes robot$<project>+<name>)'))
    .description('create a robot account; its secret is printed once')
    .requiredOption('--permissions <actions>', 'comma-separated subset of pull,push,delete')
    .option('--expires-in <duration>', 'e.g. 30d, 12h (default: never)')
    .option('--description <text>', 'what the robot is for')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, name: string, flags: Flags) => run(flags, async (m) => {
      const { robot: r, secret } = await m.createRobot({
        project, name, permissions: flags.permissions,
        ...(flags.expiresIn !== undefined ? { expiresIn: flags.expiresIn } : {}),
        ...(flags.description !== undefined ? { description: flags.description } : {}),
      });
      if (flags.json) return printJson({ robot: r, secret });
      const perms = r.permissions.map((p) => `${p.actions.join(',')} on ${p.project}`).join('; ');
      say(`Created robot ${r.name} (${perms}), ${r.expiresAt ? `expires ${when(r.expiresAt)}` : 'never expires'}.`);
      say(`  name:   ${r.name}`);
      say(`  secret: ${secret}`);
      process.stderr.write(`Store the secret now: it is not shown again. Log in with: docker login -u '${r.name}' --password-stdin <registry>\n`);
    }));

  withCommon(robot.command('list').argument('[project]', "a project's robots (default: every robot; administrators only)"))
    .description('list robot accounts (never their secrets)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string | undefined, flags: Flags) => run(flags, async (m) => {
      const robots = await m.listRobots(project);
      if (flags.json) return printJson(robots);
      printTable(['NAME', 'PERMISSIONS', 'EXPIRES', 'STATE', 'CREATED BY'], robots.map((r) => [
        r.name, r.permissions.map((p) => `${p.project}:${p.actions.join(',')}`).join(' '), r.expiresAt ? when(r.expiresAt) : 'never',
        r.disabled ? 'disabled' : r.expired ? 'expired' : 'active', r.createdBy,
      ]));
    }));

  withCommon(robot.command('rotate').argument('<name>', "the full name, e.g. 'robot$proj+ci'"))
    .description('give a robot a new secret (printed once); the old one stops working at once')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      const { robot: r, secret } = await m.rotateRobot(name);
      if (flags.json) return printJson({ robot: r, secret });
      say(`Rotated the secret of ${r.name}; the old secret no longer works.`);
      say(`  name:   ${r.name}`);
      say(`  secret: ${secret}`);
      process.stderr.write('Store the secret now: it is not shown again.\n');
    }));

  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    withCommon(robot.command(verb).argument('<name>', "the full name, e.g. 'robot$proj+ci'"))
      .description(disabled ? 'stop a robot from signing in (keeps it and its secret)' : 'let a disabled robot sign in again')
      .option('--password-stdin', LOGIN_STDIN)
      .action(async (name: string, flags: Flags) => run(flags, async (m) => {
        const r = await m.setRobotDisabled(name, disabled);
        if (flags.json) return printJson(r);
        say(`${disabled ? 'Disabled' : 'Enabled'} robot ${r.name}.`);
      }));
  }

  withCommon(robot.command('remove').argument('<name>', "the full name, e.g. 'robot$proj+ci'"))
    .description('remove a robot account')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: Flags) => run(flags, async (m) => {
      await m.removeRobot(name);
      if (flags.json) return printJson({ robot: name, removed: true });
      say(`Removed robot ${name}.`);
    }));
}
