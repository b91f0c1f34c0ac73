// Retry delays: exponential from the first delay, capped, with jitter (half to full delay) so
// many webhooks failing together do not retry in lockstep.
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp * (0.5 + random() * 0.5));
}
