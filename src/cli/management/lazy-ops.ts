// Offline feature operations, loaded at their first call. The scan, trust, GC and retention code
// (and what they import: the registry, the scanner, sigstore) is most of the program; a command
// such as `berth user list` needs none of it, and importing it all took most of its time.
import type { GcOps, RetentionOps, ScanOps, TrustOps } from './types.ts';

// Every operation of each interface, checked both ways by the compiler: a key that is not an
// operation does not compile, and neither does an operation left out (see Exhaustive below).
export const SCAN_OPS = ['vulndbStatus', 'vulndbImport', 'vulndbRestore', 'scan', 'scanReport', 'scanPolicy', 'updateScanPolicy', 'findPackage', 'findAdvisory'] as const satisfies readonly (keyof ScanOps)[];
export const TRUST_OPS = ['trustKeyAdd', 'trustKeyList', 'trustKeyRemove', 'trustPolicy', 'updateTrustPolicy', 'trustVerify'] as const satisfies readonly (keyof TrustOps)[];
export const GC_OPS = ['gc', 'gcStatus'] as const satisfies readonly (keyof GcOps)[];
export const RETENTION_OPS = ['retentionSet', 'retentionShow', 'retentionPreview', 'retentionRun', 'tagHistory', 'tagRollback'] as const satisfies readonly (keyof RetentionOps)[];

type Exhaustive<T, K extends readonly unknown[]> = Exclude<keyof T, K[number]> extends never ? true : ['missing operations', Exclude<keyof T, K[number]>];
const exhaustive: [Exhaustive<ScanOps, typeof SCAN_OPS>, Exhaustive<TrustOps, typeof TRUST_OPS>, Exhaustive<GcOps, typeof GC_OPS>, Exhaustive<RetentionOps, typeof RETENTION_OPS>] = [true, true, true, true];
void exhaustive;

export interface LazyOps<T> {
  readonly ops: T;
  /** Closes what was loaded (close() if the module has one); nothing when never used. */
  close(): Promise<void>;
}

/** Operations whose implementation `load` makes at the first call of any of them. */
export function lazyOps<T extends object>(keys: readonly (keyof T & string)[], load: () => Promise<T & { close?: () => Promise<void> }>): LazyOps<T> {
  let loaded: Promise<T & { close?: () => Promise<void> }> | undefined;
  const get = () => (loaded ??= load());
  const ops = Object.fromEntries(keys.map((k) => [k, async (...args: unknown[]) => ((await get())[k] as (...a: unknown[]) => unknown)(...args)])) as T;
  return {
    ops,
    close: async () => {
      if (loaded) await (await loaded).close?.();
    },
  };
}
