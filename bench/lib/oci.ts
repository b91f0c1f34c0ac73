// A minimal OCI distribution client on undici: just the requests the workloads make, with the
// status checks that keep a broken server from producing a fast-looking number.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Pool, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const MANIFEST_ACCEPT = [
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export type Body = Dispatcher.ResponseData['body'];

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Body;
}

export class HttpError extends Error {
  constructor(what: string, readonly status: number, detail: string) {
    super(`${what}: HTTP ${status}${detail ? ` ${detail.slice(0, 300)}` : ''}`);
  }
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function header(res: Response, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export interface SmallImage {
  config: Buffer;
  configDigest: string;
  layer: Buffer;
  layerDigest: string;
  manifest: Buffer;
  manifestDigest: string;
}

/** A unique small image: a 1 KiB random layer, its config and an OCI image manifest. */
export function makeSmallImage(label: string, layerBytes = 1024): SmallImage {
  const layer = randomBytes(layerBytes);
  const layerDigest = sha256(layer);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Labels: { 'bench.label': label } },
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
  }));
  const configDigest = sha256(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length },
    layers: [{ mediaType: OCI_LAYER, digest: layerDigest, size: layer.length }],
  }));
  return { config, configDigest, layer, layerDigest, manifest, manifestDigest: sha256(manifest) };
}

export interface Hit {
  status: number;
  headers: Record<string, string>;
  bytes: number;
}

export class OciClient {
  readonly pool: Pool;

  /** `defaults`: headers sent with every request (an Authorization for a Berth with auth builtin). */
  constructor(readonly origin: string, connections: number, private readonly defaults?: Record<string, string>) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
      connectTimeout: 10_000,
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  async request(
    method: Dispatcher.HttpMethod,
    pathOrUrl: string,
    headers: Record<string, string> = {},
    body?: Buffer | Readable | string,
  ): Promise<Response> {
    const url = new URL(pathOrUrl, this.origin);
    if (url.origin === this.origin) {
      // The default headers (credentials) go to this origin only, never along a redirect.
      if (this.defaults) headers = { ...this.defaults, ...headers };
      const res = await this.pool.request({ method, path: url.pathname + url.search, headers, body, reset: false });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    }
    // Somewhere else (a redirect to object storage, say): a one-off request.
    const res = await undiciRequest(url, { method, headers, body });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  /** Checks the status; on a mismatch reads the error body into the exception. */
  async expect(res: Response, ok: number | number[], what: string): Promise<void> {
    const want = Array.isArray(ok) ? ok : [ok];
    if (want.includes(res.status)) return;
    let text = '';
    try {
      text = (await res.body.text()).trim();
    } catch {
      // the body is only for the message
    }
    throw new HttpError(what, res.status, text);
  }

  private location(res: Response, what: string): string {
    const loc = header(res, 'location');
    if (!loc) throw new Error(`${what}: no Location header`);
    return loc;
  }

  static withDigest(location: string, digest: string, origin: string): string {
    const url = new URL(location, origin);
    url.searchParams.set('digest', digest);
    return url.toString();
  }

  /** POST /v2/<repo>/blobs/uploads/ and return the upload URL. */
  async startUpload(repo: string): Promise<string> {
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { 'content-length': '0' });
    await this.expect(res, 202, `POST /v2/${repo}/blobs/uploads/`);
    await res.body.dump();
    return this.location(res, 'POST upload');
  }

  /** Monolithic push: POST, then PUT ?digest= with the whole body. */
  async pushBlob(repo: string, digest: string, size: number, body: Buffer | (() => Readable)): Promise<void> {
    const loc = await this.startUpload(repo);
    const res = await this.request('PUT', OciClient.withDigest(loc, digest, this.origin), {
      'content-type': 'application/octet-stream',
      'content-length': String(size),
    }, Buffer.isBuffer(body) ? body : body());
    await this.expect(res, 201, `PUT blob ${digest} to ${repo}`);
    await res.body.dump();
  }

  /** Chunked push of a file: POST, PATCH each chunk with Content-Range, PUT ?digest= with no body. */
  async pushBlobChunked(repo: string, file: string, digest: string, size: number, chunkSize: number): Promise<number> {
    let loc = await this.startUpload(repo);
    let chunks = 0;
    for (let start = 0; start < size; start += chunkSize) {
      const end = Math.min(size, start + chunkSize) - 1;
      const res = await this.request('PATCH', loc, {
        'content-type': 'application/octet-stream',
        'content-length': String(end - start + 1),
        'content-range': `${start}-${end}`,
      }, createReadStream(file, { start, end, highWaterMark: 1024 * 1024 }));
      await this.expect(res, 202, `PATCH ${repo} upload bytes ${start}-${end}`);
      await res.body.dump();
      loc = this.location(res, 'PATCH upload');
      chunks++;
    }
    const res = await this.request('PUT', OciClient.withDigest(loc, digest, this.origin), { 'content-length': '0' });
    await this.expect(res, 201, `PUT (close) chunked upload ${digest} to ${repo}`);
    await res.body.dump();
    return chunks;
  }

  /**
   * The cheapest request undici can make: dispatch straight on the pool, count the body's
   * bytes and keep none of them. The hot loops and the big pull use this, so the load
   * generator spends as little CPU per request as it can.
   */
  hit(method: Dispatcher.HttpMethod, path: string, headers: Record<string, string> = {}): Promise<Hit> {
    if (this.defaults) headers = { ...this.defaults, ...headers };
    return new Promise((ok, fail) => {
      let status = 0;
      let bytes = 0;
      const hdrs: Record<string, string> = {};
      // reset: false keeps the connection alive after a HEAD (undici closes it by default)
      this.pool.dispatch({ method, path, headers, reset: false }, {
        onConnect() {},
        onHeaders(code: number, raw: Buffer[] | string[]) {
          status = code;
          for (let i = 0; i + 1 < raw.length; i += 2) hdrs[String(raw[i]).toLowerCase()] = String(raw[i + 1]);
          return true;
        },
        onData(chunk: Buffer) {
          bytes += chunk.length;
          return true;
        },
        onComplete() {
          ok({ status, headers: hdrs, bytes });
        },
        onError(err: Error) {
          fail(err);
        },
      });
    });
  }

  /** Like hit(), but throws unless the status is `want`. */
  async hitOk(method: Dispatcher.HttpMethod, path: string, want: number, headers: Record<string, string> = {}): Promise<Hit> {
    const h = await this.hit(method, path, headers);
    if (h.status !== want) throw new HttpError(`${method} ${path}`, h.status, '');
    return h;
  }

  /** GET a blob and count its bytes (following one same-origin redirect). Returns the byte count. */
  async pullBlob(repo: string, digest: string): Promise<number> {
    let h = await this.hit('GET', `/v2/${repo}/blobs/${digest}`);
    if ([301, 302, 303, 307, 308].includes(h.status) && h.headers.location) {
      const url = new URL(h.headers.location, this.origin);
      if (url.origin !== this.origin) throw new Error(`blob GET redirects off-origin to ${url.origin}; the bench only measures loopback`);
      h = await this.hit('GET', url.pathname + url.search);
    }
    if (h.status !== 200) throw new HttpError(`GET blob ${digest} from ${repo}`, h.status, '');
    return h.bytes;
  }

  /** HEAD a blob; returns its size, or undefined on 404. */
  async headBlob(repo: string, digest: string): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`);
    await res.body.dump();
    if (res.status === 404) return undefined;
    await this.expect(res, [200, 307], `HEAD blob ${digest} in ${repo}`);
    return Number(header(res, 'content-length') ?? Number.NaN);
  }

  /**
   * Make `digest` present in `repo`: a cross-repository mount from `from`, or, when the
   * server answers the mount with an upload session instead (202), a monolithic upload.
   */
  async mountOrPush(repo: string, from: string, digest: string, data: Buffer): Promise<void> {
    const q = `mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?${q}`, { 'content-length': '0' });
    await this.expect(res, [201, 202], `POST mount ${digest} into ${repo}`);
    await res.body.dump();
    if (res.status === 201) return;
    const put = await this.request('PUT', OciClient.withDigest(this.location(res, 'mount fallback'), digest, this.origin), {
      'content-type': 'application/octet-stream',
      'content-length': String(data.length),
    }, data);
    await this.expect(put, 201, `PUT blob ${digest} to ${repo}`);
    await put.body.dump();
  }

  async putManifest(repo: string, ref: string, manifest: Buffer, mediaType = OCI_MANIFEST): Promise<void> {
    const res = await this.request('PUT', `/v2/${repo}/manifests/${ref}`, {
      'content-type': mediaType,
      'content-length': String(manifest.length),
    }, manifest);
    await this.expect(res, 201, `PUT manifest ${repo}:${ref}`);
    await res.body.dump();
  }

  /** Pushes a whole small image (both blobs uploaded, then the manifest under `tag`). */
  async pushSmallImage(repo: string, tag: string, img: SmallImage): Promise<void> {
    await this.pushBlob(repo, img.configDigest, img.config.length, img.config);
    await this.pushBlob(repo, img.layerDigest, img.layer.length, img.layer);
    await this.putManifest(repo, tag, img.manifest);
  }
}

/** The `<...>; rel="next"` target of a Link header, if any. */
export function nextLink(res: Response): string | undefined {
  const link = header(res, 'link');
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m?.[1];
}
