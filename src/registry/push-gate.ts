// Push gates: features such as quotas decide whether an upload may start, grow, or become a blob
// of a repository. The registry asks them through this one narrow interface and knows nothing of
// quotas. Deletes are never asked: they are always allowed.
import type { RegistryError } from '../core/errors.ts';

export interface PushRequestInfo {
  readonly repository: string;
  /**
   * start: an upload session opens (bytes 0); chunk: an upload grows by `bytes` (the session's
   * bytes so far are in `uploaded`); commit: an upload of `bytes` becomes the blob `digest`;
   * mount: the blob `digest` of `bytes` is linked from another repository.
   */
  readonly stage: 'start' | 'chunk' | 'commit' | 'mount';
  readonly bytes: number;
  /** The session's bytes received so far (they already count as usage while it is open). */
  readonly uploaded?: number;
  readonly digest?: string;
  /** The upload session, when there is one (its bytes count once). */
  readonly uploadId?: string;
}

export interface PushGate {
  /** undefined lets the push through; a RegistryError is the refusal the client gets. */
  check(push: PushRequestInfo): Promise<RegistryError | undefined>;
}

/** The gates installed by features, asked in order. */
export class PushGates {
  private readonly gates: PushGate[] = [];

  add(gate: PushGate): void {
    this.gates.push(gate);
  }

  get active(): boolean {
    return this.gates.length > 0;
  }

  /** Throws the first refusal. */
  async check(push: PushRequestInfo): Promise<void> {
    for (const gate of this.gates) {
      const refusal = await gate.check(push);
      if (refusal) throw refusal;
    }
  }
}
