// Project storage quotas over real HTTP (issue 13, section 4): administrators set them (PATCH
// quotaBytes, berth project update --quota), members read quota and usage in the project view;
// usage is exactly what the rows hold (a blob shared within a project counts once, manifests and
// open uploads count); pushes are refused with DENIED and the exact message at an upload's start,
// at a chunk, at its commit and at a mount, and a refused upload stops counting; what the project
// already links is never refused; a new manifest is refused only well over the limit, a retag
// never; deletes always go through; one quota.warning webhook and log line at 80%, re-armed below
// it; two pushes at once cannot both slip past the limit.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { ADMIN, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { startReceiver, type Receiver } from './webhooks-helpers.ts';

const KiB = 1024;
const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const bytesOf = (n: number) => randomBytes(n);

interface Answer { status: number; code?: string; message?: string; detail?: Record<string, unknown>; headers: Headers }

describe('project quotas: usage, refusals, deletes, the 80% warning', { timeout: 240_000 }, () => {
  let server: BerthProcess;
  let alice: Creds; // owner of every project here
  let mallory: Creds;
  let receiver: Receiver;

  async function v2(method: string, path: string, body?: RequestInit['body'], headers: Record<string, string> = {}, as: Creds = alice): Promise<Answer> {
    const res = await fetch(`${server.url}${path}`, {
      method, headers: { authorization: basic(as), ...headers },
      ...(body !== undefined ? { body, duplex: 'half' } : {}),
    } as RequestInit);
    const text = await res.text();
    const e = res.status >= 300 && text ? JSON.parse(text).errors?.[0] : undefined;
    return { status: res.status, headers: res.headers, ...(e ? { code: e.code, message: e.message, detail: e.detail } : {}) };
  }
  const monolithic = (repo: string, data: Buffer) => v2('POST', `/v2/${repo}/blobs/uploads/?digest=${sha256(data)}`, data, { 'content-type': 'application/octet-stream' });
  async function startUpload(repo: string): Promise<string> {
    const a = await v2('POST', `/v2/${repo}/blobs/uploads/`);
    assert.equal(a.status, 202, `start: ${a.status} ${a.message}`);
    return a.headers.get('location')!;
  }
  const chunk = (location: string, data: Buffer, offset = 0) => v2('PATCH', location, data, { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + data.length - 1}` });
  /** A PATCH of unknown length (chunked transfer encoding), as docker streams a layer. */
  const streamed = (location: string, data: Buffer) => v2('PATCH', location, new ReadableStream({
    start(c) {
      for (let i = 0; i < data.length; i += 256 * KiB) c.enqueue(data.subarray(i, i + 256 * KiB));
      c.close();
    },
  }), { 'content-type': 'application/octet-stream' });
  const commit = (location: string, digest: string, body?: Buffer) => v2('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, body, body ? { 'content-type': 'application/octet-stream' } : {});
  const mount = (repo: string, digest: string, from: string) => v2('POST', `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`);
  function manifestOf(config: Buffer, layers: Buffer[], annotations?: Record<string, string>): Buffer {
    return Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
      ...(annotations ? { annotations } : {}),
    }));
  }
  const putManifest = (repo: string, ref: string, manifest: Buffer) => v2('PUT', `/v2/${repo}/manifests/${ref}`, manifest, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  async function view(project: string, as: Creds = alice) {
    return expectStatus(await call(server, 'GET', `/projects/${project}`, { as }), 200).body;
  }
  const used = async (project: string) => (await view(project)).quota.usedBytes as number;
  const setQuota = async (project: string, quotaBytes: number | null) => expectStatus(await call(server, 'PATCH', `/projects/${project}`, { as: ADMIN, body: { quotaBytes } }), 200).body;
  const denied = (limit: string, project: string, usedText: string, needs?: string) =>
    `quota of ${limit} for project ${project} exceeded: ${usedText} used, ${needs === undefined ? 'no space left for a push' : `push needs ${needs}`}`;
  /** A refused upload is ended right after the refusal is answered (within a moment). */
  async function ended(location: string): Promise<void> {
    let code: string | undefined;
    for (let i = 0; i < 100 && (code = (await v2('GET', location)).code) !== 'BLOB_UPLOAD_UNKNOWN'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(code, 'BLOB_UPLOAD_UNKNOWN', 'the refused upload was ended');
  }
  function expectDenied(a: Answer, message: string): void {
    assert.equal(a.status, 403, `expected a refusal, got ${a.status} ${a.message ?? ''}`);
    assert.equal(a.code, 'DENIED');
    assert.equal(a.message, message);
    assert.equal(a.detail?.code, 'QUOTA_EXCEEDED');
  }

  before(async () => {
    receiver = await startReceiver();
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] }, config: { notifications: { allowLoopback: true } } });
    alice = await addUser(server, 'alice');
    mallory = await addUser(server, 'mallory');
    for (const name of ['qq', 'usage', 'other', 'warn', 'race']) expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name } }), 201);
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'open', visibility: 'public' } }), 201);
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('administrators set a quota; members read quota and usage in the project view; strangers and lists do not show it', async () => {
    const refused = expectStatus(await call(server, 'PATCH', '/projects/qq', { as: alice, body: { quotaBytes: 10 * MiB } }), 403, 'DENIED');
    assert.equal(refused.body.errors[0].message, "only administrators set a project's storage quota");
    for (const bad of [-1, 1.5, '10GiB', 5 * 2 ** 50]) expectStatus(await call(server, 'PATCH', '/projects/qq', { as: ADMIN, body: { quotaBytes: bad } }), 400, 'INVALID_REQUEST');
    const set = await setQuota('qq', 10 * MiB);
    assert.deepEqual(set.quota, { limitBytes: 10 * MiB, usedBytes: 0, percent: 0, usage: { blobs: 0, manifests: 0, uploads: 0 }, warnedAt: null });
    assert.equal((await view('qq')).quota.limitBytes, 10 * MiB, 'the owner reads it');
    assert.equal((await view('usage')).quota.limitBytes, null, 'no quota: null, usage still shown');

    await setQuota('open', 5 * MiB);
    assert.equal((await view('open', mallory)).quota, undefined, "a public project's usage is its members' business");
    const listed = expectStatus(await call(server, 'GET', '/projects', { as: alice }), 200).body.projects as { name: string; quota?: unknown }[];
    assert.ok(listed.every((p) => p.quota === undefined), 'lists do not aggregate usage');
    await setQuota('open', null);
    assert.equal((await view('open')).quota.limitBytes, null);

    let entries: { actor: string; project: string; detail: string }[] = [];
    for (let i = 0; i < 50 && entries.length < 3; i++) {
      entries = expectStatus(await call(server, 'GET', '/audit?limit=50&action=project.quota', { as: ADMIN }), 200).body.entries;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(entries.map((e) => [e.actor, e.project, JSON.parse(e.detail).quotaBytes]).reverse(), [['admin', 'qq', 10 * MiB], ['admin', 'open', 5 * MiB], ['admin', 'open', null]]);
  });

  it('usage is what the rows hold: a blob shared within the project counts once; manifests and open uploads count', async () => {
    const layer = bytesOf(300 * KiB);
    const configA = Buffer.from('{"architecture":"amd64","os":"linux","a":1}');
    const configB = Buffer.from('{"architecture":"arm64","os":"linux","b":22}');
    for (const b of [layer, configA]) assert.equal((await monolithic('usage/app', b)).status, 201);
    const a = manifestOf(configA, [layer]);
    assert.equal((await putManifest('usage/app', 'v1', a)).status, 201);
    let q = (await view('usage')).quota;
    assert.deepEqual(q.usage, { blobs: layer.length + configA.length, manifests: a.length, uploads: 0 });
    assert.equal(q.usedBytes, layer.length + configA.length + a.length);

    // The same layer in another repository of the project (uploaded again, or mounted): once.
    assert.equal((await monolithic('usage/web', layer)).status, 201);
    assert.equal((await mount('usage/tools', sha256(layer), 'usage/app')).status, 201);
    assert.equal((await monolithic('usage/web', configB)).status, 201);
    const b = manifestOf(configB, [layer]);
    assert.equal((await putManifest('usage/web', 'v1', b)).status, 201);
    assert.equal((await putManifest('usage/tools', 'v1', b)).status, 400, 'configB is not linked in tools: the manifest is refused (and counts nothing)');
    q = (await view('usage')).quota;
    assert.deepEqual(q.usage, { blobs: layer.length + configA.length + configB.length, manifests: a.length + b.length, uploads: 0 });

    // An open upload counts its bytes received so far, until it ends.
    const loc = await startUpload('usage/app');
    assert.equal((await chunk(loc, bytesOf(1000))).status, 202);
    assert.equal((await view('usage')).quota.usage.uploads, 1000);
    assert.equal((await v2('DELETE', loc)).status, 204);
    assert.equal((await view('usage')).quota.usage.uploads, 0);

    // A manifest deleted is a manifest less (its blobs stay linked until garbage collection).
    assert.equal((await v2('DELETE', `/v2/usage/app/manifests/${sha256(a)}`)).status, 202);
    assert.equal((await view('usage')).quota.usage.manifests, b.length);
  });

  describe('refusals', () => {
    const nine = bytesOf(9 * MiB);
    const two = bytesOf(2 * MiB);

    before(async () => {
      assert.equal((await monolithic('qq/app', nine)).status, 201);
      assert.equal(await used('qq'), 9 * MiB);
    });

    it('at the start of an upload, when the project is at its limit already', async () => {
      await setQuota('qq', 9 * MiB);
      expectDenied(await v2('POST', '/v2/qq/app/blobs/uploads/'), denied('9 MiB', 'qq', '9 MiB'));
      expectDenied(await monolithic('qq/app', bytesOf(10)), denied('9 MiB', 'qq', '9 MiB'));
      expectDenied(await v2('POST', '/v2/qq/other/blobs/uploads/'), denied('9 MiB', 'qq', '9 MiB'));
      assert.equal(await used('qq'), 9 * MiB);
      await setQuota('qq', 10 * MiB);
      const loc = await startUpload('qq/app');
      assert.equal((await v2('DELETE', loc)).status, 204);
    });

    it('at a chunk that would exceed it; the refused upload ends and stops counting', async () => {
      let loc = await startUpload('qq/app');
      expectDenied(await chunk(loc, two), denied('10 MiB', 'qq', '9 MiB', '2 MiB'));
      await ended(loc);
      loc = await startUpload('qq/app');
      assert.equal((await chunk(loc, bytesOf(512 * KiB))).status, 202);
      assert.equal((await view('qq')).quota.usage.uploads, 512 * KiB);
      expectDenied(await chunk(loc, bytesOf(768 * KiB), 512 * KiB), denied('10 MiB', 'qq', '9.5 MiB', '768 KiB'));
      await ended(loc);
      assert.equal((await view('qq')).quota.usage.uploads, 0, 'its 512 KiB stopped counting');
      // The whole blob in the PUT that finishes an upload is a chunk too.
      loc = await startUpload('qq/app');
      expectDenied(await commit(loc, sha256(two), two), denied('10 MiB', 'qq', '9 MiB', '2 MiB'));
    });

    it('at the commit of an upload whose length was not known, and of a monolithic upload', async () => {
      const loc = await startUpload('qq/app');
      assert.equal((await streamed(loc, two)).status, 202, 'a chunk of unknown length is let in while under the limit');
      assert.equal((await view('qq')).quota.usedBytes, 11 * MiB, 'its bytes count while it is open');
      expectDenied(await commit(loc, sha256(two)), denied('10 MiB', 'qq', '9 MiB', '2 MiB'));
      await ended(loc);
      assert.equal(await used('qq'), 9 * MiB, 'the refused upload ended: its 2 MiB no longer count');
      expectDenied(await monolithic('qq/app', two), denied('10 MiB', 'qq', '9 MiB', '2 MiB'));
      assert.equal((await v2('HEAD', `/v2/qq/app/blobs/${sha256(two)}`)).status, 404, 'nothing was linked');
    });

    it('at a mount of a blob the project does not have; what it already links is never refused', async () => {
      assert.equal((await monolithic('other/app', two)).status, 201);
      expectDenied(await mount('qq/app', sha256(two), 'other/app'), denied('10 MiB', 'qq', '9 MiB', '2 MiB'));
      assert.equal((await v2('HEAD', `/v2/qq/app/blobs/${sha256(two)}`)).status, 404);
      // 9 MiB more would be 18 MiB: but the project links it already, so it adds nothing.
      assert.equal((await mount('qq/web', sha256(nine), 'qq/app')).status, 201);
      assert.equal((await monolithic('qq/tools', nine)).status, 201);
      const loc = await startUpload('qq/more');
      assert.equal((await streamed(loc, nine)).status, 202);
      assert.equal((await commit(loc, sha256(nine))).status, 201, 'an upload of a blob the project has adds nothing either');
      assert.equal(await used('qq'), 9 * MiB);
      // What fits, fits.
      const small = bytesOf(256 * KiB);
      assert.equal((await monolithic('qq/app', small)).status, 201);
      assert.equal(await used('qq'), 9 * MiB + 256 * KiB);
    });

    it('a new manifest only well past the limit; a retag never; deletes always go through', async () => {
      const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
      assert.equal((await monolithic('qq/app', config)).status, 201);
      const image = manifestOf(config, [nine]);
      assert.equal((await putManifest('qq/app', 'v1', image)).status, 201, 'a manifest of blobs that fit is let in');
      await setQuota('qq', 4 * MiB);
      const other = manifestOf(config, [nine], { build: '2' });
      const refused = await putManifest('qq/app', 'v2', other);
      expectDenied(refused, denied('4 MiB', 'qq', '9.2 MiB', `${other.length} B`));
      assert.equal((await putManifest('qq/app', 'again', image)).status, 201, 'the same image under another tag adds nothing');
      assert.equal((await putManifest('qq/web', 'v1', image)).status, 400, 'config not linked in qq/web');

      // Over its quota, the project can still delete: tags, manifests and blobs.
      assert.equal((await v2('DELETE', '/v2/qq/app/manifests/again')).status, 202);
      assert.equal((await v2('DELETE', `/v2/qq/app/manifests/${sha256(image)}`)).status, 202);
      for (const repo of ['qq/app', 'qq/web', 'qq/tools', 'qq/more']) assert.equal((await v2('DELETE', `/v2/${repo}/blobs/${sha256(nine)}`)).status, 202, repo);
      assert.ok(await used('qq') < 1 * MiB);
      await setQuota('qq', 10 * MiB);
    });
  });

  it('warns once at 80% (a quota.warning webhook and a log line), and again only after usage went below 80%', async () => {
    await setQuota('warn', 10 * MiB);
    for (const format of ['berth', 'cloudevents', 'slack', 'distribution']) {
      expectStatus(await call(server, 'POST', '/projects/warn/webhooks', { as: alice, body: { url: receiver.url, events: ['quota.warning'], format } }), 201);
    }
    const berthOnes = () => receiver.received.filter((r) => r.headers['content-type'] === 'application/json' && JSON.parse(r.body).type === 'quota.warning');
    const seven = bytesOf(7 * MiB);
    assert.equal((await monolithic('warn/app', seven)).status, 201);
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(receiver.received.length, 0, 'no warning at 70%');
    assert.equal((await view('warn')).quota.warnedAt, null);

    assert.equal((await monolithic('warn/app', bytesOf(1.5 * MiB))).status, 201);
    const four = await receiver.waitFor(4, 10_000);
    const byType = (type: string) => four.filter((r) => String(r.headers['content-type']).startsWith(type)).map((r) => JSON.parse(r.body));
    const payload = byType('application/json').find((p) => p.type === 'quota.warning');
    const cloud = byType('application/cloudevents+json')[0];
    assert.equal(cloud.type, 'io.berth.quota.warning');
    assert.equal(cloud.subject, 'warn');
    assert.deepEqual(cloud.data.quota, { limitBytes: 10 * MiB, usedBytes: 8.5 * MiB, percent: 85 });
    const slack = byType('application/json').find((p) => typeof p.text === 'string');
    assert.match(slack.text, /^Project `warn` on \S+ uses 85% of its storage quota \(8\.5 MiB of 10 MiB\): delete images or ask for a larger quota before pushes are refused$/);
    const dist = byType('application/vnd.docker.distribution.events.v1+json')[0].events[0];
    assert.equal(dist.action, 'quota.warning');
    assert.deepEqual(dist.quota, { project: 'warn', limitBytes: 10 * MiB, usedBytes: 8.5 * MiB, percent: 85 });
    assert.equal(payload.type, 'quota.warning');
    assert.equal(payload.project, 'warn');
    assert.equal(payload.repository, 'warn/app');
    assert.deepEqual(payload.quota, { limitBytes: 10 * MiB, usedBytes: 8.5 * MiB, percent: 85 });
    assert.equal(payload.actor, 'alice');
    assert.match(server.logs(), /"level":40[^\n]*"project":"warn"[^\n]*project warn uses 8\.5 MiB of its 10 MiB quota \(85%\)/);
    assert.ok((await view('warn')).quota.warnedAt);

    assert.equal((await monolithic('warn/app', bytesOf(0.5 * MiB))).status, 201);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(receiver.received.length, 4, 'not again while it stays above 80%');

    // Below 80% it is re-armed; crossing again warns again.
    assert.equal((await v2('DELETE', `/v2/warn/app/blobs/${sha256(seven)}`)).status, 202);
    for (let i = 0; i < 50 && (await view('warn')).quota.warnedAt !== null; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await view('warn')).quota.warnedAt, null);
    assert.equal((await monolithic('warn/web', seven)).status, 201);
    await receiver.waitFor(8, 10_000);
    const second = berthOnes()[1]!;
    assert.equal(JSON.parse(second.body).quota.usedBytes, 9 * MiB);
    assert.equal(JSON.parse(second.body).repository, 'warn/web');

    // A larger quota re-arms it; a lower one that puts usage past 80% warns at once, as the system.
    await setQuota('warn', 100 * MiB);
    for (let i = 0; i < 50 && (await view('warn')).quota.warnedAt !== null; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await view('warn')).quota.warnedAt, null);
    await setQuota('warn', 10 * MiB);
    await receiver.waitFor(12, 10_000);
    const third = JSON.parse(berthOnes()[2]!.body);
    assert.deepEqual([third.repository, third.actor, third.quota.percent], ['warn', 'system', 90]);
  });

  it('two pushes at once cannot both slip past the limit', async () => {
    await setQuota('race', 10 * MiB);
    // Chunks of known length: exactly one of two 6 MiB uploads fits.
    const a = bytesOf(6 * MiB);
    const b = bytesOf(6 * MiB);
    const [la, lb] = await Promise.all([startUpload('race/a'), startUpload('race/b')]);
    const results = await Promise.all([chunk(la, a), chunk(lb, b)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [202, 403], JSON.stringify(results.map((r) => r.message)));
    const [winner, data] = results[0]!.status === 202 ? [la, a] : [lb, b];
    assert.equal((await commit(winner, sha256(data))).status, 201);
    assert.equal(await used('race'), 6 * MiB);

    // Whole blobs at once: two of 1.5 MiB fit in the 4 MiB left, not three or four.
    const blobs = [0, 1, 2, 3].map(() => bytesOf(1.5 * MiB));
    const answers = await Promise.all(blobs.map((blob, i) => monolithic(`race/m${i}`, blob)));
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, 201, 403, 403], JSON.stringify(answers.map((r) => r.message)));
    for (const r of answers.filter((x) => x.status === 403)) assert.equal(r.message, denied('10 MiB', 'race', '9 MiB', '1.5 MiB'));
    assert.equal(await used('race'), 9 * MiB);

    // Streams of unknown length both get in, but at most one of them commits.
    await setQuota('race', 20 * MiB);
    const c = bytesOf(6 * MiB);
    const d = bytesOf(6 * MiB);
    const [lc, ld] = await Promise.all([startUpload('race/c'), startUpload('race/d')]);
    await Promise.all([streamed(lc, c), streamed(ld, d)]);
    const commits = await Promise.all([commit(lc, sha256(c)), commit(ld, sha256(d))]);
    assert.ok(commits.filter((r) => r.status === 201).length <= 1, JSON.stringify(commits.map((r) => [r.status, r.message])));
    for (const r of commits.filter((x) => x.status !== 201)) assert.equal(r.detail?.code, 'QUOTA_EXCEEDED');
    for (let i = 0; i < 50 && (await view('race')).quota.usage.uploads !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(await used('race') <= 20 * MiB, `usage ${await used('race')}`);
  });

  it('berth project update --quota with --url and offline', async () => {
    const env = { BERTH_PASSWORD: ADMIN[1] };
    const remote = ['--url', server.url, '--user', 'admin'];
    const said = ok(await berth(['project', 'update', 'usage', '--quota', '10GiB', ...remote], { env })).stdout;
    const usedNow = await used('usage');
    assert.match(said, /^Project usage is private, no badges\.\nProject usage has a storage quota of 10 GiB: \d+(\.\d)? KiB used \(0%\)\.\n$/);
    const json = JSON.parse(ok(await berth(['project', 'update', 'usage', '--quota', '500MB', ...remote, '--json'], { env })).stdout);
    assert.equal(json.quota.limitBytes, 500_000_000);
    assert.equal(json.quota.usedBytes, usedNow);
    assert.match(ok(await berth(['project', 'update', 'usage', '--quota', 'none', ...remote], { env })).stdout, /Project usage has no storage quota \(\d+(\.\d)? KiB used\)\./);
    assert.equal((await view('usage')).quota.limitBytes, null);

    const ambiguous = await berth(['project', 'update', 'usage', '--quota', '10G', ...remote], { env });
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /--quota: unknown unit "G" in "10G" \(did you mean 10GiB or 10GB\?\)/);
    const junk = await berth(['project', 'update', 'usage', '--quota', 'lots', ...remote], { env });
    assert.match(junk.stderr, /"lots" is not a size: write it like 10GiB, 500MB, 1\.5TiB, a number of bytes, or none/);
    const owner = await berth(['project', 'update', 'usage', '--quota', '1GiB', '--url', server.url, '--user', 'alice'], { env: { BERTH_PASSWORD: alice[1] } });
    assert.equal(owner.code, 1);
    assert.match(owner.stderr, /only administrators set a project's storage quota/);

    const offline = JSON.parse(ok(await berth(['project', 'update', 'usage', '--quota', '1.5TiB', '--data', server.dataDir, '--json'])).stdout);
    assert.equal(offline.quota.limitBytes, 1.5 * 2 ** 40);
    assert.equal((await view('usage')).quota.limitBytes, 1.5 * 2 ** 40, 'the running server reads it');
    ok(await berth(['project', 'update', 'usage', '--quota', '1048576', '--data', server.dataDir]));
    assert.equal((await view('usage')).quota.limitBytes, 1048576);
  });
});
