// Alpine's installed-packages database (lib/apk/db/installed) into packages. Pure.
// Records are blank-line separated lines "<letter>:<value>"; the ones read here are P: name,
// V: version, A: arch, o: origin (the source package; its version is the package's) and
// L: license (an SPDX-ish expression, kept as written).
import type { RawPackage } from './types.ts';

export function parseApkInstalled(data: Buffer | string, location: string): RawPackage[] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const out: RawPackage[] = [];
  let rec: Record<string, string> = {};
  const flush = (): void => {
    const { P: name, V: version, A: arch, o: origin, L: license } = rec;
    rec = {};
    if (!name || !version) return;
    out.push({
      name,
      version,
      type: 'apk',
      location,
      ...(arch ? { arch } : {}),
      ...(origin && origin !== name ? { source: { name: origin, version } } : {}),
      ...(license ? { licenses: [license] } : {}),
    });
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      flush();
      continue;
    }
    // Only the first value of a letter counts: file lists (F:, R:, Z:, ...) repeat letters.
    if (line.length >= 2 && line[1] === ':' && rec[line[0]!] === undefined) rec[line[0]!] = line.slice(2);
  }
  flush();
  return out;
}
