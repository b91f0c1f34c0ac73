// The one way the UI talks to Berth: JSON over /api/v1 with the session cookie and the
// `X-Berth-CSRF: 1` header on every request (docs/discovery.md, Cookie sessions and CSRF).
export const API = '/api/v1';
/** Dispatched on window when the API answers 401. */
export const UNAUTHORIZED = 'berth:unauthorized';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-berth-csrf': '1' };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(`${API}${path}`, {
    method: options.method ?? 'GET',
    headers,
    body,
    credentials: 'same-origin',
    signal: options.signal,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    // A 401 means the session ended (expired, signed out elsewhere): the session state follows.
    if (res.status === 401 && path !== '/session') window.dispatchEvent(new Event(UNAUTHORIZED));
    const first = (parsed as { errors?: { code?: string; message?: string }[] } | undefined)?.errors?.[0];
    throw new ApiError(res.status, first?.code ?? 'HTTP_' + res.status, first?.message ?? `${res.status} ${res.statusText}`);
  }
  return parsed as T;
}

/** A query string from the set values (undefined, '' and false are left out). */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    sp.set(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

/** `/repositories/{project}/{repository}` with the rest of the name percent-encoded (docs/discovery.md). */
export function repoPath(project: string, repository: string): string {
  return `/repositories/${encodeURIComponent(project)}/${encodeURIComponent(repository)}`;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
