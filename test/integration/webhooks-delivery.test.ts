// Webhooks end to end against real receivers on loopback: latency and signatures, the four
// payload formats, retries, filters, the SSRF guard, pausing, redelivery and write-only secrets.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, basic, call, expectStatus } from './api-helpers.ts';
import { Pusher, startReceiver, type Receiver } from './webhooks-helpers.ts';

const SECRET = 'a-webhook-secret-of-some-length';

/** The documented check (docs/webhooks.md), written independently of Berth's signing code. */
function verifies(secret: string, body: string, header: string | undefined): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const mac = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex');
  return mac === m[2] && Math.abs(Date.now() / 1000 - Number(m[1])) < 300;
}

describe('webhooks: delivery', () => {
  let server: BerthProcess;
  let pusher: Pusher;
  const receivers: Receiver[] = [];
  const receiver = async (answer?: Parameters<typeof startReceiver>[0]) => {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  };
  const addHook = async (body: Record<string, unknown>) =>
    expectStatus(await call(server, 'POST', '/projects/admin/webhooks', { as: ADMIN, body }), 201).body as { webhook: { id: number }; secret?: string };
  const deliveries = async (id: number) =>
    expectStatus(await call(server, 'GET', `/webhooks/${id}/deliveries`, { as: ADMIN }), 200).body.deliveries as {
      id: number; status: string; attempts: number; eventId: string; lastStatusCode: number | null; lastError: string | null;
      log: { statusCode: number | null; latencyMs: number; responseBytes: number | null; responseTruncated: boolean; error: string | null }[];
    }[];

  before(async () => {
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD },
      config: {
        notifications: {
          initialBackoffMs: 50, maxBackoffMs: 200, pollIntervalMs: 100, maxAttempts: 4,
          allowLoopback: true, // the receivers run on loopback; the default refuses it (webhooks-ssrf.test.ts)
          endpoints: [{ name: 'metadata', url: 'http://169.254.169.254/latest/meta-data/', events: ['push'], filter: 'admin/ssrf', threshold: 1 }],
        },
      },
    });
    pusher = new Pusher(server.url, basic(ADMIN));
  });
  after(async () => {
    await server?.stop();
    for (const r of receivers) await r.close();
  });

  it('delivers a push within a second, signed so the receiver can verify it', async () => {
    const r = await receiver();
    await pusher.push('admin/fast', 'warm-up'); // uploads the blobs, so the timed push is the manifest PUT
    await addHook({ url: r.url, events: ['push'], filter: 'admin/fast', secret: SECRET });
    const started = Date.now();
    const digest = await pusher.push('admin/fast', '1.4');
    const [got] = await r.waitFor(1, 5000);
    const latency = got!.at - started;
    assert.ok(latency < 1000, `delivered ${latency} ms after the push started`);
    assert.ok(verifies(SECRET, got!.body, got!.headers['berth-signature'] as string), `signature ${got!.headers['berth-signature']}`);
    assert.equal(verifies('another-secret-entirely', got!.body, got!.headers['berth-signature'] as string), false);
    const p = JSON.parse(got!.body);
    assert.equal(p.type, 'artifact.pushed');
    assert.equal(p.project, 'admin');
    assert.equal(p.repository, 'admin/fast');
    assert.equal(p.tag, '1.4');
    assert.equal(p.digest, digest);
    assert.equal(p.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(typeof p.size, 'number');
    assert.equal(p.actor, 'admin');
    assert.ok(!Number.isNaN(Date.parse(p.time)));
    assert.equal(p.pullCommand, `docker pull ${server.host}/admin/fast@${digest}`);
    assert.equal(got!.headers['berth-event-id'], p.id);
    process.stdout.write(`# push-to-delivery latency: ${latency} ms\n`);
  });

  it('renders all four formats to their shapes, with one stable event id', async () => {
    const r = await receiver();
    for (const format of ['berth', 'cloudevents', 'distribution', 'slack']) {
      await addHook({ url: `${r.url}?format=${format}`, events: 'push', format, filter: 'admin/formats', secret: SECRET });
    }
    const digest = await pusher.push('admin/formats', 'v1');
    const got = await r.waitFor(4, 5000);
    const by = (f: string) => got.find((g) => g.headers['berth-webhook-id'] && g.body && got.indexOf(g) >= 0 && formatOf(g) === f)!;
    const formatOf = (g: (typeof got)[number]) => {
      const ct = String(g.headers['content-type']);
      if (ct.startsWith('application/cloudevents+json')) return 'cloudevents';
      if (ct === 'application/vnd.docker.distribution.events.v1+json') return 'distribution';
      return 'text' in JSON.parse(g.body) ? 'slack' : 'berth';
    };
    const ids = new Set(got.map((g) => g.headers['berth-event-id']));
    assert.equal(ids.size, 1, 'every webhook gets the same event id');
    for (const g of got) assert.ok(verifies(SECRET, g.body, g.headers['berth-signature'] as string));

    const berth = JSON.parse(by('berth').body);
    assert.deepEqual(Object.keys(berth).sort(), ['action', 'actor', 'digest', 'id', 'mediaType', 'project', 'pullCommand', 'repository', 'size', 'tag', 'time', 'type'].sort());

    const ce = JSON.parse(by('cloudevents').body);
    assert.equal(ce.specversion, '1.0');
    for (const k of ['id', 'source', 'type', 'time', 'datacontenttype', 'data']) assert.ok(k in ce, `cloudevents has ${k}`);
    assert.equal(ce.type, 'io.berth.artifact.pushed');
    assert.equal(ce.id, berth.id);
    assert.equal(ce.data.digest, digest);
    assert.ok(!Number.isNaN(Date.parse(ce.time)));

    const dist = JSON.parse(by('distribution').body);
    assert.deepEqual(Object.keys(dist), ['events']);
    const e = dist.events[0];
    assert.deepEqual(Object.keys(e).sort(), ['action', 'actor', 'id', 'request', 'source', 'target', 'timestamp']);
    assert.equal(e.action, 'push');
    assert.deepEqual(Object.keys(e.target).sort(), ['digest', 'length', 'mediaType', 'repository', 'size', 'tag', 'url']);
    assert.equal(e.target.digest, digest);
    assert.equal(e.target.repository, 'admin/formats');
    assert.equal(e.target.tag, 'v1');
    assert.equal(e.target.size, e.target.length);
    assert.equal(e.target.url, `http://${server.host}/v2/admin/formats/manifests/${digest}`);
    assert.deepEqual(Object.keys(e.request).sort(), ['addr', 'host', 'id', 'method', 'useragent']);
    assert.equal(e.request.method, 'PUT');
    assert.deepEqual(e.actor, { name: 'admin' });
    assert.deepEqual(Object.keys(e.source).sort(), ['addr', 'instanceID']);

    const slack = JSON.parse(by('slack').body);
    assert.deepEqual(Object.keys(slack), ['text']);
    assert.match(slack.text, /admin\/formats:v1/);
  });

  it('retries a receiver that answers 500 three times, then delivers once with the failures logged', async () => {
    const r = await receiver((n) => (n < 3 ? 500 : 200));
    const { webhook } = await addHook({ url: r.url, events: ['push'], filter: 'admin/retry' });
    await pusher.push('admin/retry', 'v1');
    await r.waitFor(1, 10_000);
    await new Promise((res) => setTimeout(res, 500)); // room for a wrong extra delivery to show up
    assert.equal(r.received.filter((g) => g.status === 200).length, 1);
    assert.equal(r.received.length, 4);
    const [d] = await deliveries(webhook.id);
    assert.equal(d!.status, 'delivered');
    assert.equal(d!.attempts, 4);
    assert.deepEqual(d!.log.map((a) => a.statusCode), [500, 500, 500, 200]);
    // The size of each answer, never the answer itself.
    assert.deepEqual(d!.log.map((a) => a.responseBytes), [500, 500, 500, 200].map((s) => Buffer.byteLength(s < 300 ? 'ok' : `receiver says ${s}`)));
    assert.ok(d!.log.every((a) => !('response' in a) && a.responseTruncated === false));
    for (const a of d!.log) assert.equal(typeof a.latencyMs, 'number');
    const ids = new Set(r.received.map((g) => g.headers['berth-event-id']));
    assert.equal(ids.size, 1, 'retries carry the same event id');
  });

  it('ignores repositories outside the glob', async () => {
    const r = await receiver();
    await addHook({ url: r.url, events: ['push'], filter: 'admin/team-*' });
    await pusher.push('admin/team-a', 'v1');
    await pusher.push('admin/other', 'v1');
    await pusher.push('admin/team-b', 'v1');
    const got = await r.waitFor(2, 5000);
    assert.deepEqual(got.map((g) => JSON.parse(g.body).repository), ['admin/team-a', 'admin/team-b']);
  });

  it('delivers pulls and tag changes', async () => {
    const r = await receiver();
    await addHook({ url: r.url, events: ['pull', 'tag'], filter: 'admin/pulled' });
    const digest = await pusher.push('admin/pulled', 'v1');
    const pull = await fetch(`${server.url}/v2/admin/pulled/manifests/v1`, { headers: { authorization: basic(ADMIN), accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(pull.status, 200);
    await pull.arrayBuffer();
    const got = await r.waitFor(2, 5000);
    assert.deepEqual(got.map((g) => JSON.parse(g.body).type), ['tag.changed', 'artifact.pulled']);
    assert.equal(JSON.parse(got[1]!.body).digest, digest);
  });

  it('refuses link-local and metadata addresses: at creation, and at delivery time', async () => {
    const refused = await call(server, 'POST', '/projects/admin/webhooks', { as: ADMIN, body: { url: 'http://169.254.169.254/latest', events: ['push'] } });
    expectStatus(refused, 400, 'INVALID_REQUEST');
    assert.match(refused.text, /SSRF/);
    // The config-file endpoint is not checked when read; the worker refuses it when delivering.
    await pusher.push('admin/ssrf', 'v1');
    const all = expectStatus(await call(server, 'GET', '/webhooks', { as: ADMIN }), 200).body.webhooks as { id: number; name: string | null; paused: boolean }[];
    const metadata = all.find((w) => w.name === 'metadata')!;
    let d: Awaited<ReturnType<typeof deliveries>>[number] | undefined;
    for (let i = 0; i < 50 && d?.status !== 'failed'; i++) {
      await new Promise((res) => setTimeout(res, 100));
      [d] = await deliveries(metadata.id);
    }
    assert.equal(d?.status, 'failed', JSON.stringify(d) + server.logs().split('\n').filter((l) => /webhook|error/i.test(l)).slice(-5).join('\n'));
    assert.match(d!.lastError ?? '', /SSRF guard/);
    assert.equal(d!.lastStatusCode, null);
    const after = expectStatus(await call(server, 'GET', `/webhooks/${metadata.id}`, { as: ADMIN }), 200).body;
    assert.equal(after.paused, true, 'threshold 1: paused after one failed attempt');
  });

  it('pauses and flags an endpoint that keeps failing; redelivery resumes it', async () => {
    let up = false;
    const r = await receiver(() => (up ? 200 : 503));
    const { webhook } = await addHook({ url: r.url, events: ['push'], filter: 'admin/down' });
    await pusher.push('admin/down', 'v1');
    let listed: { id: number; paused: boolean; failing: boolean; pausedReason: string | null } | undefined;
    for (let i = 0; i < 100 && !listed?.paused; i++) {
      await new Promise((res) => setTimeout(res, 100));
      listed = (expectStatus(await call(server, 'GET', '/projects/admin/webhooks', { as: ADMIN }), 200).body.webhooks as (typeof listed & object)[]).find((w) => w.id === webhook.id);
    }
    assert.equal(listed?.paused, true, 'paused after maxAttempts');
    assert.equal(listed?.failing, true);
    assert.match(listed?.pausedReason ?? '', /failed 4 time/);
    assert.equal(r.received.length, 4);
    // Later events wait while it is paused.
    await pusher.push('admin/down', 'v2');
    await new Promise((res) => setTimeout(res, 400));
    assert.equal(r.received.length, 4);
    up = true;
    const [failed] = (await deliveries(webhook.id)).filter((d) => d.status === 'failed');
    expectStatus(await call(server, 'POST', `/webhook-deliveries/${failed!.id}/redeliver`, { as: ADMIN }), 200);
    const got = await r.waitFor(2, 5000);
    assert.deepEqual(got.map((g) => JSON.parse(g.body).tag), ['v1', 'v2']);
  });

  it('never shows or logs a secret', async () => {
    const r = await receiver();
    const created = await addHook({ url: r.url, events: ['push'], filter: 'admin/quiet' });
    assert.match(created.secret ?? '', /^[0-9a-f]{48}$/, 'a generated secret is returned once');
    const given = await addHook({ url: r.url, events: ['push'], filter: 'admin/quiet2', secret: SECRET });
    assert.equal(given.secret, undefined, 'a given secret is not echoed');
    const one = expectStatus(await call(server, 'GET', `/webhooks/${created.webhook.id}`, { as: ADMIN }), 200);
    assert.equal(one.body.hasSecret, true);
    const list = expectStatus(await call(server, 'GET', '/webhooks', { as: ADMIN }), 200);
    for (const text of [one.text, list.text, server.logs()]) {
      assert.ok(!text.includes(created.secret!));
      assert.ok(!text.includes(SECRET));
    }
  });

  it('lets only owners and administrators manage a project\'s webhooks', async () => {
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'mallory', password: 'mallory-password', admin: false } }), 201);
    const mallory = ['mallory', 'mallory-password'] as const;
    // admin's personal project is private: to mallory it does not exist.
    expectStatus(await call(server, 'GET', '/projects/admin/webhooks', { as: mallory }), 404, 'NOT_FOUND');
    expectStatus(await call(server, 'POST', '/projects/admin/webhooks', { as: mallory, body: { url: 'http://127.0.0.1:1/', events: 'push' } }), 404, 'NOT_FOUND');
    // A member who is not an owner is refused outright.
    expectStatus(await call(server, 'PUT', '/projects/admin/members/mallory', { as: ADMIN, body: { role: 'developer' } }), 200);
    expectStatus(await call(server, 'GET', '/projects/admin/webhooks', { as: mallory }), 403, 'DENIED');
    expectStatus(await call(server, 'POST', '/projects/admin/webhooks', { as: mallory, body: { url: 'http://127.0.0.1:1/', events: 'push' } }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/webhooks', { as: mallory }), 403, 'DENIED');
    expectStatus(await call(server, 'GET', '/projects/mallory/webhooks', { as: mallory }), 200);
  });
});
