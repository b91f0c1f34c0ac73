// Slack-compatible incoming-webhook text (also what Mattermost and Rocket.Chat accept).
import { formatBytes } from '../../../core/sizes.ts';
import type { StoredEvent } from '../event.ts';
import { pullCommand, type RenderContext, type Rendered } from './types.ts';

const VERBS = { push: 'pushed', pull: 'pulled', delete: 'deleted', tag: 'moved tag', 'scan.completed': 'scanned', 'vulnerability.new': 'found new advisories for', 'quota.warning': 'filled' } as const;

export function slackFormat(e: StoredEvent, ctx: RenderContext): Rendered {
  if (e.quota) return { contentType: 'application/json', body: JSON.stringify({ text: `Project \`${e.project}\` on ${ctx.registryHost} uses ${e.quota.percent}% of its storage quota (${formatBytes(e.quota.usedBytes)} of ${formatBytes(e.quota.limitBytes)}): delete images or ask for a larger quota before pushes are refused` }) };
  if (e.scan || e.vulnerabilities) return { contentType: 'application/json', body: JSON.stringify({ text: scanText(e, ctx) }) };
  const who = e.actor.name ?? 'anonymous';
  const ref = e.tag !== undefined ? `${e.repository}:${e.tag}` : e.repository;
  const verb = e.action === 'untag' ? 'removed tag' : VERBS[e.type];
  const short = e.digest.slice(0, 19);
  let text = `*${who}* ${verb} \`${ref}\` (${short}…) on ${ctx.registryHost}`;
  if (e.type === 'push') text += `\n\`${pullCommand(e, ctx)}\``;
  return { contentType: 'application/json', body: JSON.stringify({ text }) };
}

/** A scan's outcome, or the new advisories, in one or two lines. */
function scanText(e: StoredEvent, ctx: RenderContext): string {
  const ref = `${e.repository}@${e.digest.slice(0, 19)}…`;
  if (e.vulnerabilities) {
    const shown = e.vulnerabilities.slice(0, 5).map((v) => `${v.id} (${v.severity}, ${v.package} ${v.installedVersion})`).join(', ');
    const more = e.vulnerabilities.length > 5 ? ` and ${e.vulnerabilities.length - 5} more` : '';
    return `New advisories affect \`${ref}\` on ${ctx.registryHost}: ${shown}${more}`;
  }
  const s = e.scan!;
  if (s.status !== 'done') return `Scan of \`${ref}\` on ${ctx.registryHost} failed: ${s.error ?? 'unknown error'}`;
  const counts = (['critical', 'high', 'medium', 'low', 'unknown'] as const).map((k) => `${s.summary[k]} ${k}`).join(', ');
  return `Scanned \`${ref}\`${s.platform ? ` (${s.platform})` : ''} on ${ctx.registryHost}: ${counts}`;
}
