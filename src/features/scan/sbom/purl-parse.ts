// Reads a Package URL (purl spec) back into its parts, for SBOMs that users push: the type, the
// namespace, the name, the version and the qualifiers, percent-decoded. Pure.
export interface ParsedPurl {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers: Readonly<Record<string, string>>;
}

export function parsePurl(value: string): ParsedPurl | undefined {
  if (!value.startsWith('pkg:')) return undefined;
  let rest = value.slice(4);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0) qualifiers[pair.slice(0, eq).toLowerCase()] = decode(pair.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.replace(/^\/+/, '').split('/').filter((p) => p !== '');
  if (parts.length < 2) return undefined;
  const type = parts[0]!.toLowerCase();
  const name = decode(parts[parts.length - 1]!);
  const namespace = parts.length > 2 ? parts.slice(1, -1).map(decode).join('/') : undefined;
  if (!name) return undefined;
  return { type, name, qualifiers, ...(namespace !== undefined ? { namespace } : {}), ...(version !== undefined && version !== '' ? { version } : {}) };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
