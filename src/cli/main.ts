// The `berth` command line. Thin: parse arguments, call the code that does the work.
import './threadpool.ts';
import { Command, Option } from 'commander';
import { ConfigError } from '../core/config.ts';
import { CliError } from './cli-error.ts';
import { registerAuditCommand } from './commands/audit.ts';
import { registerProjectCommands } from './commands/projects.ts';
import { registerProxyCommands } from './commands/proxy.ts';
import { registerReplicateCommands } from './commands/replicate.ts';
import { registerRobotCommands } from './commands/robots.ts';
import { registerScanCommands } from './commands/scan.ts';
import { registerTrustCommands } from './commands/trust.ts';
import { registerImmutableCommands } from './commands/immutable.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerGcCommands } from './commands/gc.ts';
import { registerGroupMapCommands } from './commands/group-map.ts';
import { registerRetentionCommands } from './commands/retention.ts';
import { registerTagCommands } from './commands/tag.ts';
import { registerTlsCommands } from './commands/tls.ts';
import { registerTokenCommands } from './commands/tokens.ts';
import { registerUserCommands } from './commands/users.ts';
import { registerWebhookCommands } from './commands/webhook.ts';
import { checkConfig, printSchema } from './config-commands.ts';

const program = new Command();
program.name('berth').description('A self-hosted OCI container image registry.').version('0.1.0');
// A subcommand's options stay its own: "berth scan report REF --json" is report's --json, not scan's.
program.enablePositionalOptions();

program
  .command('serve')
  .description('run the registry (defaults: :5000, data in ./data, built-in accounts)')
  .option('-c, --config <file>', 'YAML configuration file')
  .option('-l, --listen <host:port>', 'address to listen on, e.g. 127.0.0.1:5000')
  .option('-d, --data <dir>', 'data directory (filesystem storage and SQLite)')
  .addOption(new Option('--auth <mode>', 'authentication mode (default builtin)').choices(['builtin', 'none', 'htpasswd']))
  .option('--htpasswd <file>', 'bcrypt htpasswd file for --auth htpasswd')
  .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
  .option('--tls-key <file>', 'the PEM private key of --tls-cert')
  // Loaded only here: the server (fastify, every feature) is most of the program.
  .action(async (flags) => (await import('./serve.ts')).serve(flags));

const config = program.command('config').description('inspect and validate configuration');
config
  .command('check')
  .argument('<file>', 'configuration file to validate')
  .description('validate a configuration file; unknown keys and bad values are named')
  .action((file: string) => {
    process.exitCode = checkConfig(file);
  });
config
  .command('schema')
  .description('print the JSON Schema of the configuration file')
  .action(() => printSchema());

registerUserCommands(program);
registerProjectCommands(program);
registerGroupMapCommands(program);
registerRobotCommands(program);
registerTokenCommands(program);
registerAuditCommand(program);
registerWebhookCommands(program);
registerScanCommands(program);
registerTrustCommands(program);
registerImmutableCommands(program);
registerGcCommands(program);
registerRetentionCommands(program);
registerTagCommands(program);
registerProxyCommands(program);
registerReplicateCommands(program);
registerTlsCommands(program);
registerMigrateCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`berth: invalid configuration\n${error.message.split('\n').map((l) => `  ${l}`).join('\n')}\nRun "berth config schema" to see every key.\n`);
  } else if (error instanceof CliError) {
    process.stderr.write(`berth: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
  } else {
    process.stderr.write(`berth: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
