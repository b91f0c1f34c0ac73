// A client of one upstream OCI/Docker registry: the Docker token flow (a 401 with a Bearer
// challenge sends us to its realm for a token of the scope we need; a Basic challenge takes the
// credentials directly), manifests by HEAD and GET with every manifest type accepted, and blobs
// streamed; and writes (uploads, mounts, manifest PUTs and DELETEs, with push scopes), tag lists and
// the catalog. Used by the pull-through cache (features/proxy) and by replication.
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { parseChallenges, pullScope, type Challenge } from './challenge.ts';
import { parseRetryAfter, UpstreamError } from './errors.ts';
import type { TokenBucket } from './rate.ts';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

type RequestBody = NonNullable<RequestInit['body']>;

export const ACCEPT_MANIFESTS = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface UpstreamCredentials {
  readonly username: string;
  readonly password: string;
}

export interface RegistryClientOptions {
  /** http(s)://host[:port], the registry's base (no /v2). */
  readonly url: string;
  readonly credentials?: UpstreamCredentials;
  /** Paces requests (one token each); shared by every client of the same upstream. */
  readonly bucket?: TokenBucket;
  /** Per request, until the answer's headers (a blob's body may take longer). */
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  /** Told each answer's Docker Hub rate-limit headers (ratelimit-remaining). */
  readonly onRateLimitHeaders?: (remaining: number | undefined, limit: number | undefined) => void;
}

export interface ManifestHead {
  readonly digest?: string;
  readonly mediaType: string;
  readonly size?: number;
}

export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly body: Buffer;
}

export interface ReferrerDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
}

export interface BlobStream {
  /** From Content-Length; undefined when the upstream did not say. */
  readonly size?: number;
  readonly stream: Readable;
}

interface CachedToken {
  readonly value: string;
  readonly expires: number;
}

export class RegistryClient {
  private readonly base: string;
  /** Bearer tokens by scope. */
  private readonly tokens = new Map<string, CachedToken>();
  /** The last challenge seen (so later requests authenticate up front). */
  private challenge: Challenge | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    const u = new URL(options.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`upstream URL must be http:// or https://, not ${u.protocol}`);
    this.base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  }

  get url(): string {
    return this.base;
  }

  /** HEAD of a manifest: its digest and type; undefined when the upstream has none. */
  async headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    const res = await this.request('HEAD', repository, `/manifests/${reference}`, { accept: ACCEPT_MANIFESTS });
    if (res.status === 404) return undefined;
    await expectOk(res, `HEAD manifest ${repository}:${reference}`);
    const length = res.headers.get('content-length');
    return {
      mediaType: mediaTypeOf(res),
      ...(res.headers.get('docker-content-digest') ? { digest: res.headers.get('docker-content-digest')! } : {}),
      ...(length ? { size: Number(length) } : {}),
    };
  }

  /**
   * GET of a manifest, its bytes checked: by digest against that digest, by tag against the
   * Docker-Content-Digest the upstream sent (when sent). At most `maxBytes`.
   */
  async getManifest(repository: string, reference: string, maxBytes = 4 * 1024 * 1024): Promise<FetchedManifest> {
    const res = await this.request('GET', repository, `/manifests/${reference}`, { accept: ACCEPT_MANIFESTS });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new UpstreamError('not-found', `the upstream has no manifest ${repository}:${reference}`, 404);
    }
    await expectOk(res, `GET manifest ${repository}:${reference}`);
    const body = await readLimited(res, maxBytes);
    const claimed = reference.includes(':') ? reference : res.headers.get('docker-content-digest') ?? undefined;
    const algorithm = claimed?.startsWith('sha512:') ? 'sha512' : 'sha256';
    const digest = `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`;
    if (claimed && claimed !== digest) throw new UpstreamError('invalid', `the upstream sent a manifest whose digest ${digest} is not ${claimed}`);
    return { digest, mediaType: mediaTypeOf(res, body), body };
  }

  /**
   * The referrers of a manifest (OCI 1.1 referrers API): the descriptors of the index it answers,
   * or undefined when the upstream has no referrers API (404; Distribution 2.8 has none).
   */
  async getReferrers(repository: string, digest: string): Promise<ReferrerDescriptor[] | undefined> {
    const res = await this.request('GET', repository, `/referrers/${digest}`, { accept: 'application/vnd.oci.image.index.v1+json' });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    await expectOk(res, `GET referrers of ${repository}@${digest}`);
    const body = await readLimited(res, 4 * 1024 * 1024);
    try {
      const index = JSON.parse(body.toString('utf8')) as { manifests?: ReferrerDescriptor[] };
      return (index.manifests ?? []).filter((m) => typeof m?.digest === 'string' && /^sha(256|512):[0-9a-f]+$/.test(m.digest));
    } catch {
      throw new UpstreamError('invalid', 'the upstream answered the referrers API with something that is not JSON');
    }
  }

  /** HEAD of a blob: its size, or undefined when the upstream does not have it. */
  async headBlob(repository: string, digest: string): Promise<{ size?: number } | undefined> {
    const res = await this.request('HEAD', repository, `/blobs/${digest}`, {});
    if (res.status === 404) return undefined;
    await expectOk(res, `HEAD blob ${repository}@${digest}`);
    const length = res.headers.get('content-length');
    return length ? { size: Number(length) } : {};
  }

  /** GET of a blob, streamed (redirects to storage are followed). The caller verifies the digest. */
  async getBlob(repository: string, digest: string): Promise<BlobStream> {
    const res = await this.request('GET', repository, `/blobs/${digest}`, {});
    if (res.status === 404) {
      await res.body?.cancel();
      throw new UpstreamError('not-found', `the upstream has no blob ${digest} in ${repository}`, 404);
    }
    await expectOk(res, `GET blob ${repository}@${digest}`);
    if (!res.body) throw new UpstreamError('invalid', 'the upstream sent a blob without a body');
    const length = res.headers.get('content-length');
    const stream = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    return { ...(length ? { size: Number(length) } : {}), stream };
  }

  /** One request to /v2/<repository><path>, authenticated as the last challenge asked, retried once after a 401. */
  private async request(method: string, repository: string, path: string, headers: Record<string, string>, scopes: readonly string[] = [pullScope(repository)]): Promise<Response> {
    return this.requestUrl(method, `${this.base}/v2/${repository}${path}`, headers, scopes);
  }

  private async requestUrl(method: string, url: string, headers: Record<string, string>, scopes: readonly string[], body?: RequestBody, retry = true): Promise<Response> {
    const scope = scopes.join(' ');
    let res = await this.send(method, url, headers, await this.authorization(scope, false), true, body);
    if (res.status === 401 && retry) {
      const challenges = parseChallenges(res.headers.get('www-authenticate'));
      await res.body?.cancel();
      const chosen = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
      if (!chosen) throw new UpstreamError('auth', `the upstream refused ${method} ${new URL(url).pathname} (401) without a challenge we understand`, 401);
      this.challenge = chosen;
      this.tokens.delete(scope);
      res = await this.send(method, url, headers, await this.authorization(scope, true), true, body);
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new UpstreamError('auth', `the upstream refused our ${this.options.credentials ? 'credentials' : 'anonymous access'} (${res.status})`, res.status);
      }
    }
    return res;
  }

  // Writing (replication to a peer registry): every write asks for push and pull scopes.

  /** The repositories of the registry (GET /v2/_catalog, every page). */
  async catalog(pageSize = 1000): Promise<string[]> {
    const out: string[] = [];
    let last: string | undefined;
    for (let pages = 0; pages < 10_000; pages++) {
      const q = new URLSearchParams({ n: String(pageSize), ...(last ? { last } : {}) });
      const res = await this.requestUrl('GET', `${this.base}/v2/_catalog?${q}`, { accept: 'application/json' }, ['registry:catalog:*']);
      await expectOk(res, 'GET catalog');
      const body = (await res.json().catch(() => ({}))) as { repositories?: string[] };
      const names = body.repositories ?? [];
      out.push(...names);
      if (!res.headers.get('link') || names.length === 0) break;
      last = names[names.length - 1];
    }
    return out;
  }

  /** Every tag of a repository ([] when the registry does not know it). */
  async listTags(repository: string, pageSize = 1000): Promise<string[]> {
    const out: string[] = [];
    let last: string | undefined;
    for (let pages = 0; pages < 10_000; pages++) {
      const q = new URLSearchParams({ n: String(pageSize), ...(last ? { last } : {}) });
      const res = await this.request('GET', repository, `/tags/list?${q}`, { accept: 'application/json' });
      if (res.status === 404) {
        await res.body?.cancel();
        return out;
      }
      await expectOk(res, `GET tags of ${repository}`);
      const body = (await res.json().catch(() => ({}))) as { tags?: string[] | null };
      const tags = body.tags ?? [];
      out.push(...tags);
      if (!res.headers.get('link') || tags.length === 0) break;
      last = tags[tags.length - 1];
    }
    return out;
  }

  /** PUT of a manifest; `subject` is the OCI-Subject header the registry answered (it has the referrers API). */
  async putManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<{ digest?: string; subject?: string }> {
    const res = await this.requestUrl('PUT', `${this.base}/v2/${repository}/manifests/${reference}`, { 'content-type': mediaType }, pushScopes(repository), body);
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new UpstreamError(res.status >= 500 ? 'server' : res.status === 401 || res.status === 403 ? 'auth' : 'invalid', `the peer refused the manifest ${repository}:${reference.slice(0, 80)}: ${res.status} ${text.slice(0, 300)}`, res.status);
    }
    await res.body?.cancel();
    const digest = res.headers.get('docker-content-digest') ?? undefined;
    const subject = res.headers.get('oci-subject') ?? undefined;
    return { ...(digest ? { digest } : {}), ...(subject ? { subject } : {}) };
  }

  /** Cross-repository mount of `digest` from `from` into `repository`: true when the peer linked it. */
  async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.requestUrl('POST', `${this.base}/v2/${repository}/blobs/uploads/?${q}`, {}, [...pushScopes(repository), pullScope(from)]);
    await res.body?.cancel();
    if (res.status === 201) return true;
    if (res.status === 202) {
      // The peer opened an upload instead: it is not used, so it is cancelled.
      const location = res.headers.get('location');
      if (location) await this.requestUrl('DELETE', new URL(location, this.base).toString(), {}, pushScopes(repository)).then((r) => r.body?.cancel(), () => {});
      return false;
    }
    await expectOk(res, `mount ${digest} into ${repository}`);
    return false;
  }

  /** Uploads a blob of `size` bytes (POST, then one streamed PUT); the peer checks the digest. */
  async pushBlob(repository: string, digest: string, size: number, stream: Readable): Promise<void> {
    const start = await this.requestUrl('POST', `${this.base}/v2/${repository}/blobs/uploads/`, { 'content-length': '0' }, pushScopes(repository));
    await start.body?.cancel();
    if (start.status !== 202) {
      stream.destroy();
      await expectOk(start, `upload start in ${repository}`);
      throw new UpstreamError('invalid', `the peer answered an upload start with ${start.status}`, start.status);
    }
    const location = start.headers.get('location');
    if (!location) throw new UpstreamError('invalid', 'the peer started an upload without a Location');
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const body = Readable.toWeb(stream) as unknown as RequestBody;
    // The body is a stream: it cannot be sent twice, so no retry after a 401 (the POST got the token).
    const put = await this.requestUrl('PUT', url.toString(), { 'content-type': 'application/octet-stream', 'content-length': String(size) }, pushScopes(repository), body, false);
    if (put.status !== 201) {
      const text = await put.text().catch(() => '');
      throw new UpstreamError(put.status >= 500 ? 'server' : put.status === 401 || put.status === 403 ? 'auth' : 'invalid', `the peer refused the blob ${digest}: ${put.status} ${text.slice(0, 300)}`, put.status);
    }
    await put.body?.cancel();
  }

  /** DELETE of a manifest by digest or a tag; false when the peer has none. */
  async deleteManifest(repository: string, reference: string): Promise<boolean> {
    const res = await this.requestUrl('DELETE', `${this.base}/v2/${repository}/manifests/${reference}`, {}, [`repository:${repository}:delete,pull`]);
    await res.body?.cancel();
    if (res.status === 404) return false;
    await expectOk(res, `DELETE ${repository}:${reference.slice(0, 80)}`);
    return true;
  }

  private async authorization(scope: string, fresh: boolean): Promise<string | undefined> {
    const c = this.challenge;
    if (!c) return undefined;
    const creds = this.options.credentials;
    if (c.scheme === 'basic') return creds ? basic(creds) : undefined;
    if (c.scheme !== 'bearer') return undefined;
    const cached = this.tokens.get(scope);
    if (!fresh && cached && cached.expires > Date.now()) return `Bearer ${cached.value}`;
    const token = await this.fetchToken(c, scope);
    this.tokens.set(scope, token);
    return `Bearer ${token.value}`;
  }

  /** The Docker token flow: GET realm?service=...&scope=..., with Basic credentials when we have them. */
  private async fetchToken(c: Challenge, scope: string): Promise<CachedToken> {
    const realm = c.params.realm;
    if (!realm) throw new UpstreamError('auth', 'the upstream asked for a bearer token without naming a realm');
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UpstreamError('auth', `the upstream's token realm ${realm.slice(0, 200)} is not a URL`);
    }
    if (c.params.service) url.searchParams.set('service', c.params.service);
    for (const one of scope.split(' ')) url.searchParams.append('scope', one);
    const creds = this.options.credentials;
    const res = await this.send('GET', url.toString(), {}, creds ? basic(creds) : undefined, false);
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new UpstreamError('auth', `the upstream's token service refused our ${creds ? 'credentials' : 'anonymous request'} (${res.status})`, res.status);
    }
    await expectOk(res, 'token request');
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string; expires_in?: number };
    const value = body.token ?? body.access_token;
    if (!value) throw new UpstreamError('auth', 'the upstream token service answered without a token');
    // The spec's default lifetime is 60 s; renewed a little early.
    const ttl = Math.max(10, (body.expires_in ?? 60) - 5) * 1000;
    return { value, expires: Date.now() + ttl };
  }

  private async send(method: string, url: string, headers: Record<string, string>, authorization: string | undefined, paced = true, body?: RequestBody): Promise<Response> {
    if (paced && this.options.bucket) {
      try {
        await this.options.bucket.take(10_000);
      } catch (error) {
        throw new UpstreamError('rate-limited', (error as Error).message, 429, (error as { waitMs?: number }).waitMs);
      }
    }
    const controller = new AbortController();
    // A streamed upload has its answer only after its whole body: it gets an hour, not the header timeout.
    const timer = setTimeout(() => controller.abort(), body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array) ? 3_600_000 : this.options.timeoutMs ?? 30_000);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...headers,
          'user-agent': this.options.userAgent ?? 'berth-registry-client',
          ...(authorization ? { authorization } : {}),
        },
        redirect: 'follow',
        signal: controller.signal,
        ...(body !== undefined ? { body, duplex: 'half' } : {}),
      } as RequestInit);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new UpstreamError('network', `cannot reach the upstream ${new URL(url).host}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    const remaining = res.headers.get('ratelimit-remaining');
    if (remaining !== null && this.options.onRateLimitHeaders) {
      const limit = res.headers.get('ratelimit-limit');
      this.options.onRateLimitHeaders(leadingNumber(remaining), leadingNumber(limit));
    }
    if (res.status === 429) {
      const wait = parseRetryAfter(res.headers.get('retry-after'));
      this.options.bucket?.pause(wait);
      await res.body?.cancel();
      throw new UpstreamError('rate-limited', `the upstream answered 429 too many requests${wait !== undefined ? ` (retry after ${Math.ceil(wait / 1000)} s)` : ''}`, 429, wait);
    }
    return res;
  }
}

/** What a write needs: push and pull on the repository. */
function pushScopes(repository: string): string[] {
  return [`repository:${repository}:pull,push`];
}

function basic(c: UpstreamCredentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** "100;w=21600" (Docker Hub's form) -> 100. */
function leadingNumber(value: string | null): number | undefined {
  const m = value ? /^\s*(\d+)/.exec(value) : null;
  return m ? Number(m[1]) : undefined;
}

async function expectOk(res: Response, what: string): Promise<void> {
  if (res.ok) return;
  await res.body?.cancel();
  if (res.status >= 500) throw new UpstreamError('server', `the upstream failed ${what}: ${res.status}`, res.status);
  if (res.status === 401 || res.status === 403) throw new UpstreamError('auth', `the upstream refused ${what}: ${res.status}`, res.status);
  throw new UpstreamError('invalid', `the upstream answered ${what} with ${res.status}`, res.status);
}

function mediaTypeOf(res: Response, body?: Buffer): string {
  const header = res.headers.get('content-type')?.split(';')[0]?.trim();
  if (header && header !== 'application/json' && header !== 'text/plain') return header;
  if (body) {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { mediaType?: string; manifests?: unknown };
      if (parsed.mediaType) return parsed.mediaType;
      return parsed.manifests ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
    } catch { /* fall through */ }
  }
  return header ?? 'application/octet-stream';
}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        await res.body?.cancel().catch(() => {});
        throw new UpstreamError('invalid', `the upstream's manifest is larger than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError('network', `the upstream's answer broke off: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks);
}
