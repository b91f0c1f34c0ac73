// The load generator: N async workers on one undici pool, each running an operation in a loop
// bounded by a request count and a deadline, timing every operation.
import { cpuSeconds } from './proc.ts';

/** Latency samples kept per measurement; beyond this the percentiles use the first ones. */
const MAX_SAMPLES = 1_000_000;

export class Sample {
  ops = 0;
  errors = 0;
  seconds = 0;
  serverCpu = 0;
  clientCpu = 0;
  firstError: string | undefined;
  readonly latenciesMs: number[] = [];

  add(other: Sample): void {
    this.ops += other.ops;
    this.errors += other.errors;
    this.seconds += other.seconds;
    this.serverCpu += other.serverCpu;
    this.clientCpu += other.clientCpu;
    this.firstError ??= other.firstError;
    for (const l of other.latenciesMs) {
      if (this.latenciesMs.length >= MAX_SAMPLES) break;
      this.latenciesMs.push(l);
    }
  }

  get rate(): number {
    return this.seconds > 0 ? this.ops / this.seconds : Number.NaN;
  }

  percentile(p: number): number {
    if (this.latenciesMs.length === 0) return Number.NaN;
    const sorted = Float64Array.from(this.latenciesMs).sort();
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[idx] ?? Number.NaN;
  }

  get meanMs(): number {
    if (this.latenciesMs.length === 0) return Number.NaN;
    let s = 0;
    for (const l of this.latenciesMs) s += l;
    return s / this.latenciesMs.length;
  }

  summary(): Record<string, number | string | undefined> {
    const r = (n: number, d = 3): number => Number(n.toFixed(d));
    return {
      ops: this.ops,
      errors: this.errors,
      seconds: r(this.seconds),
      perSecond: r(this.rate, 1),
      meanMs: r(this.meanMs),
      p50Ms: r(this.percentile(50)),
      p90Ms: r(this.percentile(90)),
      p99Ms: r(this.percentile(99)),
      maxMs: r(this.percentile(100)),
      serverCpuSeconds: r(this.serverCpu, 2),
      // the load generator's own CPU use, in cores: near 1.0 means it may be the bottleneck
      loadGenCores: this.seconds > 0 ? r(this.clientCpu / this.seconds, 2) : undefined,
      firstError: this.firstError,
    };
  }
}

export interface LoadOptions {
  concurrency: number;
  seconds: number;
  maxOps: number;
  /** the server's pid, for its CPU time */
  pid?: number;
  /** stop after this many failed operations (default: max(10, 1% of maxOps)) */
  maxErrors?: number;
  op: (worker: number, seq: number) => Promise<void>;
}

export async function runLoad(opts: LoadOptions): Promise<Sample> {
  const sample = new Sample();
  const maxErrors = opts.maxErrors ?? Math.max(10, Math.floor(opts.maxOps / 100));
  let issued = 0;
  let stop = false;
  const cpu0 = process.cpuUsage();
  const srv0 = opts.pid ? cpuSeconds(opts.pid) : 0;
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;

  async function worker(w: number): Promise<void> {
    while (!stop && issued < opts.maxOps && performance.now() < deadline) {
      const seq = issued++;
      const s = performance.now();
      try {
        await opts.op(w, seq);
        if (sample.latenciesMs.length < MAX_SAMPLES) sample.latenciesMs.push(performance.now() - s);
        sample.ops++;
      } catch (err) {
        sample.errors++;
        sample.firstError ??= (err as Error).message;
        if (sample.errors >= maxErrors) stop = true;
      }
    }
  }

  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, (_, w) => worker(w)));
  sample.seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  sample.clientCpu = (cpu.user + cpu.system) / 1e6;
  if (opts.pid) sample.serverCpu = cpuSeconds(opts.pid) - srv0;
  return sample;
}

/** Runs `fn(i)` for i in [from, to) with bounded concurrency and a deadline; throws on the first failure. */
export async function parallel(from: number, to: number, concurrency: number, timeoutSec: number, what: string, fn: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  let failure: Error | undefined;
  const deadline = Date.now() + timeoutSec * 1000;
  async function worker(): Promise<void> {
    while (failure === undefined && next < to) {
      if (Date.now() > deadline) {
        failure = new Error(`${what}: not done after ${timeoutSec}s (reached ${next - from} of ${to - from}); raise --seed-timeout or lower the counts`);
        return;
      }
      const i = next++;
      try {
        await fn(i);
      } catch (err) {
        failure ??= new Error(`${what} #${i}: ${(err as Error).message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => worker()));
  if (failure) throw failure;
}
