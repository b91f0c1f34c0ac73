// Slack-compatible incoming-webhook text (also what Mattermost and Rocket.Chat accept).
import type { StoredEvent } from '../event.ts';
import { pullCommand, type RenderContext, type Rendered } from './types.ts';

const VERBS = { push: 'pushed', pull: 'pulled', delete: 'deleted', tag: 'moved tag' } as const;

export function slackFormat(e: StoredEvent, ctx: RenderContext): Rendered {
  const who = e.actor.name ?? 'anonymous';
  const ref = e.tag !== undefined ? `${e.repository}:${e.tag}` : e.repository;
  const verb = e.action === 'untag' ? 'removed tag' : VERBS[e.type];
  const short = e.digest.slice(0, 19);
  let text = `*${who}* ${verb} \`${ref}\` (${short}…) on ${ctx.registryHost}`;
  if (e.type === 'push') text += `\n\`${pullCommand(e, ctx)}\``;
  return { contentType: 'application/json', body: JSON.stringify({ text }) };
}
