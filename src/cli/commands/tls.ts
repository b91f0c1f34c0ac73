// berth tls selfsigned --host NAME --out DIR: a private CA and a server certificate (issue 16).
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { makeSelfSigned, trustInstructions } from '../tls-selfsigned.ts';
import { printJson, say } from './common.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerTlsCommands(program: Command): void {
  const tls = program.command('tls').description('TLS certificates for berth serve');
  tls
    .command('selfsigned')
    .description('make a private CA and a server certificate signed by it (ca.crt, server.crt, server.key in --out), and print how to trust it')
    .requiredOption('--host <name>', 'a name or IP address clients use (repeat for more); the first is the certificate\'s common name', collect, [])
    .option('--out <dir>', 'the folder to write to', './tls')
    .option('--days <n>', 'validity of the server certificate in days', '825')
    .option('--port <n>', 'the registry port, for the trust instructions', '5000')
    .option('--force', 'replace an existing server certificate (an existing CA in --out is kept)')
    .option('--json', 'print the written paths as JSON')
    .action((flags: { host: string[]; out: string; days: string; port: string; force?: boolean; json?: boolean }) => {
      const days = Number(flags.days);
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new CliError(`--days ${flags.days} is not a whole number of days from 1 to 3650`, 'Clients reject long-lived server certificates; 825 days (the default) or less is safe.');
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError(`--port ${flags.port} is not a port number`);
      const result = makeSelfSigned({ hosts: flags.host, out: flags.out, days, force: Boolean(flags.force) });
      if (flags.json) printJson(result);
      else say(trustInstructions(result, flags.host, port));
    });
}
