// A project's vulnerability policy, set with `berth project update --prevent-severity`, as the
// real clients meet it: podman pull, skopeo copy and inspect, and the docker CLI with no daemon
// (`docker manifest inspect`, the one docker command here that fetches a manifest) of an image
// holding lodash 4.17.20 (installed by the real `npm ci`) fail and print the policy's message,
// which names the project's vulnerability policy and the worst advisory; a HEAD (curl -I) is
// still 200; the accounts the policy exempts (a robot, a user) pull while others cannot; after
// --prevent-severity none the same pulls succeed. And --no-scan-on-push: a push stays unscanned
// until `berth scan REF` scans it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok, type CliResult } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { FIXTURES, waitReport } from '../integration/scan-helpers.ts';
import { createClientEnv, type ClientEnv } from './helpers/client-env.ts';
import { buildBusyboxLayout } from './helpers/fixtures.ts';
import type { Credentials, TestRegistry } from './helpers/registry.ts';
import { run, type RunResult } from './helpers/run.ts';
import { gzipLayer, npmCiApp, tarLayer, writeImageLayout, type GzipLayer, type LayoutImage } from './helpers/scan-images.ts';
import { Skopeo } from './helpers/skopeo.ts';
import { requireTools } from './helpers/tools.ts';

const T = { timeout: 300_000 };
const TLS = '--tls-verify=false';
const ADMIN: Credentials = { user: 'admin', password: 'e2e-Admin-pa55word' };
const ALICE: Credentials = { user: 'alice', password: 'e2e-Alice-pa55word' };
const BOB: Credentials = { user: 'bob', password: 'e2e-Bob-pa55word' };
const CAROL: Credentials = { user: 'carol', password: 'e2e-Carol-pa55word' };
/** What every client must print for the blocked image: the policy, and the worst advisory. */
const POLICY = /pull refused by the vulnerability policy of project alice/;
const WORST = /GHSA-35jh-r3h4-6jhm \(high\) in lodash 4\.17\.20, fixed in 4\.17\.21/;
const basic = (c: Credentials) => `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;

type Client = 'podman pull' | 'skopeo copy' | 'skopeo inspect' | 'docker manifest inspect';
const CLIENTS: readonly Client[] = ['podman pull', 'skopeo copy', 'skopeo inspect', 'docker manifest inspect'];

describe('a vulnerability policy refuses the pulls of real clients', { timeout: 30 * 60_000 }, () => {
  let server: BerthProcess;
  let skopeo: Skopeo;
  let setup: ClientEnv;
  let robot: Credentials;
  let busybox: GzipLayer;
  let app: GzipLayer;
  let image: LayoutImage;
  /** How long the scan on push of the first image took (ms). */
  let scanOnPushMs = 0;
  const made: ClientEnv[] = [];

  const cli = (args: string[], as: Credentials = ALICE): Promise<CliResult> =>
    berth([...args, '--url', server.url, '--user', as.user], { env: { BERTH_PASSWORD: as.password } });
  const api = async (method: string, path: string, as: Credentials, body?: unknown) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method, headers: { authorization: basic(as), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };

  /** Pulls NAME as `who` with one client, in a fresh client environment (no cached image, no other login). */
  async function pull(client: Client, who: Credentials, name: string): Promise<RunResult> {
    const env = await createClientEnv(server.host);
    made.push(env);
    const ref = `${server.host}/${name}`;
    const creds = `${who.user}:${who.password}`;
    switch (client) {
      case 'podman pull':
        return env.exec('podman', ['pull', TLS, '--creds', creds, ref]);
      case 'skopeo copy':
        return env.exec('skopeo', ['copy', '--retry-times=0', '--src-tls-verify=false', '--src-creds', creds, `docker://${ref}`, `oci:${await env.scratch('pulled')}:pulled`]);
      case 'skopeo inspect':
        return env.exec('skopeo', ['inspect', TLS, '--creds', creds, `docker://${ref}`]);
      case 'docker manifest inspect': {
        await env.run('docker', ['login', '-u', who.user, '--password-stdin', server.host], { input: who.password });
        return env.exec('docker', ['manifest', 'inspect', '--insecure', ref]);
      }
    }
  }

  async function expectRefused(client: Client, who: Credentials, name: string): Promise<void> {
    const r = await pull(client, who, name);
    assert.notEqual(r.code, 0, `${client} as ${who.user} must be refused:\n${r.stdout}`);
    assert.match(r.stderr, POLICY, `${client} prints the policy's message:\n${r.stderr}`);
    assert.match(r.stderr, WORST, `${client} names the worst advisory:\n${r.stderr}`);
    process.stderr.write(`[scan e2e] ${client} as ${who.user}: ${r.stderr.trim().split('\n').find((l) => POLICY.test(l))}\n`);
  }

  async function expectPulled(client: Client, who: Credentials, name: string): Promise<void> {
    const r = await pull(client, who, name);
    assert.equal(r.code, 0, `${client} as ${who.user} must succeed:\n${r.command}\n${r.stderr}`);
    if (client === 'skopeo inspect') assert.equal((JSON.parse(r.stdout) as { Digest: string }).Digest, image.manifestDigest);
    if (client === 'docker manifest inspect') assert.equal((JSON.parse(r.stdout) as { config: { digest: string } }).config.digest, image.configDigest);
  }

  /** Pushes a layout image as alice with skopeo. */
  async function push(img: LayoutImage, name: string): Promise<void> {
    const digestFile = join(setup.dir, `digest-${name.replace(/\W/g, '_')}`);
    await skopeo.copy(img.source, skopeo.ref(name), ['--digestfile', digestFile], { creds: ALICE });
    assert.equal((await readFile(digestFile, 'utf8')).trim(), img.manifestDigest);
  }

  before(async () => {
    requireTools('skopeo', 'podman', 'docker', 'tar', 'busybox', 'curl');
    const version = (await run('docker', ['--version'])).stdout.trim();
    const major = Number(/^Docker version (\d+)\./.exec(version)?.[1]);
    if (!(major >= 23)) throw new Error(`${version} cannot read OCI manifests with \`docker manifest inspect\` (CLI >= 23 needed; no daemon needed)`);
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN.password } });
    for (const u of [ALICE, BOB, CAROL]) {
      const r = await api('POST', '/users', ADMIN, { name: u.user, password: u.password });
      assert.equal(r.status, 201, r.text);
    }
    // bob and carol may pull from alice's project; neither is exempt at first.
    ok(await cli(['project', 'member', 'add', 'alice', 'bob', '--role', 'guest']));
    ok(await cli(['project', 'member', 'add', 'alice', 'carol', '--role', 'guest']));
    const created = JSON.parse(ok(await cli(['robot', 'create', 'alice', 'puller', '--permissions', 'pull', '--json'])).stdout) as { robot: { name: string }; secret: string };
    robot = { user: created.robot.name, password: created.secret };
    assert.equal(robot.user, 'robot$alice+puller');

    ok(await cli(['vulndb', 'import', join(FIXTURES, 'debian-tracker.json')], ADMIN));
    setup = await createClientEnv(server.host);
    const osvTar = join(setup.dir, 'osv.tar');
    await setup.run('tar', ['-C', FIXTURES, '-cf', osvTar, 'osv']);
    ok(await cli(['vulndb', 'import', osvTar], ADMIN));

    const registry: TestRegistry = { kind: 'berth', url: server.url, host: server.host, logs: () => server.logs(), stop: async () => undefined };
    skopeo = new Skopeo(setup, registry);
    // The image: the static busybox layer, and an app layer with lodash 4.17.20 from `npm ci`.
    const bb = await buildBusyboxLayout(await setup.scratch('busybox'));
    busybox = await gzipLayer(join(bb.layout, 'blobs', 'sha256', bb.layerDigests[0]!.slice(7)));
    const root = await setup.scratch('app-root');
    await npmCiApp(join(root, 'app'), { lodash: '4.17.20' });
    await run('rm', ['-rf', join(root, '.npm-cache')]);
    app = await tarLayer(root, join(await setup.scratch('app-layer'), 'layer.tgz'));
    image = await writeImageLayout(await setup.scratch('layout'), '1', [busybox, app], { label: 'berth-e2e-app 1' });
    await push(image, 'alice/app:1');
    const pushed = Date.now();
    const report = await waitReport(server, [ALICE.user, ALICE.password], 'alice/app', '1');
    scanOnPushMs = Date.now() - pushed;
    assert.equal(report.status, 'done', report.error);
    assert.deepEqual(report.vulnerabilities.map((v: { id: string; severity: string }) => `${v.id} ${v.severity}`).sort(), ['GHSA-29mw-wpgm-hmr9 medium', 'GHSA-35jh-r3h4-6jhm high']);
  });

  after(async () => {
    if (process.env.E2E_SERVER_LOGS) console.log(server?.logs());
    for (const env of made) await env.cleanup();
    await setup?.cleanup();
    await server?.stop();
  });

  it('berth project update --prevent-severity high sets the policy', T, async () => {
    const r = ok(await cli(['project', 'update', 'alice', '--prevent-severity', 'high']));
    assert.match(r.stdout, /Project alice: scan on push is on; pulls of images with high or worse vulnerabilities are refused\./);
    const policy = await api('GET', '/projects/alice/scan-policy', ALICE);
    assert.equal(policy.status, 200, policy.text);
    assert.equal(policy.body.preventSeverity, 'high');
    // The API's refusal, for the record: the message the clients are to print.
    const res = await fetch(`${server.url}/v2/alice/app/manifests/1`, { headers: { authorization: basic(ALICE), accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(res.status, 403);
    const body = await res.json() as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, 'DENIED');
    assert.match(body.errors[0]!.message, POLICY);
    assert.match(body.errors[0]!.message, WORST);
    assert.doesNotMatch(body.errors[0]!.message, /GHSA-29mw-wpgm-hmr9/, 'the medium finding is below the policy');
  });

  for (const client of CLIENTS) {
    it(`${client} of the blocked image fails and prints the policy's message`, T, async () => {
      await expectRefused(client, ALICE, 'alice/app:1');
    });
  }

  it('a HEAD of the blocked manifest (curl -I) is still 200, while its GET is 403', T, async () => {
    const accept = 'Accept: application/vnd.oci.image.manifest.v1+json';
    const url = `${server.url}/v2/alice/app/manifests/1`;
    const head = await run('curl', ['-sS', '-I', '-u', `${ALICE.user}:${ALICE.password}`, '-H', accept, url]);
    assert.match(head.stdout, /^HTTP\/1\.1 200 /, head.stdout);
    assert.match(head.stdout, new RegExp(`^docker-content-digest: ${image.manifestDigest}\\r?$`, 'im'));
    const get = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-u', `${ALICE.user}:${ALICE.password}`, '-H', accept, url]);
    assert.equal(get.stdout, '403');
  });

  it('the accounts the policy exempts (a robot, a user) pull; the others are still refused', T, async () => {
    const set = await api('PATCH', '/projects/alice/scan-policy', ALICE, { exempt: [robot.user, BOB.user] });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.body.exempt, [robot.user, BOB.user]);
    assert.equal(set.body.preventSeverity, 'high', 'the rest of the policy stays');
    await expectPulled('podman pull', robot, 'alice/app:1');
    await expectPulled('skopeo inspect', robot, 'alice/app:1');
    await expectPulled('skopeo copy', BOB, 'alice/app:1');
    await expectPulled('docker manifest inspect', BOB, 'alice/app:1');
    await expectRefused('podman pull', ALICE, 'alice/app:1');
    await expectRefused('skopeo inspect', CAROL, 'alice/app:1');
    await expectRefused('docker manifest inspect', CAROL, 'alice/app:1');
    const cleared = await api('PATCH', '/projects/alice/scan-policy', ALICE, { exempt: [] });
    assert.equal(cleared.status, 200, cleared.text);
    await expectRefused('podman pull', robot, 'alice/app:1');
  });

  it('after --prevent-severity none the same pulls succeed', T, async () => {
    const r = ok(await cli(['project', 'update', 'alice', '--prevent-severity', 'none']));
    assert.match(r.stdout, /no pull is refused for vulnerabilities/);
    for (const client of CLIENTS) await expectPulled(client, ALICE, 'alice/app:1');
  });

  it('--no-scan-on-push: a push stays unscanned, and berth scan REF scans it', T, async () => {
    const r = ok(await cli(['project', 'update', 'alice', '--no-scan-on-push']));
    assert.match(r.stdout, /scan on push is off/);
    // The same layers with another config: a new digest, never scanned.
    const other = await writeImageLayout(await setup.scratch('layout-2'), '2', [busybox, app], { label: 'berth-e2e-app 2' });
    assert.notEqual(other.manifestDigest, image.manifestDigest);
    await push(other, 'alice/app:2');
    // Far longer than the scan on push of the first image took.
    await new Promise((res) => setTimeout(res, Math.max(6000, 10 * scanOnPushMs)));
    const unscanned = JSON.parse(ok(await cli(['scan', 'report', `${server.host}/alice/app:2`, '--json'])).stdout) as { status: string; digest: string; vulnerabilities: unknown[] };
    assert.equal(unscanned.status, 'not-scanned');
    assert.equal(unscanned.digest, other.manifestDigest);
    assert.deepEqual(unscanned.vulnerabilities, []);
    assert.match(ok(await cli(['scan', 'report', `${server.host}/alice/app:2`])).stdout, /Not scanned yet/);

    const scanned = ok(await cli(['scan', `${server.host}/alice/app:2`]));
    assert.match(scanned.stderr, /queued as job \d+/);
    assert.match(scanned.stdout, /^GHSA-35jh-r3h4-6jhm\s+high\s+lodash\s+4\.17\.20\s+4\.17\.21$/m);
    assert.match(scanned.stdout, /^GHSA-29mw-wpgm-hmr9\s+medium\s+lodash\s+4\.17\.20\s+4\.17\.21$/m);
    const done = JSON.parse(ok(await cli(['scan', 'report', `${server.host}/alice/app:2`, '--json'])).stdout) as { status: string; vulnerabilities: { id: string }[] };
    assert.equal(done.status, 'done');
    assert.deepEqual(done.vulnerabilities.map((v) => v.id).sort(), ['GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm']);
    ok(await cli(['project', 'update', 'alice', '--scan-on-push']));
  });
});
