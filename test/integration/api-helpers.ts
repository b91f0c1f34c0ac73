// Helpers for the /api/v1 suites: a real `berth serve --auth builtin` and a small JSON client.
import assert from 'node:assert/strict';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

export const ADMIN_PASSWORD = 'admin-secret-pw';
export const ADMIN: Creds = ['admin', ADMIN_PASSWORD];
export type Creds = readonly [string, string];

export async function startApiServer(): Promise<BerthProcess> {
  return startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD, BERTH_LOG_LEVEL: 'info' } });
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly text: string;
}

export interface CallOptions {
  readonly as?: Creds;
  readonly body?: unknown;
  /** Sent as is (with contentType), instead of JSON. */
  readonly raw?: string;
  readonly contentType?: string;
}

export function basic([user, password]: Creds): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export async function call(server: BerthProcess, method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.as) headers.authorization = basic(options.as);
  let body: string | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    if (options.contentType) headers['content-type'] = options.contentType;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  const res = await fetch(`${server.url}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Asserts the status and, for errors, the registry error code; returns the response. */
export function expectStatus(res: ApiResponse, status: number, code?: string): ApiResponse {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  if (code) assert.equal(res.body?.errors?.[0]?.code, code, res.text);
  return res;
}

/** Creates a user as the admin. */
export async function addUser(server: BerthProcess, name: string, password = `${name}-password`, admin = false): Promise<Creds> {
  expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name, password, admin } }), 201);
  return [name, password];
}
