// One comparator per package ecosystem, for the OSV parser (to sort range events) and the
// matcher (to place an installed version in a range).
import type { PackageType } from '../inventory/types.ts';
import type { VersionComparator } from './types.ts';
import { apk } from './apk.ts';
import { dpkg } from './dpkg.ts';
import { gomod } from './gomod.ts';
import { maven } from './maven.ts';
import { pep440 } from './pep440.ts';
import { rpm } from './rpm.ts';
import { semver } from './semver.ts';

export type { Ordering, VersionComparator } from './types.ts';
export { InvalidVersionError } from './types.ts';

const BY_TYPE: Readonly<Record<PackageType, VersionComparator>> = {
  deb: dpkg,
  apk,
  rpm,
  npm: semver,
  pypi: pep440,
  golang: gomod,
  maven,
};

/** The comparator of an ecosystem. Every PackageType has one. */
export function comparatorFor(type: PackageType): VersionComparator {
  return BY_TYPE[type];
}

export { apk, dpkg, gomod, maven, pep440, rpm, semver };
