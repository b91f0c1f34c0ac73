// Provider refresh tokens at rest (issue 19; docs/access.md, OIDC): sealed with the installation's
// secret box (AES-256-GCM; the key is BERTH_PROXY_SECRET_KEY, the same on every instance, or
// <dataDir>/proxy-secret.key, as for proxy and replication credentials), so that a copy of the
// database alone does not let anyone ask the provider for tokens. A value without the prefix was
// stored by a Berth before sealing: it is still read, and stored sealed at its next use.
export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

const PREFIX = 'sealed1$';

export function sealToken(box: Sealer, token: string): string {
  return `${PREFIX}${box.seal(token)}`;
}

/** The token and whether it was stored sealed; throws when the box cannot open it (another key). */
export function openToken(box: Sealer, stored: string): { token: string; sealed: boolean } {
  if (!stored.startsWith(PREFIX)) return { token: stored, sealed: false };
  return { token: box.open(stored.slice(PREFIX.length)), sealed: true };
}
