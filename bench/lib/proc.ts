// Reading a server's memory and CPU from /proc (Linux only; the bench runs on Linux).
import { readFileSync, writeFileSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The process's resident set now, in MiB (NaN when it cannot be read). */
export function rssMiB(pid: number): number {
  const kib = statusKiB(pid, 'VmRSS');
  return kib === undefined ? Number.NaN : kib / 1024;
}

/** Seconds of CPU (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after "(comm)": state is field 3, utime 14, stime 15 (1-based)
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

export interface RssReport {
  /** peak resident set in MiB during the sampled interval */
  peakMiB: number;
  /** how the peak was found: VmHWM after a reset of the high-water mark, or VmRSS samples */
  method: string;
  samples: number;
  startMiB: number;
  /** the highest VmRSS sample (what the sampling alone saw) */
  sampledPeakMiB: number;
}

/**
 * Samples a process's RSS while `fn` runs. It first resets the kernel's high-water mark
 * (writing 5 to /proc/PID/clear_refs), so VmHWM afterwards is the peak of this interval
 * exactly; VmRSS is also sampled every `intervalMs` (25 ms unless given) in case the reset is
 * not allowed.
 */
export async function measurePeakRss<T>(pid: number, fn: () => Promise<T>, intervalMs = 25): Promise<{ result: T; rss: RssReport }> {
  let hwmReset = false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    hwmReset = true;
  } catch {
    hwmReset = false;
  }
  const startKiB = statusKiB(pid, 'VmRSS') ?? 0;
  let peakKiB = startKiB;
  let samples = 0;
  const timer = setInterval(() => {
    const v = statusKiB(pid, 'VmRSS');
    if (v !== undefined) {
      samples++;
      if (v > peakKiB) peakKiB = v;
    }
  }, intervalMs);
  try {
    const result = await fn();
    return { result, rss: finish() };
  } finally {
    clearInterval(timer);
  }

  function finish(): RssReport {
    const hwm = hwmReset ? statusKiB(pid, 'VmHWM') : undefined;
    const last = statusKiB(pid, 'VmRSS');
    if (last !== undefined && last > peakKiB) peakKiB = last;
    const useHwm = hwm !== undefined && hwm >= peakKiB;
    return {
      peakMiB: (useHwm ? hwm : peakKiB) / 1024,
      method: useHwm ? 'VmHWM (reset before the measurement)' : `VmRSS sampled every ${intervalMs} ms`,
      sampledPeakMiB: peakKiB / 1024,
      samples,
      startMiB: startKiB / 1024,
    };
  }
}
