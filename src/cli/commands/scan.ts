// berth scan REF, berth scan report REF, berth find package|advisory, berth vulndb import|status|restore
// (docs/scan.md). Offline (--data/--config) they work on the data directory; with --url on a
// running server, signed in with --user.
import { Option, type Command } from 'commander';
import { canonicalRepositoryName, parseReference, ReferenceError } from '../../core/reference.ts';
import { SEVERITIES } from '../../features/scan/advisories/types.ts';
import { CliError } from '../cli-error.ts';
import type { ReportView } from '../management/types.ts';
import { printJson, printTable, run, say, when, withCommon, type CommonFlags } from './common.ts';

const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';
type ScanFlags = CommonFlags & { reindex?: boolean; timeout: string };
type ReportFlags = CommonFlags & { severity?: string; fixable?: boolean; package?: string };
type ImportFlags = CommonFlags & { registryUser?: string; plainHttp?: boolean };

/** REF as docker names it ([HOST/]NAME[:TAG|@DIGEST]): the registry host is dropped, the name made canonical. */
export function imageRef(ref: string): { repository: string; reference: string } {
  let parsed;
  try {
    parsed = parseReference(ref);
  } catch (error) {
    if (error instanceof ReferenceError) throw new CliError(error.message, 'Give an image reference such as alice/app:1.0 or localhost:5000/alice/app@sha256:...');
    throw error;
  }
  return { repository: canonicalRepositoryName(parsed.path), reference: parsed.digest ?? parsed.tag ?? 'latest' };
}

/** Progress to stderr, so --json output stays clean. */
const progress = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

function printReport(r: ReportView): void {
  const counts = SEVERITIES.map((s) => `${r.summary[s]} ${s}`).join(', ');
  say(`${r.repository}@${r.digest} (${r.reference})`);
  if (r.status === 'not-scanned') {
    say('Not scanned yet. Scan it with: berth scan ' + `${r.repository}:${r.reference}`);
    return;
  }
  if (r.status === 'failed') say(`The scan failed: ${r.error ?? 'no reason given'}`);
  const os = r.inventory?.os ? `${r.inventory.os.prettyName ?? `${r.inventory.os.id} ${r.inventory.os.versionId}`}, ` : '';
  say(`Scanned ${when(r.scannedAt)}: ${os}${r.packages.length} packages${r.inventory?.source === 'sbom' ? ' (from the SBOM pushed with it)' : ''}; ${r.vulnerabilities.length} vulnerabilities: ${counts}`);
  if (r.feed) say(`Feed ${r.feed.digest.slice(0, 19)} of ${when(r.feed.dataTime)} (${Math.round(r.feed.ageSeconds / 86400)} days old when scanned)`);
  else say('No vulnerability feed was imported when it was scanned: import one with berth vulndb import, and the report is made again.');
  if (r.platforms?.length) printTable(['PLATFORM', 'STATUS', ...SEVERITIES.map((s) => s.toUpperCase())], r.platforms.map((p) => [p.platform, p.status, ...SEVERITIES.map((s) => p.summary[s])]));
  if (r.vulnerabilities.length) {
    say('');
    printTable(['ID', 'SEVERITY', 'PACKAGE', 'INSTALLED', 'FIXED IN', ...(r.platforms ? ['PLATFORM'] : [])],
      r.vulnerabilities.map((v) => [v.id, v.severity, v.package, v.installedVersion, v.fixedVersion ?? '(no fix)', ...(r.platforms ? [v.platform] : [])]));
  }
}

export function registerScanCommands(program: Command): void {
  const scan = withCommon(program.command('scan').argument('[ref]', 'the image: [HOST/]NAME[:TAG|@DIGEST]'))
    .description('scan an image for vulnerabilities and wait for its report (docs/scan.md); see also "berth scan report"')
    .option('--reindex', 'read the layers again even though their index is stored')
    .option('--timeout <seconds>', 'with --url: how long to wait for the scan', '600')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (ref: string | undefined, flags: ScanFlags) => {
      if (!ref) throw new CliError('which image?', 'Give one: berth scan alice/app:1.0 (add --url and --user for a running server)');
      const { repository, reference } = imageRef(ref);
      const timeout = Number(flags.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new CliError('--timeout is a number of seconds');
      await run(flags, async (m) => {
        const report = await m.scan(repository, reference, { ...(flags.reindex ? { reindex: true } : {}), timeoutMs: timeout * 1000 }, progress);
        if (flags.json) return printJson(report);
        printReport(report);
      });
    });

  withCommon(scan.command('report').argument('<ref>', 'the image: [HOST/]NAME[:TAG|@DIGEST]'))
    .description("show an image's scan report: its packages and vulnerabilities (per platform for a multi-arch image)")
    .addOption(new Option('--severity <level>', 'only findings at or above it').choices([...SEVERITIES]))
    .option('--fixable', 'only findings that have a fix')
    .option('--package <name>', 'only this package (or its source package)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (ref: string, flags: ReportFlags) => {
      const { repository, reference } = imageRef(ref);
      await run(flags, async (m) => {
        const report = await m.scanReport(repository, reference, {
          ...(flags.severity ? { severity: flags.severity as never } : {}), ...(flags.fixable ? { fixable: true } : {}), ...(flags.package ? { package: flags.package } : {}),
        });
        if (flags.json) return printJson(report);
        printReport(report);
      });
    });

  const find = program.command('find').description('registry-wide questions from the stored inventories: which images hold a package, which an advisory affects');
  withCommon(find.command('package').argument('<name>', 'package name, or its source package (openssl, lodash, jinja2)'))
    .description('which images contain a package, optionally in a version range')
    .addOption(new Option('--type <type>', 'the ecosystem').choices(['deb', 'apk', 'rpm', 'npm', 'pypi', 'golang', 'maven']))
    .option('--versions <range>', 'conditions in the package\'s own version order, e.g. "<3.0.13" or ">=1.2,<2"')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (name: string, flags: CommonFlags & { type?: string; versions?: string }) => run(flags, async (m) => {
      const answer = await m.findPackage(name, { ...(flags.type ? { type: flags.type } : {}), ...(flags.versions ? { versions: flags.versions } : {}) });
      if (flags.json) return printJson(answer);
      printTable(['REPOSITORY', 'TAGS', 'DIGEST', 'PACKAGE', 'VERSION', 'TYPE'], answer.images.map((i) => [i.repository, i.tags.join(','), i.digest.slice(0, 19), i.package.name, i.package.version, i.package.type]));
      process.stderr.write(`${answer.total} images (${answer.tookMs} ms)${answer.truncated ? '; the first 1000 shown' : ''}\n`);
    }));
  withCommon(find.command('advisory').argument('<id>', 'CVE-..., GHSA-..., DSA-... (or an alias)'))
    .description('which images an advisory affects now, with the packages and the fixed versions')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (id: string, flags: CommonFlags) => run(flags, async (m) => {
      const answer = await m.findAdvisory(id);
      if (flags.json) return printJson(answer);
      const first = answer.advisory[0];
      if (first) say(`${answer.id}: ${first.severity}${first.summary ? `: ${first.summary}` : ''}`);
      else say(`${answer.id}: not in the active feed`);
      printTable(['REPOSITORY', 'TAGS', 'DIGEST', 'PACKAGE', 'INSTALLED', 'FIXED IN'], answer.images.flatMap((i) => i.findings.map((f) => [i.repository, i.tags.join(','), i.digest.slice(0, 19), f.package, f.installedVersion, f.fixedVersion ?? '(no fix)'])));
      process.stderr.write(`${answer.total} images (${answer.tookMs} ms)\n`);
    }));

  const vulndb = program.command('vulndb').description('the offline vulnerability feed: import OSV or Debian tracker data, see its status, restore the previous one');
  withCommon(vulndb.command('import').argument('<source>', 'a folder of OSV JSON files, a zip (osv.dev all.zip), a JSON or NDJSON file, the Debian tracker JSON, or oci://HOST/REPO:TAG'))
    .description('import vulnerability data; it replaces the data of the same source and the feed switches to it at once, then every stored image is re-matched')
    .option('--registry-user <name>', 'for oci://: the account on the registry holding the feed (its password in BERTH_REGISTRY_PASSWORD)')
    .option('--plain-http', 'for oci://: use http:// for a host that is not loopback')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (source: string, flags: ImportFlags) => run(flags, async (m) => {
      const password = process.env.BERTH_REGISTRY_PASSWORD;
      if (flags.registryUser && password === undefined) throw new CliError(`--registry-user ${flags.registryUser} needs a password`, 'Set BERTH_REGISTRY_PASSWORD.');
      const result = await m.vulndbImport(source, {
        ...(flags.registryUser ? { registryUser: flags.registryUser } : {}), ...(password !== undefined && flags.registryUser ? { registryPassword: password } : {}), ...(flags.plainHttp ? { plainHttp: true } : {}),
      }, progress);
      if (flags.json) return printJson(result);
      say(`Imported ${result.records.toLocaleString('en')} records (${result.affected.toLocaleString('en')} affected packages) as ${result.source}; feed ${result.feedId} (${result.feedDigest.slice(0, 19)}) is active.`);
      if (result.invalid || result.skipped) say(`${result.invalid} records could not be read; ${result.skipped} entries are of ecosystems Berth does not scan.`);
      if (result.rematch) say(`Re-matched ${result.rematch.images.toLocaleString('en')} images in ${(result.rematch.tookMs / 1000).toFixed(1)} s: ${result.rematch.changed} have new advisories.`);
      else if (result.rematchJob !== null) say(`Every stored image is being re-matched in the background (job ${result.rematchJob}).`);
    }));
  withCommon(vulndb.command('status'))
    .description('the active feed: its digest, its imports and its age')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (flags: CommonFlags) => run(flags, async (m) => {
      const status = await m.vulndbStatus();
      if (flags.json) return printJson(status);
      if (!status.active) {
        say('No vulnerability feed yet: import one with berth vulndb import PATH|oci://HOST/REPO:TAG');
        return;
      }
      const a = status.active;
      const days = (a.ageSeconds / 86400).toFixed(1);
      say(`Feed ${a.id}: ${a.digest}`);
      say(`Data of ${when(a.dataTime)}: ${days} days old${status.stale ? ` (STALE: older than scan.maxFeedAgeHours ${status.maxFeedAgeHours})` : ''}; active since ${when(a.createdAt)}${a.previousId !== null ? `; berth vulndb restore goes back to feed ${a.previousId}` : ''}`);
      printTable(['SOURCE', 'FORMAT', 'RECORDS', 'AFFECTED', 'DATA TIME', 'IMPORTED', 'FROM'], a.imports.map((i) => [i.source, i.format, i.records, i.affected, when(i.dataTime), when(i.importedAt), i.origin]));
    }));
  withCommon(vulndb.command('restore'))
    .description('switch back to the feed the active one replaced, and re-match every stored image')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (flags: CommonFlags) => run(flags, async (m) => {
      const status = await m.vulndbRestore(progress);
      if (flags.json) return printJson(status);
      say(`Feed ${status.active?.id} (${status.active?.digest.slice(0, 19)}) is active again.${status.rematchJob ? ` Every stored image is being re-matched (job ${status.rematchJob}).` : ''}`);
    }));
}
