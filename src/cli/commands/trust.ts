// berth trust key add|list|remove, berth trust policy, berth trust verify (docs/trust.md).
// Offline (--data/--config) they work on the data directory; with --url on a running server,
// signed in with --user.
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { CliError } from '../cli-error.ts';
import type { VerdictView } from '../management/types.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';
import { imageRef } from './scan.ts';

const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';
const KINDS = ['key', 'pgp', 'x509', 'keyless'] as const;

function printVerdict(v: VerdictView): void {
  const who = v.signed ? `signed by ${v.signers.join(', ')}${v.signedVia ? ` (through the index ${v.signedVia.slice(0, 19)})` : ''}` : 'NOT signed by a trusted signer';
  say(`${v.repository}@${v.digest} (${v.reference}): ${who}; trust mode ${v.mode}`);
  if (v.signatures.length) {
    printTable(['FORMAT', 'WHERE', 'VERIFIED', 'SIGNER', 'PROBLEM'], v.signatures.map((s) => [s.format, `${s.source.kind} ${s.source.ref.slice(0, 40)}`, s.ok ? 'yes' : 'no', s.signer, s.problem ? `${s.problem.code}: ${s.problem.message}` : '']));
  }
  for (const p of v.signed ? [] : v.problems) say(`problem: ${p}`);
}

export function registerTrustCommands(program: Command): void {
  const trust = program.command('trust').description('signatures and trust policies: trusted keys, the mode (off, audit, enforce), and whether an image is signed (docs/trust.md)');
  const key = trust.command('key').description("a project's trusted signers");

  withCommon(key.command('add').argument('<project>').argument('<name>', 'your name for the signer; verdicts say "signed by NAME"'))
    .description('trust a signer: a PEM public key (cosign.pub), an armored OpenPGP public key (gpg --armor --export FPR), Notation trust store certificates, or a keyless identity JSON')
    .requiredOption('--key <file>', 'the file holding the key ("-" for stdin)')
    .addOption(new Option('--kind <kind>', 'what the key is (found from the file when left out)').choices([...KINDS]))
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, name: string, flags: CommonFlags & { key: string; kind?: typeof KINDS[number] }) => {
      if (flags.key === '-' && flags.passwordStdin) throw new CliError('--key - and --password-stdin both want stdin', 'Give the key as a file, or the password in BERTH_PASSWORD.');
      let material: string;
      try {
        material = flags.key === '-' ? await readAll() : await readFile(flags.key, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${flags.key}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'Give the path of a public key file, e.g. --key cosign.pub, or --key pubkey.asc from gpg --armor --export FPR > pubkey.asc');
      }
      await run(flags, async (m) => {
        const signer = await m.trustKeyAdd(project, name, material, flags.kind);
        if (flags.json) return printJson(signer);
        say(`project ${project} trusts ${signer.name} (${signer.kind}, ${signer.fingerprint})`);
      });
    });

  withCommon(key.command('list').argument('<project>'))
    .description("a project's trusted signers")
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, flags: CommonFlags) => run(flags, async (m) => {
      const signers = await m.trustKeyList(project);
      if (flags.json) return printJson(signers);
      if (!signers.length) say(`project ${project} trusts no signer yet: add one with berth trust key add ${project} NAME --key FILE`);
      else printTable(['NAME', 'KIND', 'FINGERPRINT', 'ADDED', 'BY'], signers.map((s) => [s.name, s.kind, s.fingerprint, when(s.createdAt), s.createdBy]));
    }));

  withCommon(key.command('remove').argument('<project>').argument('<name>'))
    .description('stop trusting a signer; images only it signed count as unsigned from now on')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, name: string, flags: CommonFlags) => run(flags, async (m) => {
      await m.trustKeyRemove(project, name);
      if (flags.json) return printJson({ removed: name });
      say(`project ${project} no longer trusts ${name}`);
    }));

  withCommon(trust.command('policy').argument('<project>'))
    .description("show or change a project's trust policy: off, audit (unsigned pulls are recorded) or enforce (they are refused)")
    .addOption(new Option('--mode <mode>', 'the new mode').choices(['off', 'audit', 'enforce']))
    .option('--exempt <accounts>', 'comma-separated accounts never refused (replication and scanning robots); "" for none')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, flags: CommonFlags & { mode?: 'off' | 'audit' | 'enforce'; exempt?: string }) => run(flags, async (m) => {
      const changes = {
        ...(flags.mode ? { mode: flags.mode } : {}),
        ...(flags.exempt !== undefined ? { exempt: flags.exempt.split(',').map((a) => a.trim()).filter(Boolean) } : {}),
      };
      const policy = Object.keys(changes).length ? await m.updateTrustPolicy(project, changes) : await m.trustPolicy(project);
      if (flags.json) return printJson(policy);
      say(`project ${project}: trust mode ${policy.mode}${policy.exempt.length ? `; exempt: ${policy.exempt.join(', ')}` : ''}; ${policy.signers.length} trusted signer${policy.signers.length === 1 ? '' : 's'}${policy.signers.length ? `: ${policy.signers.map((s) => s.name).join(', ')}` : ''}`);
    }));

  withCommon(trust.command('verify').argument('<ref>', 'the image: [HOST/]NAME[:TAG|@DIGEST]'))
    .description("whether an image is signed by a signer its project trusts, with every signature found and why those that fail do; without --json it exits 1 when it is not (--json always exits 0: read .signed)")
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (ref: string, flags: CommonFlags) => {
      const { repository, reference } = imageRef(ref);
      let signed = false;
      await run(flags, async (m) => {
        const verdict = await m.trustVerify(repository, reference);
        signed = verdict.signed;
        if (flags.json) return printJson(verdict);
        printVerdict(verdict);
      });
      if (!signed && !flags.json) process.exitCode = 1;
    });
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
