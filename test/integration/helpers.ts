// Shared helpers for the /v2 integration suites: they drive a real server over real HTTP, written
// from the OCI distribution-spec v1.1, not from Berth's code.
//
// The target is Berth (`berth serve --auth none`) unless IT_TARGET=distribution, a development
// switch that runs the same requests against CNCF Distribution 2.8.2 (Debian's docker-registry) to
// check that the tests encode the protocol and not one implementation. CI always runs Berth, and
// also runs the distribution-API files with IT_TARGET=cluster (scripts/test.mjs): every
// startServer() is then a cluster of its own (scripts/cluster-up.sh with CLUSTER_AUTH=none:
// PostgreSQL, Ceph radosgw, 3 instances, haproxy round-robin) and every request goes through
// haproxy. A cluster is Berth, so isBerth holds and berthOnly() tests run; what one process alone
// can do (restart(), kill(), its data dir) throws on a cluster, naming why.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { digestOf, type DigestAlgorithm } from '../../src/core/digest.ts';
import { MediaType } from '../../src/core/mediatypes.ts';
import { startBerth } from '../helpers/berth-process.ts';
import { startCluster, startMetricsUnion } from '../e2e/helpers/cluster.ts';

export { digestOf, MediaType };

export type Target = 'berth' | 'distribution' | 'cluster';
export const TARGET: Target = targetOf(process.env.IT_TARGET);
/** Berth, alone or as a cluster behind haproxy. */
export const isBerth = TARGET === 'berth' || TARGET === 'cluster';

function targetOf(v: string | undefined): Target {
  if (v === undefined || v === '' || v === 'berth') return 'berth';
  if (v === 'distribution' || v === 'cluster') return v;
  throw new Error(`IT_TARGET must be berth (the default), cluster or distribution, not ${JSON.stringify(v)}`);
}

/** Every manifest type a client may ask for; sent on manifest GET/HEAD so no conversion is needed. */
export const ACCEPT_ALL_MANIFESTS = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
].join(', ');

export const LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_LAYER_MEDIA_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

// ---------------------------------------------------------------------------------------------
// Servers

export interface Server {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Berth's metrics listener (/metrics); Distribution has none here. */
  readonly metricsUrl?: string;
  logs(): string;
  /** SIGTERM and wait; resolves with the exit code (null when killed by the signal). */
  stop(): Promise<number | null>;
  /** SIGKILL and wait: no chance to flush or clean up. */
  kill(): Promise<void>;
  /** Stops (if running) and starts a new process on the same port and data directory. */
  restart(): Promise<Server>;
}

export interface StartServerOptions {
  dataDir?: string;
}

/** Starts the server under test: Berth with auth none (the default), a cluster of it, or Distribution in development. */
export async function startServer(options: StartServerOptions = {}): Promise<Server> {
  if (TARGET === 'cluster') return startClusterServer(options.dataDir);
  return TARGET === 'distribution' ? startDistribution(options.dataDir) : startBerthServer(options.dataDir);
}

/**
 * A cluster of its own for each call (a test that lists the catalog needs a registry holding only
 * its repositories), about 10 s to start. metricsUrl is the union of the instances' metrics
 * listeners (startMetricsUnion), so a counter read there counts every request haproxy sent.
 */
async function startClusterServer(dataDir?: string): Promise<Server> {
  if (dataDir) throw new Error('IT_TARGET=cluster: a cluster keeps its data in PostgreSQL and S3, not in a data directory of the test\'s choosing');
  const cluster = await startCluster({ auth: 'none' });
  let metrics: Awaited<ReturnType<typeof startMetricsUnion>>;
  try {
    metrics = await startMetricsUnion(cluster.instances);
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  const notApplicable = (what: string) => (): never => {
    throw new Error(`IT_TARGET=cluster: ${what} is not applicable to a cluster (${cluster.instances.length} instances behind haproxy); mark the test berthOnly-style or skip it with that reason`);
  };
  return {
    url: cluster.url,
    host: cluster.host,
    port: cluster.port,
    metricsUrl: metrics.url,
    get dataDir(): string { return notApplicable('the data directory of one process')(); },
    logs: () => cluster.logs(),
    async stop() {
      await metrics.close();
      await cluster.stop();
      return 0;
    },
    kill: notApplicable('kill() of one process'),
    restart: notApplicable('restart() of one process'),
  };
}

async function startBerthServer(dataDir?: string): Promise<Server> {
  const p = await startBerth({ auth: 'none', ...(dataDir ? { dataDir } : {}) });
  const wrap = (proc: typeof p): Server => ({
    url: proc.url,
    host: proc.host,
    port: proc.port,
    metricsUrl: proc.metricsUrl,
    dataDir: proc.dataDir,
    logs: () => proc.logs(),
    stop: () => proc.stop(),
    kill: () => proc.kill(),
    restart: async () => wrap(await proc.restart()),
  });
  return wrap(p);
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

async function startDistribution(dataDir?: string, fixedPort?: number): Promise<Server> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'berth-it-distribution-')));
  const port = fixedPort ?? (await freePort());
  const config = join(dir, 'config.yml');
  await writeFile(config, [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: berth-integration-development-only',
    '',
  ].join('\n'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('REGISTRY_')) env[k] = v;
  const child = spawn('docker-registry', ['serve', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}:\n${output}`);
    try {
      const r = await fetch(`${url}/v2/`);
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`docker-registry did not start within 15 s:\n${output}`);
    await sleep(100);
  }
  const self: Server = {
    url,
    host: `127.0.0.1:${port}`,
    port,
    dataDir: dir,
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await self.stop();
      return startDistribution(dir, port);
    },
  };
  return self;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

// ---------------------------------------------------------------------------------------------
// HTTP

/** Resolves a path or a Location header (relative or absolute) against the server. */
export function abs(srv: Server, location: string): string {
  return new URL(location, `${srv.url}/`).href;
}

/** Adds query parameters to a URL that may already carry some (Locations are opaque). */
export function withQuery(url: string, params: Record<string, string>): string {
  assert.ok(/^https?:\/\//.test(url), `withQuery needs an absolute URL (use abs()), got ${url}`);
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
  return u.href;
}

export interface CallInit {
  headers?: Record<string, string>;
  body?: Uint8Array | string | ReadableStream<Uint8Array>;
}

/** fetch against the server; `path` is a path or an absolute URL (e.g. a Location). */
export async function call(srv: Server, method: string, path: string, init: CallInit = {}): Promise<Response> {
  // Pulls may redirect (spec: 307 to storage); a redirect of anything else would replay a body.
  const redirect = method === 'GET' || method === 'HEAD' ? 'follow' : 'manual';
  const opts: RequestInit & { duplex?: 'half' } = { method, headers: init.headers ?? {}, redirect };
  if (init.body !== undefined) {
    opts.body = init.body as NonNullable<RequestInit['body']>;
    if (init.body instanceof ReadableStream) opts.duplex = 'half';
  }
  return fetch(abs(srv, path), opts);
}

/** The Location header, resolved to an absolute URL; fails the test when missing. */
export function location(srv: Server, res: Response): string {
  const loc = res.headers.get('location');
  assert.ok(loc, `${res.status} response to ${res.url} has no Location header`);
  return abs(srv, loc);
}

/** The path of a Location header, whether it is relative or absolute. */
export function locationPath(srv: Server, res: Response): string {
  return new URL(location(srv, res)).pathname;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A request on a raw socket, with the path sent exactly as given (no URL normalization of `..`,
 * `%2e%2e` or `//`). A server may answer (e.g. 413) and close before it has read the whole body;
 * the answer still counts, so write errors are ignored once the socket closes.
 */
export function raw(srv: Server, method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<RawResponse> {
  return new Promise((res, rej) => {
    const sock = connect(srv.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const done = (r: RawResponse): void => { settled = true; sock.destroy(); res(r); };
    const finish = (): void => {
      if (settled) return;
      try { done(parseRawResponse(Buffer.concat(chunks))); } catch (e) { settled = true; rej(e as Error); }
    };
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      const complete = completeResponse(Buffer.concat(chunks), method);
      if (complete && !settled) done(complete);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') finish();
      else if (!settled) { settled = true; rej(e); }
    });
    sock.on('close', finish);
    sock.on('connect', () => {
      const h: Record<string, string> = { host: srv.host, ...headers };
      if (body !== undefined && h['content-length'] === undefined) h['content-length'] = String(Buffer.byteLength(body));
      const head = [`${method} ${path} HTTP/1.1`, ...Object.entries(h).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
      sock.write(`${head}\r\n\r\n`);
      if (body !== undefined) sock.write(body);
    });
  });
}

/** The parsed response once all of it has arrived (by Content-Length or the last chunk), else undefined. */
function completeResponse(data: Buffer, method: string): RawResponse | undefined {
  const split = data.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const head = data.subarray(0, split).toString('latin1').toLowerCase();
  const status = Number(head.slice(9, 12));
  const rest = data.length - split - 4;
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (method === 'HEAD' || status === 204 || status === 304) return parseRawResponse(data);
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) return data.subarray(split + 4).includes('\r\n0\r\n\r\n') || data.subarray(split + 4).toString('latin1').startsWith('0\r\n\r\n') ? parseRawResponse(data) : undefined;
  if (cl) return rest >= Number(cl[1]) ? parseRawResponse(data) : undefined;
  return undefined; // delimited by close
}

function parseRawResponse(data: Buffer): RawResponse {
  const split = data.indexOf('\r\n\r\n');
  assert.ok(split > 0, `no HTTP response received (got ${JSON.stringify(data.toString('latin1').slice(0, 200))})`);
  const lines = data.subarray(0, split).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!);
  assert.ok(m, `bad status line ${JSON.stringify(lines[0])}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = data.subarray(split + 4);
  if (String(headers['transfer-encoding'] ?? '').toLowerCase() === 'chunked') {
    const out: Buffer[] = [];
    let o = 0;
    for (;;) {
      const eol = body.indexOf('\r\n', o);
      if (eol < 0) break;
      const size = parseInt(body.subarray(o, eol).toString('latin1'), 16);
      if (!size) break;
      out.push(body.subarray(eol + 2, eol + 2 + size));
      o = eol + 2 + size + 2;
    }
    body = Buffer.concat(out);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status: Number(m[1]), headers, body };
}

/**
 * Sends a request whose body is shorter than its Content-Length on a raw socket: the request line,
 * the headers and `partial`, then ends the socket. Resolves with whatever the server wrote back
 * (often nothing) once the socket is closed.
 */
export function sendTruncated(srv: Server, method: string, path: string, headers: Record<string, string>, declaredLength: number, partial: Uint8Array): Promise<string> {
  return new Promise((res, rej) => {
    const sock = connect(srv.port, '127.0.0.1');
    let received = '';
    sock.on('data', (c: Buffer) => { received += c.toString('latin1'); });
    sock.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'ECONNRESET' || e.code === 'EPIPE') res(received); else rej(e); });
    sock.on('close', () => res(received));
    sock.on('connect', () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: ${srv.host}`, `Content-Length: ${declaredLength}`, 'Connection: close'];
      for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
      sock.write(partial, () => {
        // Give the server a moment to start consuming the body before the connection ends.
        setTimeout(() => sock.end(), 200);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// OCI error bodies

export interface OciError {
  code: string;
  message: string;
  detail?: unknown;
}

/** Parses and checks an OCI error body: {"errors":[{"code","message","detail"?}]}. */
export function parseErrors(text: string, where = 'response'): OciError[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${where}: error body is not JSON: ${JSON.stringify(text.slice(0, 300))}`);
  }
  assert.ok(body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors), `${where}: error body lacks an "errors" array: ${text.slice(0, 300)}`);
  const errors = (body as { errors: unknown[] }).errors;
  assert.ok(errors.length > 0, `${where}: "errors" is empty`);
  for (const e of errors) {
    assert.ok(e && typeof e === 'object', `${where}: an error entry is not an object: ${text.slice(0, 300)}`);
    const { code, message } = e as { code?: unknown; message?: unknown };
    assert.equal(typeof code, 'string', `${where}: error entry without a string "code": ${text.slice(0, 300)}`);
    assert.match(code as string, /^[A-Z_]+$/, `${where}: error code must be upper case with underscores`);
    if (message !== undefined) assert.equal(typeof message, 'string', `${where}: "message" must be a string`);
  }
  return errors as OciError[];
}

function describeReq(res: Response): string {
  return `${res.url}`;
}

/**
 * Asserts an OCI error answer: the status, a JSON content type and a body whose errors include
 * `code`. Returns the parsed errors.
 */
export async function expectError(res: Response, status: number | number[], code: string | string[], what = ''): Promise<OciError[]> {
  const text = await res.text();
  const statuses = Array.isArray(status) ? status : [status];
  const codes = Array.isArray(code) ? code : [code];
  const where = `${what ? `${what}: ` : ''}${describeReq(res)}`;
  assert.ok(statuses.includes(res.status), `${where}: expected status ${statuses.join(' or ')}, got ${res.status} with body ${text.slice(0, 300)}`);
  assert.match(res.headers.get('content-type') ?? '', /json/, `${where}: error content-type is ${res.headers.get('content-type')}, expected JSON`);
  const errors = parseErrors(text, where);
  assert.ok(errors.some((e) => codes.includes(e.code)), `${where}: expected error code ${codes.join(' or ')}, got ${errors.map((e) => e.code).join(', ')}`);
  return errors;
}

/** The same for a node:http response. */
export function expectRawError(r: RawResponse, status: number | number[], code: string | string[], what = ''): OciError[] {
  const statuses = Array.isArray(status) ? status : [status];
  const codes = Array.isArray(code) ? code : [code];
  const text = r.body.toString();
  assert.ok(statuses.includes(r.status), `${what}: expected status ${statuses.join(' or ')}, got ${r.status} with body ${text.slice(0, 300)}`);
  assert.match(String(r.headers['content-type'] ?? ''), /json/, `${what}: error content-type is ${r.headers['content-type']}, expected JSON`);
  const errors = parseErrors(text, what);
  assert.ok(errors.some((e) => codes.includes(e.code)), `${what}: expected error code ${codes.join(' or ')}, got ${errors.map((e) => e.code).join(', ')}`);
  return errors;
}

/** Asserts a status, with the body in the message when it differs. Consumes the body. */
export async function expectStatus(res: Response, status: number | number[], what = ''): Promise<Buffer> {
  const body = Buffer.from(await res.arrayBuffer());
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(res.status), `${what ? `${what}: ` : ''}${res.url}: expected status ${statuses.join(' or ')}, got ${res.status} with body ${body.toString().slice(0, 300)}`);
  return body;
}

// ---------------------------------------------------------------------------------------------
// Content

export function randomBlob(size: number): Buffer {
  return randomBytes(size);
}

/** A unique repository name for one test, so tests in one server never share state by accident. */
let counter = 0;
export function repoName(prefix = 'it'): string {
  counter += 1;
  return `${prefix}/r${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

/** Parses an upload Range header `0-<last>` (also tolerating `bytes=`); returns the last byte index. */
export function rangeEnd(value: string | null): number {
  assert.ok(value, 'upload response has no Range header');
  const m = /^(?:bytes=)?0-(\d+)$/.exec(value);
  assert.ok(m, `Range header ${JSON.stringify(value)} is not of the form 0-<last>`);
  return Number(m[1]);
}

/** Starts an upload session (POST with Content-Length: 0) and returns its absolute Location. */
export async function startUpload(srv: Server, repo: string): Promise<string> {
  const res = await call(srv, 'POST', `/v2/${repo}/blobs/uploads/`, { headers: { 'content-length': '0' } });
  await expectStatus(res, 202, `POST /v2/${repo}/blobs/uploads/`);
  return location(srv, res);
}

/**
 * Uploads a blob with POST then PUT (the flow every registry MUST support) and returns its digest.
 */
export async function uploadBlob(srv: Server, repo: string, data: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Promise<string> {
  const digest = digestOf(data, algorithm);
  const loc = await startUpload(srv, repo);
  const res = await call(srv, 'PUT', withQuery(loc, { digest }), {
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    body: data,
  });
  await expectStatus(res, 201, `PUT upload of ${digest} to ${repo}`);
  return digest;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export function descriptor(mediaType: string, data: Uint8Array | string, extra: Partial<Descriptor> = {}): Descriptor {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra };
}

export interface PushedImage {
  repo: string;
  tag?: string;
  /** The manifest bytes exactly as pushed. */
  manifest: Buffer;
  mediaType: string;
  digest: string;
  config: { data: Buffer; digest: string };
  layers: { data: Buffer; digest: string }[];
}

export interface PushImageOptions {
  /** Push by this tag; by digest when omitted. */
  tag?: string;
  layers?: number;
  layerSize?: number;
  /** 'oci' (default) or 'docker' (v2 schema 2). */
  format?: 'oci' | 'docker';
  annotations?: Record<string, string>;
  /** Extra top-level manifest fields (artifactType, subject, ...). */
  extra?: Record<string, unknown>;
  /** JSON indentation; odd spacing proves the registry keeps the exact bytes. */
  indent?: number;
  /** Upload the blobs and build the manifest, but do not PUT it. */
  noPut?: boolean;
}

/** Pushes config + layers + manifest and returns what was pushed. */
export async function pushImage(srv: Server, repo: string, options: PushImageOptions = {}): Promise<PushedImage> {
  const format = options.format ?? 'oci';
  const configJson = { architecture: 'amd64', os: 'linux', created: new Date().toISOString(), rootfs: { type: 'layers', diff_ids: [] as string[] }, config: {}, salt: randomBytes(8).toString('hex') };
  const layers: { data: Buffer; digest: string }[] = [];
  for (let i = 0; i < (options.layers ?? 2); i++) {
    const data = randomBlob(options.layerSize ?? 1024 + i);
    layers.push({ data, digest: await uploadBlob(srv, repo, data) });
    configJson.rootfs.diff_ids.push(digestOf(data));
  }
  const configData = Buffer.from(JSON.stringify(configJson));
  const configDigest = await uploadBlob(srv, repo, configData);
  const mediaType = format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest;
  const manifestObj: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    ...(options.extra ?? {}),
    config: descriptor(format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig, configData),
    layers: layers.map((l) => descriptor(format === 'oci' ? LAYER_MEDIA_TYPE : DOCKER_LAYER_MEDIA_TYPE, l.data)),
  };
  if (options.annotations) manifestObj.annotations = options.annotations;
  const manifest = Buffer.from(JSON.stringify(manifestObj, null, options.indent ?? 3));
  const digest = digestOf(manifest);
  if (options.noPut) return { repo, manifest, mediaType, digest, config: { data: configData, digest: configDigest }, layers };
  const res = await putManifest(srv, repo, options.tag ?? digest, manifest, mediaType);
  await expectStatus(res, 201, `PUT manifest ${repo}:${options.tag ?? digest}`);
  return { repo, ...(options.tag ? { tag: options.tag } : {}), manifest, mediaType, digest, config: { data: configData, digest: configDigest }, layers };
}

export function putManifest(srv: Server, repo: string, reference: string, body: Uint8Array | string, mediaType: string): Promise<Response> {
  return call(srv, 'PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body });
}

export function getManifest(srv: Server, repo: string, reference: string, method: 'GET' | 'HEAD' = 'GET'): Promise<Response> {
  return call(srv, method, `/v2/${repo}/manifests/${reference}`, { headers: { accept: ACCEPT_ALL_MANIFESTS } });
}

/** Asserts that a manifest GETs with exactly the given bytes, media type and digest. */
export async function expectManifest(srv: Server, repo: string, reference: string, bytes: Buffer, mediaType: string, what = ''): Promise<void> {
  const res = await getManifest(srv, repo, reference);
  const body = await expectStatus(res, 200, `${what} GET manifest ${repo}:${reference}`);
  assert.equal(res.headers.get('content-type')?.split(';')[0]?.trim(), mediaType, `${what} Content-Type of ${repo}:${reference}`);
  assert.equal(res.headers.get('docker-content-digest'), digestOf(bytes), `${what} Docker-Content-Digest of ${repo}:${reference}`);
  assert.ok(body.equals(bytes), `${what} manifest bytes of ${repo}:${reference} differ from the pushed bytes`);
}

/** Asserts that a blob GETs with exactly the given bytes and its digest header. */
export async function expectBlob(srv: Server, repo: string, data: Buffer, digest = digestOf(data), what = ''): Promise<void> {
  const res = await call(srv, 'GET', `/v2/${repo}/blobs/${digest}`);
  const body = await expectStatus(res, 200, `${what} GET blob ${digest} from ${repo}`);
  expectDigestHeader(res, body, digest, `${what} GET blob ${digest} from ${repo}`);
  assert.ok(body.equals(data), `${what} blob bytes of ${digest} in ${repo} differ (got ${body.length} bytes, expected ${data.length})`);
}

/**
 * Checks Docker-Content-Digest: present, and a digest of `content`. The spec lets the canonical
 * digest differ in algorithm from the requested one; with the same algorithm it must be equal.
 */
export function expectDigestHeader(res: Response, content: Uint8Array, requested: string, what: string): void {
  const header = res.headers.get('docker-content-digest');
  assert.ok(header, `${what}: no Docker-Content-Digest header`);
  const alg = header.split(':')[0];
  assert.ok(alg === 'sha256' || alg === 'sha512', `${what}: Docker-Content-Digest ${header} has an unknown algorithm`);
  assert.equal(header, digestOf(content, alg), `${what}: Docker-Content-Digest does not match the content`);
  if (requested.startsWith(`${alg}:`)) assert.equal(header, requested, `${what}: Docker-Content-Digest differs from the requested digest`);
}

/** Asserts that a previously pushed image is intact: manifest bytes by tag/digest and every blob. */
export async function expectImageIntact(srv: Server, img: PushedImage, what = ''): Promise<void> {
  if (img.tag) await expectManifest(srv, img.repo, img.tag, img.manifest, img.mediaType, what);
  await expectManifest(srv, img.repo, img.digest, img.manifest, img.mediaType, what);
  await expectBlob(srv, img.repo, img.config.data, img.config.digest, what);
  for (const l of img.layers) await expectBlob(srv, img.repo, l.data, l.digest, what);
}

/** Asserts that GET /v2/ answers 200. */
export async function expectAlive(srv: Server, what = ''): Promise<void> {
  const res = await call(srv, 'GET', '/v2/');
  await expectStatus(res, 200, `${what} GET /v2/ (server still serving)`);
}

/** The `rel="next"` target of a Link header, resolved against the server, or undefined. */
export function nextLink(srv: Server, res: Response): URL | undefined {
  const link = res.headers.get('link');
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  assert.ok(m, `Link header ${JSON.stringify(link)} is not of the form <url>; rel="next"`);
  return new URL(m[1]!, `${srv.url}/`);
}

/** Calls `fn` with a skip message when the target cannot do what the test checks (development only). */
export function berthOnly(reason: string): { skip?: string } {
  return isBerth ? {} : { skip: `${TARGET}: ${reason}` };
}
