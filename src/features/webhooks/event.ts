// The stored form of an event in the outbox: what every payload format is rendered from.
import { randomUUID } from 'node:crypto';
import type { RegistryEvent, SeverityCounts } from '../../core/events.ts';
import { projectOf } from '../../core/reference.ts';

/**
 * What users subscribe to: artifact pushed, pulled, deleted, tag changed (moved or removed), a
 * scan finished, a new advisory affecting an image (features/scan), and a project's storage
 * reaching 80% of its quota (features/quota).
 */
export type WebhookEventType = 'push' | 'pull' | 'delete' | 'tag' | 'scan.completed' | 'vulnerability.new' | 'quota.warning';
export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = ['push', 'pull', 'delete', 'tag', 'scan.completed', 'vulnerability.new', 'quota.warning'];

export interface StoredEvent {
  /** Stable for de-duplication: the same across retries, redeliveries and webhooks. */
  readonly id: string;
  readonly type: WebhookEventType;
  /** The registry event's own type (tag and untag are both "tag"). */
  readonly action: string;
  readonly project: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly previous?: string;
  readonly tags?: readonly string[];
  /** ISO 8601. */
  readonly time: string;
  readonly actor: { readonly name?: string; readonly address?: string };
  readonly requestId?: string;
  /** scan.completed: the outcome and counts by severity. */
  readonly scan?: { readonly status: string; readonly summary: SeverityCounts; readonly platform?: string; readonly feedDigest?: string; readonly error?: string };
  /** vulnerability.new: the advisories that now affect the image. */
  readonly vulnerabilities?: readonly { readonly id: string; readonly severity: string; readonly package: string; readonly installedVersion: string; readonly fixedVersion?: string }[];
  /** quota.warning: the project's limit and usage (digest is empty). */
  readonly quota?: { readonly limitBytes: number; readonly usedBytes: number; readonly percent: number };
}

export function webhookTypeOf(e: RegistryEvent): WebhookEventType | undefined {
  switch (e.type) {
    case 'push': return 'push';
    case 'pull': return 'pull';
    case 'delete': return e.target === 'manifest' ? 'delete' : undefined;
    case 'tag': case 'untag': return 'tag';
    case 'scan.completed': return 'scan.completed';
    case 'vulnerability.new': return 'vulnerability.new';
    case 'quota.warning': return 'quota.warning';
    default: return undefined; // blob pushes and mounts are parts of a push
  }
}

export function toStored(e: RegistryEvent): StoredEvent | undefined {
  const type = webhookTypeOf(e);
  if (!type) return undefined;
  const base = {
    id: randomUUID(), type, action: e.type, project: projectOf(e.repository), repository: e.repository, time: e.at.toISOString(),
    actor: { ...(e.actor.name !== undefined ? { name: e.actor.name } : {}), ...(e.actor.address !== undefined ? { address: e.actor.address } : {}) },
    ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
  };
  switch (e.type) {
    case 'push': return { ...base, digest: e.digest, mediaType: e.mediaType, size: e.size, ...(e.tag !== undefined ? { tag: e.tag } : {}) };
    case 'pull': return { ...base, digest: e.digest, mediaType: e.mediaType, ...(e.tag !== undefined ? { tag: e.tag } : {}) };
    case 'delete': return { ...base, digest: e.digest, tags: e.tags };
    case 'tag': return { ...base, digest: e.digest, tag: e.tag, ...(e.previous !== undefined ? { previous: e.previous } : {}) };
    case 'untag': return { ...base, digest: e.digest, tag: e.tag };
    case 'scan.completed': return {
      ...base, digest: e.digest,
      scan: { status: e.status, summary: e.summary, ...(e.platform ? { platform: e.platform } : {}), ...(e.feedDigest ? { feedDigest: e.feedDigest } : {}), ...(e.error ? { error: e.error } : {}) },
    };
    case 'vulnerability.new': return { ...base, digest: e.digest, vulnerabilities: e.advisories };
    case 'quota.warning': return { ...base, project: e.project, digest: '', quota: { limitBytes: e.limitBytes, usedBytes: e.usedBytes, percent: e.percent } };
    default: return undefined;
  }
}
