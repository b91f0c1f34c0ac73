// Version ranges in the registry-wide package question ("which images hold openssl < 3.0.13?"):
// comma-separated conditions that must all hold, each an operator and a version (>=1.2, <2.0,
// =1.4.1, !=1.5), compared in the package's own ecosystem order. Pure.
import type { PackageType } from '../inventory/types.ts';
import { comparatorFor } from '../versions/index.ts';

export type RangeOperator = '<' | '<=' | '>' | '>=' | '=' | '!=';

export interface RangeCondition {
  readonly op: RangeOperator;
  readonly version: string;
}

export class VersionRangeError extends Error {}

const CONDITION = /^(<=|>=|!=|==|<|>|=)?\s*([^\s<>=!]\S*)$/;

/** Parses "<3.0.13", ">=1.2, <2" or "1.4.1" (an exact version); throws VersionRangeError. */
export function parseVersionRange(text: string): RangeCondition[] {
  const parts = text.split(',').map((p) => p.trim());
  if (!parts.length || parts.some((p) => !p)) throw new VersionRangeError('a version range is conditions separated by commas, e.g. ">=1.2,<2.0"');
  if (parts.length > 10) throw new VersionRangeError('a version range has at most 10 conditions');
  return parts.map((p) => {
    const m = CONDITION.exec(p);
    if (!m || m[2]!.length > 200) throw new VersionRangeError(`${JSON.stringify(p.slice(0, 60))} is not a condition: write an operator (<, <=, >, >=, =, !=) and a version`);
    const op = (m[1] === '==' || m[1] === undefined ? '=' : m[1]) as RangeOperator;
    return { op, version: m[2]! };
  });
}

/** Whether `version` (of a package of `type`) meets every condition; a version the order cannot place meets none. */
export function inVersionRange(type: PackageType, version: string, conditions: readonly RangeCondition[]): boolean {
  const cmp = comparatorFor(type);
  for (const c of conditions) {
    let r: number;
    try {
      r = cmp.compare(version, c.version);
    } catch {
      return false;
    }
    const ok = c.op === '<' ? r < 0 : c.op === '<=' ? r <= 0 : c.op === '>' ? r > 0 : c.op === '>=' ? r >= 0 : c.op === '=' ? r === 0 : r !== 0;
    if (!ok) return false;
  }
  return true;
}
