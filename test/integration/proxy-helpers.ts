// For the proxy tests: an upstream registry (Distribution 2.8.2, Debian's docker-registry) with
// htpasswd auth, behind a TCP front written here that counts the blob GETs that reach the upstream
// and can stall and cut its connections mid-body (the upstream dying mid-blob).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const UPSTREAM_USER = 'upstream-user';
export const UPSTREAM_PASSWORD = 'upstream-Pa55word';

function need(command: string, pkg: string): void {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the proxy tests need ${command}: apt-get install -y --no-install-recommends ${pkg}`);
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface Upstream {
  /** The front's URL (what Berth is told to proxy). */
  readonly url: string;
  /** Distribution's own URL, for the test's pushes. */
  readonly directUrl: string;
  readonly authorization: string;
  /** Blob GETs for this digest that passed through the front. */
  blobGets(digest: string): number;
  /** From now on, each connection forwards at most `bytes` of answer and then holds the rest. */
  stallAfter(bytes: number | undefined): void;
  /** Resolves once some connection is holding back an answer (after stallAfter). */
  stalled(): Promise<void>;
  /** Kills Distribution (SIGKILL) and cuts every connection through the front. */
  kill(): Promise<void>;
  /** Starts Distribution again on the same port and data. */
  restart(): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  need('docker-registry', 'docker-registry');
  need('htpasswd', 'apache2-utils');
  const dir = await mkdtemp(join(tmpdir(), 'berth-proxy-upstream-'));
  const port = await freePort();
  const htpasswd = spawnSync('htpasswd', ['-Bbn', UPSTREAM_USER, UPSTREAM_PASSWORD], { encoding: 'utf8' });
  if (htpasswd.status !== 0) throw new Error(`htpasswd failed: ${htpasswd.stderr}`);
  await writeFile(join(dir, 'htpasswd'), htpasswd.stdout.trim() + '\n');
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
    '  secret: berth-proxy-test-only',
    'auth:',
    '  htpasswd:',
    '    realm: upstream',
    `    path: ${join(dir, 'htpasswd')}`,
    '',
  ].join('\n'));
  let output = '';
  let child: ChildProcess | undefined;
  const authorization = `Basic ${Buffer.from(`${UPSTREAM_USER}:${UPSTREAM_PASSWORD}`).toString('base64')}`;
  const directUrl = `http://127.0.0.1:${port}`;

  async function launch(): Promise<void> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('REGISTRY_')) env[k] = v;
    const c = spawn('docker-registry', ['serve', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`docker-registry exited with ${c.exitCode}:\n${output}`);
      try {
        const r = await fetch(`${directUrl}/v2/`, { headers: { authorization } });
        await r.arrayBuffer();
        if (r.status === 200) return;
      } catch { /* not yet */ }
      if (Date.now() > deadline) throw new Error(`docker-registry did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await launch();

  // The front: one upstream connection per client connection; request lines are counted.
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  let stallBytes: number | undefined;
  // Bumped by stallAfter: a kept-alive connection counts its answer bytes from then on.
  let generation = 0;
  const stallWaiters: (() => void)[] = [];
  let anyStalled = false;
  const front: Server = createServer((client) => {
    const server = connect(port, '127.0.0.1');
    sockets.add(client);
    sockets.add(server);
    let head = '';
    client.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      // Whole request heads only; a GET that carries credentials is one the upstream serves
      // (the first, unauthenticated try of a client only fetches the 401 challenge).
      let end: number;
      while ((end = head.indexOf('\r\n\r\n')) >= 0) {
        const one = head.slice(0, end);
        head = head.slice(end + 4);
        const m = /^GET \/v2\/\S+\/blobs\/(sha256:[0-9a-f]{64}) HTTP/.exec(one);
        if (m && /\r\nauthorization:/i.test(one)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
      }
      if (head.length > 65536) head = head.slice(-65536);
      server.write(chunk);
    });
    let sent = 0;
    let seen = generation;
    server.on('data', (chunk: Buffer) => {
      if (seen !== generation) { seen = generation; sent = 0; }
      const limit = stallBytes;
      if (limit === undefined) return void client.write(chunk);
      if (sent >= limit) return;
      const room = limit - sent;
      client.write(room >= chunk.length ? chunk : chunk.subarray(0, room));
      sent += Math.min(room, chunk.length);
      if (sent >= limit) {
        anyStalled = true;
        for (const w of stallWaiters.splice(0)) w();
      }
    });
    const end = () => { client.destroy(); server.destroy(); sockets.delete(client); sockets.delete(server); };
    client.on('close', end);
    server.on('close', end);
    client.on('error', end);
    server.on('error', end);
  });
  const frontPort = await new Promise<number>((res) => front.listen(0, '127.0.0.1', () => res((front.address() as { port: number }).port)));

  const self: Upstream = {
    url: `http://127.0.0.1:${frontPort}`,
    directUrl,
    authorization,
    blobGets: (digest) => counts.get(digest) ?? 0,
    stallAfter(bytes) { stallBytes = bytes; anyStalled = false; generation++; },
    stalled: () => (anyStalled ? Promise.resolve() : new Promise((r) => stallWaiters.push(r))),
    async kill() {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      for (const s of sockets) s.destroy();
    },
    async restart() {
      await self.kill();
      stallBytes = undefined;
      await launch();
    },
    logs: () => output,
    async stop() {
      await self.kill();
      await new Promise((r) => front.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Pushes a blob to Distribution directly (monolithic POST+PUT), with Basic auth. */
export async function pushBlob(up: Upstream, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`${up.directUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { authorization: up.authorization } });
  await start.arrayBuffer();
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const loc = new URL(start.headers.get('location')!, up.directUrl);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', headers: { authorization: up.authorization, 'content-type': 'application/octet-stream' }, body: data });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`upload put: ${put.status}`);
  return digest;
}

export async function pushManifest(up: Upstream, repo: string, reference: string, body: string, mediaType: string): Promise<string> {
  const res = await fetch(`${up.directUrl}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { authorization: up.authorization, 'content-type': mediaType }, body });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`manifest put: ${res.status} ${text}`);
  return sha256(Buffer.from(body));
}

export interface UpstreamImage {
  readonly manifest: string;
  readonly digest: string;
  readonly config: Buffer;
  readonly layers: Buffer[];
}

/** An OCI image of random layers, pushed to the upstream under `tag`. */
export async function pushImage(up: Upstream, repo: string, tag: string, layerSizes: number[] = [1024]): Promise<UpstreamImage> {
  const layers = layerSizes.map((n) => randomBytes(n));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) }, config: {} }));
  await pushBlob(up, repo, config);
  for (const l of layers) await pushBlob(up, repo, l);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
  });
  const digest = await pushManifest(up, repo, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  return { manifest, digest, config, layers };
}
