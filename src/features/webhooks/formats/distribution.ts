// Distribution's notification envelope, with its field names, so tools written for
// Distribution (docker/distribution notifications) work unchanged.
import type { StoredEvent } from '../event.ts';
import type { RenderContext, Rendered } from './types.ts';

export const DISTRIBUTION_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

// Distribution has no scan or quota events: they keep Berth's names, in Distribution's envelope.
const ACTIONS = { push: 'push', pull: 'pull', delete: 'delete', tag: 'push', 'scan.completed': 'scan.completed', 'vulnerability.new': 'vulnerability.new', 'quota.warning': 'quota.warning' } as const;
const METHODS = { push: 'PUT', pull: 'GET', delete: 'DELETE', tag: 'PUT', 'scan.completed': '', 'vulnerability.new': '', 'quota.warning': '' } as const;

export function distributionEvent(e: StoredEvent, ctx: RenderContext): Record<string, unknown> {
  // An untag is a delete of a tag in Distribution's vocabulary.
  const action = e.action === 'untag' ? 'delete' : ACTIONS[e.type];
  return {
    id: e.id,
    timestamp: e.time,
    action,
    target: {
      mediaType: e.mediaType ?? '',
      size: e.size ?? 0,
      digest: e.digest,
      length: e.size ?? 0,
      repository: e.repository,
      url: `http://${ctx.registryHost}/v2/${e.repository}/manifests/${e.digest}`,
      ...(e.tag !== undefined ? { tag: e.tag } : {}),
    },
    request: {
      id: e.requestId ?? '',
      addr: e.actor.address ?? '',
      host: ctx.registryHost,
      method: e.action === 'untag' ? 'DELETE' : METHODS[e.type],
      useragent: '',
    },
    actor: { name: e.actor.name ?? '' },
    source: { addr: ctx.registryHost, instanceID: ctx.instanceId },
    ...(e.scan !== undefined ? { scan: e.scan } : {}),
    ...(e.vulnerabilities !== undefined ? { vulnerabilities: e.vulnerabilities } : {}),
    ...(e.quota !== undefined ? { quota: { project: e.project, ...e.quota } } : {}),
  };
}

export function distributionFormat(e: StoredEvent, ctx: RenderContext): Rendered {
  return { contentType: DISTRIBUTION_MEDIA_TYPE, body: JSON.stringify({ events: [distributionEvent(e, ctx)] }) };
}
