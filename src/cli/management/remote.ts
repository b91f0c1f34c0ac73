// Management against a running server: the same operations through /api/v1, signed in with
// Basic credentials (--user and the password or access token from BERTH_PASSWORD or stdin).
import type { Readable } from 'node:stream';
import { CliError, hintFor } from '../cli-error.ts';
import { remoteScanOps } from './remote-scan.ts';
import { remoteTrustOps } from './remote-trust.ts';
import { remoteLifecycleRuleOps } from './remote-lifecycle-rules.ts';
import { remoteGcOps } from './remote-gc.ts';
import { remoteRetentionOps } from './remote-retention.ts';
import type { AccessTokenView, AuditEntryView, AuditFilter, DeliveryView, Management, MemberView, NewRobot, NewToken, ProjectRemoval, ProjectView, RobotView, UserRemoval, UserView, WebhookView } from './types.ts';

export interface RemoteOptions {
  readonly url: string;
  readonly user?: string;
  readonly password?: string;
}

export interface ApiClient {
  /** The server's address, for messages. */
  readonly server: string;
  /** /api/v1 URL of a path. */
  url(path: string): URL;
  readonly authorization?: string;
  /** A JSON call; a refusal becomes a CliError with a hint. */
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Turns a refused answer's body into the CliError `call` would throw. */
  refusal(status: number, statusText: string, text: string): CliError;
}

/** A job's row as GET /api/v1/jobs/{id} shows it. */
export interface RemoteJob {
  readonly state: string;
  readonly progress: string | null;
  readonly error: string | null;
  readonly result: unknown;
}

/** Polls a queued job until it is done or failed, showing its progress; `late` is the error past the timeout. */
export async function waitForRemoteJob(client: ApiClient, id: number, timeoutMs: number, progress: (text: string) => void, late: (state: string) => Error): Promise<RemoteJob> {
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const job = await client.call<RemoteJob>('GET', `/jobs/${id}`);
    if (job.progress && job.progress !== last) progress((last = job.progress));
    if (job.state === 'done' || job.state === 'failed') return job;
    if (Date.now() > until) throw late(job.state);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A long POST whose answer is NDJSON progress lines and then its result (routes with progress:
 * true): each progress line is shown as it comes; `lost` is the error when the answer breaks off.
 */
export async function streamedCall<T>(client: ApiClient, path: string, init: { body: string | Readable; contentType: string; length?: number; lost: CliError }, progress: (text: string) => void): Promise<T> {
  let response: Response;
  try {
    response = await fetch(client.url(path), {
      method: 'POST',
      headers: {
        accept: 'application/x-ndjson', 'content-type': init.contentType,
        ...(client.authorization ? { authorization: client.authorization } : {}),
        ...(init.length !== undefined ? { 'content-length': String(init.length) } : {}),
      },
      body: init.body as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach ${client.server}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, 'Is "berth serve" running there? Check --url.');
  }
  if (!response.ok) throw client.refusal(response.status, response.statusText, await response.text());
  if (!response.body) throw new CliError(`${client.server} sent no answer`);
  let rest = '';
  let outcome: { result?: T; error?: { code: string; status?: number; message: string } } | undefined;
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (!line) continue;
      const item = JSON.parse(line) as { progress?: string; result?: T; error?: { code: string; status?: number; message: string } };
      if (item.progress !== undefined) progress(item.progress);
      else outcome = item;
    }
  }
  if (!outcome) throw init.lost;
  if (outcome.error) throw client.refusal(outcome.error.status ?? 400, '', JSON.stringify({ errors: [outcome.error] }));
  return outcome.result as T;
}

/** The /api/v1 client the remote management commands share. */
export function apiClient(options: RemoteOptions): ApiClient {
  let base: URL;
  try {
    base = new URL(options.url.replace(/\/+$/, '') + '/api/v1/');
  } catch {
    throw new CliError(`--url ${options.url} is not a URL`, 'Give the server address, e.g. --url http://localhost:5000');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CliError(`--url ${options.url} must start with http:// or https://`);
  if (options.user && options.password === undefined) {
    throw new CliError(`--user ${options.user} needs a password or access token`, 'Set BERTH_PASSWORD, or pipe it with --password-stdin.');
  }
  const authorization = options.user ? `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}` : undefined;
  const server = options.url.replace(/\/+$/, '');

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), base);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(authorization ? { authorization } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${server}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, 'Is "berth serve" running there? Check --url.');
    }
    const text = await response.text();
    if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
    throw refusal(response.status, response.statusText, text);
  }

  function refusal(status: number, statusText: string, text: string): CliError {
    let code = '';
    let message = `${status} ${statusText}`;
    try {
      const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
      const first = parsed.errors?.[0];
      if (first?.code) code = first.code;
      if (first?.message) message = first.message;
    } catch { /* not a Berth error body */ }
    if (status === 404 && code === 'NOT_FOUND' && message.startsWith('no API route')) {
      return new CliError(`${server} has no management API (${message})`, 'The API exists only with auth.mode builtin; check --url.');
    }
    if (status === 401 && !authorization) {
      return new CliError(message, 'Sign in: add --user NAME with BERTH_PASSWORD set (or --password-stdin).');
    }
    return new CliError(message, hintFor(code || statusCode(status), true));
  }

  return { server, url: (path) => new URL(path.replace(/^\//, ''), base), ...(authorization ? { authorization } : {}), call, refusal };
}

export function openRemote(options: RemoteOptions): Management {
  const client = apiClient(options);
  const { call, server, authorization } = client;
  const enc = encodeURIComponent;
  return {
    ...remoteScanOps(client),
    ...remoteTrustOps(client),
    ...remoteLifecycleRuleOps(client),
    ...remoteGcOps(client),
    ...remoteRetentionOps(client),
    target: server,
    addUser: (name, password, admin) => call<UserView>('POST', '/users', { name, password, admin }),
    listUsers: async () => (await call<{ users: UserView[] }>('GET', '/users')).users,
    setPassword: (name, password) => call<void>('PUT', `/users/${enc(name)}/password`, { password }),
    updateUser: (name, changes) => call<UserView>('PATCH', `/users/${enc(name)}`, changes),
    removeUser: (name, personalProject) => call<UserRemoval>('DELETE', `/users/${enc(name)}${personalProject ? `?personalProject=${personalProject}` : ''}`),
    createProject: (name, visibility) => call<ProjectView>('POST', '/projects', { name, visibility }),
    listProjects: async () => (await call<{ projects: ProjectView[] }>('GET', '/projects')).projects,
    removeProject: (name, withRepositories) => call<ProjectRemoval>('DELETE', `/projects/${enc(name)}${withRepositories ? '?repositories=delete' : ''}`),
    updateProject: (name, changes) => call<ProjectView>('PATCH', `/projects/${enc(name)}`, changes),
    listMembers: async (project) => (await call<{ members: MemberView[] }>('GET', `/projects/${enc(project)}/members`)).members,
    setMember: async (project, user, role) => {
      await call('PUT', `/projects/${enc(project)}/members/${enc(user)}`, { role });
    },
    removeMember: (project, user) => call<void>('DELETE', `/projects/${enc(project)}/members/${enc(user)}`),
    createRobot: (req: NewRobot) => call<{ robot: RobotView; secret: string }>('POST', `/projects/${enc(req.project)}/robots`, {
      name: req.name,
      permissions: req.permissions,
      ...(req.expiresIn !== undefined ? { expiresIn: req.expiresIn } : {}),
      ...(req.description !== undefined ? { description: req.description } : {}),
    }),
    listRobots: async (project) => (await call<{ robots: RobotView[] }>('GET', project ? `/projects/${enc(project)}/robots` : '/robots')).robots,
    removeRobot: (name) => call<void>('DELETE', `/robots/${enc(name)}`),
    rotateRobot: (name) => call<{ robot: RobotView; secret: string }>('POST', `/robots/${enc(name)}/rotate`),
    setRobotDisabled: (name, disabled) => call<RobotView>('PATCH', `/robots/${enc(name)}`, { disabled }),
    async createToken(req: NewToken) {
      const user = req.user ?? (await whoAmI());
      const created = await call<{ token: AccessTokenView; secret: string }>('POST', `/users/${enc(user)}/tokens`, {
        name: req.name,
        permissions: req.permissions,
        ...(req.projects ? { projects: req.projects } : {}),
        ...(req.expiresIn !== undefined ? { expiresIn: req.expiresIn } : {}),
      });
      return { ...created, user };
    },
    async listTokens(user) {
      const owner = user ?? (await whoAmI());
      return { user: owner, tokens: (await call<{ tokens: AccessTokenView[] }>('GET', `/users/${enc(owner)}/tokens`)).tokens };
    },
    async revokeToken(user, id) {
      const owner = user ?? (await whoAmI());
      await call<void>('DELETE', `/users/${enc(owner)}/tokens/${id}`);
      return { user: owner };
    },
    async audit(filter: AuditFilter) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter)) if (v !== undefined) q.set(k, String(v));
      return (await call<{ entries: AuditEntryView[] }>('GET', `/audit?${q}`)).entries;
    },
    addWebhook: (project, input) => call<{ webhook: WebhookView; secret?: string }>('POST', `/projects/${enc(project)}/webhooks`, input),
    listWebhooks: async (project) => (await call<{ webhooks: WebhookView[] }>('GET', project ? `/projects/${enc(project)}/webhooks` : '/webhooks')).webhooks,
    webhookDeliveries: async (id, limit) => (await call<{ deliveries: DeliveryView[] }>('GET', `/webhooks/${id}/deliveries?limit=${limit}`)).deliveries,
    redeliver: (id) => call<DeliveryView>('POST', `/webhook-deliveries/${id}/redeliver`),
    setWebhookPaused: (id, paused) => call<WebhookView>('PATCH', `/webhooks/${id}`, { paused }),
    removeWebhook: (id) => call<void>('DELETE', `/webhooks/${id}`),
    close: async () => {},
  };

  async function whoAmI(): Promise<string> {
    if (!authorization) throw new CliError('sign in to say whose token this is', 'Add --user NAME with BERTH_PASSWORD set (or --password-stdin).');
    const me = await call<{ kind: string; name: string }>('GET', '/me');
    if (me.kind !== 'user') throw new CliError(`${me.name} is a robot; access tokens belong to users`);
    return me.name;
  }
}

function statusCode(status: number): string {
  return { 400: 'INVALID_REQUEST', 401: 'UNAUTHORIZED', 403: 'DENIED', 404: 'NOT_FOUND', 409: 'CONFLICT', 429: 'TOOMANYREQUESTS' }[status] ?? '';
}
