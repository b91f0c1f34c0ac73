// Pull gates (DESIGN.md, How features plug in): features such as scan and trust policies decide
// whether a manifest GET may be served. The registry asks them through this one narrow interface
// and knows nothing of CVEs or signatures. HEAD is never gated, and neither are the registry's
// own reads (scanning, signing and replication read through the services, not through GET).
import type { RegistryError } from '../core/errors.ts';

export interface PullRequestInfo {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  /** The account pulling (undefined: anonymous). */
  readonly account?: string;
}

export interface PullGate {
  /** undefined lets the pull through; a RegistryError is the refusal the client gets. */
  check(pull: PullRequestInfo): Promise<RegistryError | undefined>;
}
