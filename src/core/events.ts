// Domain event types (pure). The registry emits them on an in-process bus (registry/event-bus.ts);
// features (webhooks, audit, pull counters, scan-on-push, replication) subscribe.

export interface EventActor {
  /** Account name, or undefined for anonymous callers. */
  readonly name?: string;
  readonly address?: string;
}

interface EventBase {
  readonly repository: string;
  readonly at: Date;
  readonly actor: EventActor;
  readonly requestId?: string;
}

export interface ManifestPushedEvent extends EventBase {
  readonly type: 'push';
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly tag?: string;
}

export interface ManifestPulledEvent extends EventBase {
  readonly type: 'pull';
  readonly digest: string;
  readonly mediaType: string;
  readonly tag?: string;
}

export interface DeletedEvent extends EventBase {
  readonly type: 'delete';
  readonly target: 'manifest' | 'blob';
  readonly digest: string;
  /** Tags that pointed at a deleted manifest. */
  readonly tags: readonly string[];
}

export interface BlobMountedEvent extends EventBase {
  readonly type: 'mount';
  readonly digest: string;
  readonly from: string;
}

export interface BlobPushedEvent extends EventBase {
  readonly type: 'blob.push';
  readonly digest: string;
  readonly size: number;
}

export interface TagEvent extends EventBase {
  readonly type: 'tag';
  readonly tag: string;
  readonly digest: string;
  /** The digest the tag pointed at before, if it moved. */
  readonly previous?: string;
}

export interface UntagEvent extends EventBase {
  readonly type: 'untag';
  readonly tag: string;
  readonly digest: string;
}

/** A signature was stored through the registry signature API extension. */
export interface SignatureAddedEvent extends EventBase {
  readonly type: 'signature';
  readonly digest: string;
  readonly name: string;
}

/** Counts of findings by severity. */
export interface SeverityCounts {
  readonly critical: number;
  readonly high: number;
  readonly medium: number;
  readonly low: number;
  readonly unknown: number;
}

/** A scan of an image manifest finished (features/scan). */
export interface ScanCompletedEvent extends EventBase {
  readonly type: 'scan.completed';
  readonly digest: string;
  readonly status: 'done' | 'failed';
  /** For a platform of an index: "linux/amd64". */
  readonly platform?: string;
  readonly summary: SeverityCounts;
  readonly feedDigest?: string;
  readonly error?: string;
}

/** A feed update (or a scan) found advisories that affect an image and did not before. */
export interface VulnerabilityNewEvent extends EventBase {
  readonly type: 'vulnerability.new';
  readonly digest: string;
  readonly platform?: string;
  readonly advisories: readonly { readonly id: string; readonly severity: string; readonly package: string; readonly installedVersion: string; readonly fixedVersion?: string }[];
  readonly feedDigest?: string;
}

/** A project's storage usage reached 80% of its quota (features/quota); once until it drops below. */
export interface QuotaWarningEvent extends EventBase {
  readonly type: 'quota.warning';
  readonly project: string;
  readonly limitBytes: number;
  readonly usedBytes: number;
  /** usedBytes / limitBytes, in percent (one decimal). */
  readonly percent: number;
}

export type RegistryEvent =
  | ManifestPushedEvent
  | ManifestPulledEvent
  | DeletedEvent
  | BlobMountedEvent
  | BlobPushedEvent
  | TagEvent
  | UntagEvent
  | SignatureAddedEvent
  | ScanCompletedEvent
  | VulnerabilityNewEvent
  | QuotaWarningEvent;

export type RegistryEventType = RegistryEvent['type'];
export type EventOf<T extends RegistryEventType> = Extract<RegistryEvent, { type: T }>;
