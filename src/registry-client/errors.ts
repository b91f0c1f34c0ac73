// What can go wrong talking to an upstream registry, sorted so that a caller (the proxy) can
// decide whether to serve a stale copy: the upstream is unreachable, refuses us, limits us, or
// simply does not have the thing.
export type UpstreamFailure =
  /** Connection refused, reset, DNS, timeout, a body that broke off. */
  | 'network'
  /** 5xx. */
  | 'server'
  /** 429, with Retry-After when given. */
  | 'rate-limited'
  /** 401/403 after the credentials were tried. */
  | 'auth'
  /** 404: the upstream does not have it. */
  | 'not-found'
  /** Anything else the upstream answered that we cannot use (4xx, a bad digest). */
  | 'invalid';

export class UpstreamError extends Error {
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    readonly status?: number,
    /** Milliseconds the upstream asked us to wait (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }

  /** Whether a cached copy should be served instead (the upstream failed, it did not say "no such thing"). */
  get upstreamDown(): boolean {
    return this.failure !== 'not-found' && this.failure !== 'invalid';
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
