// Berth's own JSON payload: flat, with a ready pull command (pinned by digest).
import type { StoredEvent } from '../event.ts';
import { pullCommand, type RenderContext, type Rendered } from './types.ts';

export const BERTH_TYPES = {
  push: 'artifact.pushed', pull: 'artifact.pulled', delete: 'artifact.deleted', tag: 'tag.changed',
  'scan.completed': 'scan.completed', 'vulnerability.new': 'vulnerability.new', 'quota.warning': 'quota.warning',
} as const;

export function berthPayload(e: StoredEvent, ctx: RenderContext): Record<string, unknown> {
  return {
    id: e.id,
    type: BERTH_TYPES[e.type],
    action: e.action,
    time: e.time,
    project: e.project,
    repository: e.repository,
    tag: e.tag ?? null,
    digest: e.digest,
    mediaType: e.mediaType ?? null,
    size: e.size ?? null,
    ...(e.previous !== undefined ? { previousDigest: e.previous } : {}),
    ...(e.tags !== undefined ? { tags: e.tags } : {}),
    ...(e.scan !== undefined ? { scan: e.scan } : {}),
    ...(e.vulnerabilities !== undefined ? { vulnerabilities: e.vulnerabilities } : {}),
    ...(e.quota !== undefined ? { quota: e.quota } : {}),
    actor: e.actor.name ?? 'anonymous',
    pullCommand: pullCommand(e, ctx),
  };
}

export function berthFormat(e: StoredEvent, ctx: RenderContext): Rendered {
  return { contentType: 'application/json', body: JSON.stringify(berthPayload(e, ctx)) };
}
