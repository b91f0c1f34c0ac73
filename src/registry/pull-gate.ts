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
  /** Whether it was asked for by digest (not by tag). */
  readonly byDigest: boolean;
  /**
   * Whether the caller may push to the repository (asked only by gates that need it): a signer
   * reads the manifest by digest before pushing its signature, and must not be refused.
   */
  mayPush(): Promise<boolean>;
}

export interface PullGate {
  /** undefined lets the pull through; a RegistryError is the refusal the client gets. */
  check(pull: PullRequestInfo): Promise<RegistryError | undefined>;
}
