// A small client of the OCI distribution API, for pulling an artifact (a vulnerability feed
// mirrored like any image) from a registry, Berth itself included: manifest by tag or digest,
// blobs as streams, Basic credentials or Docker token auth (the 401 challenge's realm). Plain
// HTTP only for loopback hosts or when asked, as docker does for localhost.
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Readable } from 'node:stream';
import { digestOf } from '../../../core/digest.ts';
import { parseManifest, type ManifestFacts } from '../../../core/manifest.ts';
import { MediaType } from '../../../core/mediatypes.ts';

export interface OciRef {
  readonly host: string;
  readonly repository: string;
  /** A tag or a digest. */
  readonly reference: string;
}

export interface OciClientOptions {
  readonly username?: string;
  readonly password?: string;
  /** Use http:// even for a host that is not loopback. */
  readonly plainHttp?: boolean;
  readonly timeoutMs?: number;
}

export class OciClientError extends Error {}

/** Parses oci://HOST[:PORT]/REPO[:TAG|@DIGEST] (the tag defaults to latest). */
export function parseOciRef(value: string): OciRef {
  const m = /^oci:\/\/([^/]+)\/(.+)$/.exec(value);
  if (!m) throw new OciClientError(`${value} is not an oci://HOST/REPOSITORY:TAG reference`);
  const host = m[1]!;
  let rest = m[2]!;
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (!rest || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(rest)) throw new OciClientError(`${value}: ${rest} is not a repository name`);
  return { host, repository: rest, reference };
}

const ACCEPT = [MediaType.OciManifest, MediaType.DockerManifest, MediaType.OciIndex, MediaType.DockerManifestList].join(', ');

export class OciClient {
  private token?: string;
  private readonly base: string;

  constructor(private readonly ref: OciRef, private readonly options: OciClientOptions = {}) {
    const hostname = ref.host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const loopback = hostname === 'localhost' || hostname === '::1' || /^127\./.test(hostname);
    this.base = `${options.plainHttp || loopback ? 'http' : 'https'}://${ref.host}`;
  }

  /** The manifest the reference names, checked against its digest when it is one. */
  async manifest(reference = this.ref.reference): Promise<{ digest: string; mediaType: string; bytes: Buffer; facts: ManifestFacts }> {
    const res = await this.get(`/v2/${this.ref.repository}/manifests/${reference}`, { accept: ACCEPT });
    const bytes = Buffer.from(await res.arrayBuffer());
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const digest = reference.includes(':') ? reference : res.headers.get('docker-content-digest') ?? digestOf(bytes);
    if (reference.includes(':') && digestOf(bytes, reference.startsWith('sha512:') ? 'sha512' : 'sha256') !== reference) {
      throw new OciClientError(`the manifest ${reference} from ${this.ref.host} does not match its digest`);
    }
    return { digest, mediaType, bytes, facts: parseManifest(bytes, mediaType || undefined) };
  }

  /** A blob as a stream (the caller checks its digest while reading). */
  async blob(digest: string): Promise<Readable> {
    const res = await this.get(`/v2/${this.ref.repository}/blobs/${digest}`, {});
    if (!res.body) throw new OciClientError(`the blob ${digest} has no body`);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  private async get(path: string, headers: Record<string, string>): Promise<Response> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const auth: Record<string, string> = this.token ? { authorization: `Bearer ${this.token}` }
        : this.options.username !== undefined ? { authorization: `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}` } : {};
      let res: Response;
      try {
        res = await fetch(`${this.base}${path}`, { headers: { ...headers, ...auth }, redirect: 'follow', signal: AbortSignal.timeout(this.options.timeoutMs ?? 300_000) });
      } catch (error) {
        throw new OciClientError(`cannot reach ${this.base}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
      }
      if (res.status === 401 && attempt === 0) {
        const challenge = res.headers.get('www-authenticate') ?? '';
        await res.arrayBuffer();
        if (/^Bearer /i.test(challenge)) {
          this.token = await this.fetchToken(challenge);
          continue;
        }
      }
      if (!res.ok) {
        const text = await res.text().catch(() => '');
        throw new OciClientError(`${this.base}${path} answered ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`);
      }
      return res;
    }
    throw new OciClientError(`${this.base}${path}: the registry refused the credentials`);
  }

  /** The Docker token flow: GET the challenge's realm with service and scope. */
  private async fetchToken(challenge: string): Promise<string> {
    const params = new Map<string, string>();
    for (const m of challenge.matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!);
    const realm = params.get('realm');
    if (!realm) throw new OciClientError(`the registry's challenge has no realm: ${challenge}`);
    const url = new URL(realm);
    if (params.has('service')) url.searchParams.set('service', params.get('service')!);
    url.searchParams.set('scope', params.get('scope') ?? `repository:${this.ref.repository}:pull`);
    const headers: Record<string, string> = this.options.username !== undefined
      ? { authorization: `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}` } : {};
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
    if (!res.ok) throw new OciClientError(`the token service ${url.origin} answered ${res.status}`);
    const body = await res.json() as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new OciClientError('the token service answered without a token');
    return token;
  }
}
