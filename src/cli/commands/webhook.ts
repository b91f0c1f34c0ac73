// berth webhook add|list|deliveries|redeliver|pause|resume|remove
import type { Command } from 'commander';
import { CliError } from '../cli-error.ts';
import { printJson, printTable, readStdinLine, run, say, when, withCommon, type CommonFlags } from './common.ts';

type Flags = CommonFlags & { events: string; format?: string; filter?: string; secretStdin?: boolean; allowPrivateTargets?: boolean; limit: string };
const LOGIN_STDIN = 'with --url: read the login password or access token from stdin';

function positiveId(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new CliError(`${what} must be a whole number, got ${value}`);
  return n;
}

export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description('manage webhooks that tell pipelines about pushes, pulls, deletes and tag changes (docs/webhooks.md)');

  withCommon(webhook.command('add').argument('<project>', 'the project whose events are sent').argument('<url>', 'the receiver, http:// or https://'))
    .description('add a webhook; without --secret-stdin a signing secret is generated and printed once')
    .option('--events <list>', 'comma-separated: push, pull, delete, tag, scan.completed, vulnerability.new, quota.warning', 'push')
    .option('--format <format>', 'berth, cloudevents, distribution or slack', 'berth')
    .option('--filter <glob>', 'only repositories matching this glob (repo:tag globs match tags too)')
    .option('--secret-stdin', 'read the signing secret (16+ characters) from stdin')
    .option('--allow-private-targets', 'administrators only: let this webhook reach loopback and private addresses (refused by default)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string, url: string, flags: Flags) => {
      if (flags.secretStdin && flags.passwordStdin) {
        throw new CliError('--secret-stdin and --password-stdin cannot both read stdin', 'Give the login password in BERTH_PASSWORD instead.');
      }
      const secret = flags.secretStdin ? await readStdinLine('webhook secret') : undefined;
      if (secret !== undefined && secret.length < 16) throw new CliError('the webhook secret must be at least 16 characters');
      await run(flags, async (m) => {
        const created = await m.addWebhook(project, {
          url, events: flags.events.split(','),
          ...(flags.format !== undefined ? { format: flags.format } : {}),
          ...(flags.filter !== undefined ? { filter: flags.filter } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...(flags.allowPrivateTargets ? { allowPrivateTargets: true } : {}),
        });
        if (flags.json) return printJson(created);
        const w = created.webhook;
        say(`Added webhook ${w.id} for ${project}: ${w.events.join(',')} as ${w.format} to ${w.url}${w.filter ? ` (filter ${w.filter})` : ''}${w.allowPrivateTargets ? ', private targets allowed' : ''}.`);
        if (created.secret) {
          say(`  secret: ${created.secret}`);
          process.stderr.write('Store the secret now: it is not shown again. Receivers verify the Berth-Signature header with it (docs/webhooks.md).\n');
        }
      });
    });

  withCommon(webhook.command('list').argument('[project]', "a project's webhooks (default: every webhook; administrators only)"))
    .description('list webhooks, with paused and failing ones flagged (never their secrets)')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (project: string | undefined, flags: Flags) => run(flags, async (m) => {
      const hooks = await m.listWebhooks(project);
      if (flags.json) return printJson(hooks);
      if (!hooks.length) return say(project ? `No webhooks in ${project}.` : 'No webhooks.');
      printTable(['ID', 'PROJECT', 'URL', 'EVENTS', 'FORMAT', 'FILTER', 'STATE'], hooks.map((w) => [
        w.id, w.project ?? `(config: ${w.name})`, w.url, w.events.join(','), w.format, w.filter,
        (!w.enabled ? 'disabled' : w.paused ? `PAUSED: ${w.pausedReason ?? ''}` : w.failing ? `failing (${w.consecutiveFailures})` : 'ok')
          + (w.allowPrivateTargets ? ' (private targets allowed)' : ''),
      ]));
    }));

  withCommon(webhook.command('deliveries').argument('<id>', 'the webhook id (see berth webhook list)'))
    .description("a webhook's deliveries, newest first: status, attempts, latency, size of the last answer (never its body)")
    .option('--limit <n>', 'at most this many deliveries', '50')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (id: string, flags: Flags) => run(flags, async (m) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError('--limit must be a whole number from 1 to 1000');
      const deliveries = await m.webhookDeliveries(positiveId(id, 'the webhook id'), limit);
      if (flags.json) return printJson(deliveries);
      if (!deliveries.length) return say('No deliveries yet.');
      printTable(['ID', 'CREATED', 'EVENT', 'REPOSITORY', 'STATUS', 'ATTEMPTS', 'CODE', 'LATENCY', 'ERROR / ANSWER SIZE'], deliveries.map((d) => {
        const last = d.log.at(-1);
        const size = last?.responseBytes == null ? '' : `${last.responseTruncated ? 'more than ' : ''}${last.responseBytes} B`;
        return [
          d.id, when(d.createdAt), d.eventType, d.repository, d.status, d.attempts, d.lastStatusCode,
          d.lastLatencyMs === null ? null : `${d.lastLatencyMs}ms`, (d.lastError ?? size).replace(/\s+/g, ' ').slice(0, 60),
        ];
      }));
    }));

  withCommon(webhook.command('redeliver').argument('<delivery-id>', 'the delivery id (see berth webhook deliveries)'))
    .description('send a delivery again, with the same event id; resumes a paused webhook')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (id: string, flags: Flags) => run(flags, async (m) => {
      const d = await m.redeliver(positiveId(id, 'the delivery id'));
      if (flags.json) return printJson(d);
      say(`Queued delivery ${d.id} (event ${d.eventId}) again; a running server sends it within moments.`);
    }));

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    withCommon(webhook.command(verb).argument('<id>', 'the webhook id (see berth webhook list)'))
      .description(paused ? 'stop delivering to a webhook; its events queue up' : 'deliver to a paused webhook again, starting with its oldest queued event')
      .option('--password-stdin', LOGIN_STDIN)
      .action(async (id: string, flags: Flags) => run(flags, async (m) => {
        const w = await m.setWebhookPaused(positiveId(id, 'the webhook id'), paused);
        if (flags.json) return printJson(w);
        say(`${paused ? 'Paused' : 'Resumed'} webhook ${w.id} (${w.url}).`);
      }));
  }

  withCommon(webhook.command('remove').argument('<id>', 'the webhook id (see berth webhook list)'))
    .description('remove a webhook, its queued events and its delivery log')
    .option('--password-stdin', LOGIN_STDIN)
    .action(async (id: string, flags: Flags) => run(flags, async (m) => {
      await m.removeWebhook(positiveId(id, 'the webhook id'));
      if (flags.json) return printJson({ webhook: Number(id), removed: true });
      say(`Removed webhook ${id}.`);
    }));
}
