// Parses /v2 paths. Repository names contain slashes, so the route is matched on the raw
// (undecoded) path by its suffix; the name is then checked against the OCI grammar, so a
// percent-encoded trick or a `..` segment can never become a name.
export type OciRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'upload_start'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'signatures'; name: string; digest: string };

const PATTERNS: [RegExp, (m: RegExpExecArray) => OciRoute][] = [
  [/^\/v2\/?$/, () => ({ kind: 'base' })],
  [/^\/v2\/_catalog$/, () => ({ kind: 'catalog' })],
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'upload_start', name: m[1]! })],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2]! })],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: decode(m[2]!) })],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: decode(m[2]!) })],
  [/^\/v2\/(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]! , digest: decode(m[2]!) })],
  // The registry signature API extension (containers/image): outside /v2, with /v2's names and rights.
  [/^\/extensions\/v2\/(.+)\/signatures\/([^/]+)$/, (m) => ({ kind: 'signatures', name: m[1]!, digest: decode(m[2]!) })],
];

/** Some clients percent-encode the ':' of a digest; decode the last segment only. */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function parseOciPath(path: string): OciRoute | undefined {
  if (path.length > 4096) return undefined;
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m) return make(m);
  }
  return undefined;
}

/** Splits a raw URL into its path and query string. */
export function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: new URLSearchParams() } : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}
