// The webhook SSRF guard against a real server and a real receiver on loopback (every interface,
// IPv4 and IPv6, so any form of a loopback address would reach it if the guard let it through).
// With the defaults, loopback, unspecified, private and metadata targets are refused at creation
// or at delivery and the receiver gets nothing; an administrator's exception (per webhook, or
// notifications.allowLoopback) lets them through; the delivery log shows status and size, never
// the body the receiver answered.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, ADMIN_PASSWORD, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { Pusher } from './webhooks-helpers.ts';

const MARKER = `ssrf-body-marker-${randomBytes(8).toString('hex')}`;

interface Probe {
  readonly port: number;
  /** Requests that arrived, by path. */
  readonly paths: string[];
  connections: number;
  close(): Promise<void>;
}

/** A receiver on every interface that answers 200 with MARKER, counting connections as well as requests. */
async function startProbe(): Promise<Probe> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      paths.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' }).end(MARKER);
    });
  });
  const probe: Probe = {
    port: 0, paths, connections: 0,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  server.on('connection', () => { probe.connections++; });
  await new Promise<void>((r) => server.listen(0, '::', r));
  (probe as { port: number }).port = (server.address() as { port: number }).port;
  return probe;
}

interface Delivery {
  id: number; status: string; lastStatusCode: number | null; lastError: string | null;
  log: { statusCode: number | null; responseBytes: number | null; responseTruncated: boolean; error: string | null }[];
}

async function deliveries(server: BerthProcess, id: number): Promise<{ list: Delivery[]; text: string }> {
  const r = expectStatus(await call(server, 'GET', `/webhooks/${id}/deliveries`, { as: ADMIN }), 200);
  return { list: r.body.deliveries as Delivery[], text: r.text };
}

/** Waits until the webhook's latest delivery is finished (delivered or failed). */
async function settled(server: BerthProcess, id: number): Promise<{ delivery: Delivery; text: string }> {
  for (let i = 0; i < 100; i++) {
    const { list, text } = await deliveries(server, id);
    if (list[0] && list[0].status !== 'pending') return { delivery: list[0], text };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`webhook ${id} has no finished delivery: ${JSON.stringify((await deliveries(server, id)).list)}\n${server.logs().split('\n').slice(-10).join('\n')}`);
}

/** Loopback and "this host" in the forms the issue reported and their variants. */
const LOOPBACK_HOSTS = [
  '127.0.0.1', '127.1', '127.255.255.254', '2130706433', '0x7f000001', '0177.0.0.1', '[::1]', '[0:0:0:0:0:0:0:1]', '[0000::0001]',
  '[::]', '[0::]', '[::0]', '[0:0:0:0:0:0:0:0]', '0.0.0.0', '0',
  '[::ffff:127.0.0.1]', '[::FFFF:7F00:1]', '[0:0:0:0:0:ffff:127.0.0.1]', '[::127.0.0.1]', '[::7f00:1]', '[::ffff:0:127.0.0.1]',
  '[::ffff:0.0.0.0]', '[64:ff9b::127.0.0.1]', '[64:ff9b:1::7f00:1]', '[2002:7f00:1::]', '[2002:7f00:1:1::1]', '[2001:0:7f00:1::]',
  '[2600::5efe:127.0.0.1]', 'localhost', 'app.localhost', 'LOCALHOST.',
];
/** Private and metadata targets, and the NAT64 and 6to4 forms of 169.254.169.254. */
const OTHER_HOSTS = [
  '10.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1', '[fd00::1]', '[::ffff:10.0.0.1]',
  '169.254.169.254', '[::ffff:169.254.169.254]', '[64:ff9b::a9fe:a9fe]', '[64:ff9b::169.254.169.254]', '[2002:a9fe:a9fe::]', '[2002:a9fe:a9fe:ffff::1]',
  '[fd00:ec2::254]', '100.100.100.200', '169.254.1.1', '[fe80::1]', '224.0.0.1', '255.255.255.255',
];

describe('webhooks: SSRF guard with the default policy', () => {
  let server: BerthProcess;
  let probe: Probe;
  let pusher: Pusher;
  let olive: Creds;
  const url = (host: string, path: string) => `http://${host}:${probe.port}/${path}`;
  const addHook = (project: string, as: Creds, body: Record<string, unknown>) => call(server, 'POST', `/projects/${project}/webhooks`, { as, body: { events: ['push'], ...body } });

  before(async () => {
    probe = await startProbe();
    // Config-file endpoints are not checked when read: these show the check at delivery time,
    // on literal addresses (the sender) and on what a name resolves to (the DNS hook).
    const endpoint = (name: string, host: string) => ({ name, url: url(host, `config-${name}`), events: ['push'], filter: 'admin/config', threshold: 1 });
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD },
      config: {
        notifications: {
          pollIntervalMs: 100, initialBackoffMs: 50, maxBackoffMs: 100, maxAttempts: 1,
          endpoints: [
            endpoint('unspecified', '[::]'), endpoint('unspecified4', '0.0.0.0'), endpoint('mapped', '[::ffff:127.0.0.1]'),
            endpoint('loopback', '127.0.0.1'), endpoint('localhost', 'localhost'), endpoint('nat64', '[64:ff9b::7f00:1]'),
          ],
        },
      },
    });
    pusher = new Pusher(server.url, basic(ADMIN));
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'olive', password: 'olive-password', admin: false } }), 201);
    olive = ['olive', 'olive-password'];
    // Control: every form below does reach the receiver when nothing guards it.
    for (const host of ['127.0.0.1', '[::1]', '[::]', '0.0.0.0', '[::ffff:127.0.0.1]', 'localhost']) {
      const r = await fetch(url(host, 'control'), { method: 'POST', body: '{}' });
      assert.equal(await r.text(), MARKER, `${host} reaches the receiver unguarded`);
    }
    probe.paths.length = 0;
    probe.connections = 0;
  });
  after(async () => {
    await server?.stop();
    await probe?.close();
  });

  it('refuses loopback and unspecified targets at creation, in every form, saying which key allows them', async () => {
    for (const host of LOOPBACK_HOSTS) {
      for (const as of [ADMIN, olive]) {
        const r = await addHook(as === ADMIN ? 'admin' : 'olive', as, { url: url(host, 'created') });
        expectStatus(r, 400, 'INVALID_REQUEST');
        assert.match(r.text, /refused by the SSRF guard: .*(loopback address.*notifications\.allowLoopback: true.*allowPrivateTargets: true|unspecified address.*127\.0\.0\.1 or ::1)/, `${host}: ${r.text}`);
      }
    }
  });

  it('refuses private, link-local and metadata targets at creation, in every form', async () => {
    for (const host of OTHER_HOSTS) {
      const r = await addHook('olive', olive, { url: url(host, 'created') });
      expectStatus(r, 400, 'INVALID_REQUEST');
      assert.match(r.text, /refused by the SSRF guard: .*(notifications\.allowPrivateNetworks|notifications\.allowNetworks)/, `${host}: ${r.text}`);
    }
    const metadata = await addHook('admin', ADMIN, { url: 'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/', allowPrivateTargets: true });
    expectStatus(metadata, 400, 'INVALID_REQUEST');
    assert.match(metadata.text, /169\.254\.169\.254 \(NAT64\), which is a cloud metadata address.*lists exactly 169\.254\.169\.254\/32 in notifications\.allowNetworks/);
  });

  it('refuses the same targets when a webhook is changed to them', async () => {
    const created = expectStatus(await addHook('olive', olive, { url: 'https://hooks.example.com/berth' }), 201).body.webhook as { id: number };
    for (const host of ['[::]', '[::ffff:127.0.0.1]', '127.0.0.1', 'localhost', '[64:ff9b::a9fe:a9fe]', '[2002:a9fe:a9fe::]']) {
      const r = await call(server, 'PATCH', `/webhooks/${created.id}`, { as: olive, body: { url: url(host, 'patched') } });
      expectStatus(r, 400, 'INVALID_REQUEST');
      assert.match(r.text, /SSRF guard/);
    }
  });

  it('refuses at delivery time: literal config endpoints and a name that resolves to loopback', async () => {
    await pusher.push('admin/config', 'v1');
    const all = expectStatus(await call(server, 'GET', '/webhooks', { as: ADMIN }), 200).body.webhooks as { id: number; name: string | null }[];
    const names = ['unspecified', 'unspecified4', 'mapped', 'loopback', 'localhost', 'nat64'];
    for (const name of names) {
      const hook = all.find((w) => w.name === name)!;
      const { delivery } = await settled(server, hook.id);
      assert.equal(delivery.status, 'failed', name);
      assert.equal(delivery.lastStatusCode, null, name);
      assert.match(delivery.lastError ?? '', name === 'localhost' ? /^SSRF guard: localhost resolves to 127\.0\.0\.1 is a loopback address/ : /^SSRF guard: .*(loopback|unspecified)/, name);
      assert.equal(delivery.log[0]?.responseBytes, null);
    }
    assert.deepEqual(probe.paths, [], 'the receiver got nothing');
    assert.equal(probe.connections, 0, 'no connection was even opened');
  });

  it('lets only system administrators grant the exception', async () => {
    const denied = await addHook('olive', olive, { url: 'https://hooks.example.com/x', allowPrivateTargets: true });
    expectStatus(denied, 403, 'DENIED');
    assert.match(denied.text, /only system administrators may set allowPrivateTargets/);
    // An administrator grants it on olive's project.
    const granted = expectStatus(await addHook('olive', ADMIN, { url: url('127.0.0.1', 'olive'), allowPrivateTargets: true }), 201).body.webhook as { id: number; allowPrivateTargets: boolean };
    assert.equal(granted.allowPrivateTargets, true);
    expectStatus(await call(server, 'PATCH', `/webhooks/${granted.id}`, { as: olive, body: { allowPrivateTargets: true } }), 403, 'DENIED');
    // The owner may not repoint the exception at another internal target...
    const moved = await call(server, 'PATCH', `/webhooks/${granted.id}`, { as: olive, body: { url: url('[::1]', 'elsewhere') } });
    expectStatus(moved, 400, 'INVALID_REQUEST');
    assert.equal((expectStatus(await call(server, 'GET', `/webhooks/${granted.id}`, { as: olive }), 200).body as { allowPrivateTargets: boolean }).allowPrivateTargets, true, 'a refused change keeps the webhook as it was');
    // ...and pointing it at a public URL drops the exception.
    const repointed = expectStatus(await call(server, 'PATCH', `/webhooks/${granted.id}`, { as: olive, body: { url: 'https://hooks.example.com/olive' } }), 200).body as { allowPrivateTargets: boolean };
    assert.equal(repointed.allowPrivateTargets, false);
    const others = expectStatus(await addHook('olive', olive, { url: 'https://hooks.example.com/y' }), 201).body.webhook as { id: number };
    expectStatus(await call(server, 'PATCH', `/webhooks/${others.id}`, { as: olive, body: { allowPrivateTargets: false } }), 200);
  });

  it('delivers to a loopback receiver an administrator allowed, logging status and size but never the body', async () => {
    const ids: number[] = [];
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]', 'localhost']) {
      const r = expectStatus(await addHook('admin', ADMIN, { url: url(host, `granted-${host}`), filter: 'admin/granted', allowPrivateTargets: true }), 201);
      ids.push((r.body.webhook as { id: number }).id);
    }
    // The exception covers loopback and private ranges only: never the unspecified address.
    expectStatus(await addHook('admin', ADMIN, { url: url('[::]', 'granted'), allowPrivateTargets: true }), 400, 'INVALID_REQUEST');
    await pusher.push('admin/granted', 'v1');
    const texts: string[] = [];
    for (const id of ids) {
      const { delivery, text } = await settled(server, id);
      assert.equal(delivery.status, 'delivered', JSON.stringify(delivery));
      assert.equal(delivery.log[0]!.statusCode, 200);
      assert.equal(delivery.log[0]!.responseBytes, Buffer.byteLength(MARKER));
      assert.equal(delivery.log[0]!.responseTruncated, false);
      texts.push(text);
    }
    assert.equal(probe.paths.filter((p) => p.startsWith('/granted-')).length, 4);
    texts.push(expectStatus(await call(server, 'GET', '/webhooks', { as: ADMIN }), 200).text);
    for (const id of ids) texts.push(expectStatus(await call(server, 'GET', `/webhooks/${id}`, { as: ADMIN }), 200).text);
    texts.push(server.logs());
    for (const t of texts) assert.ok(!t.includes(MARKER), `the receiver's answer leaked: ${t.slice(0, 300)}`);
  });

  it('refuses at delivery once the administrator withdraws the exception', async () => {
    const before = probe.paths.length;
    const hook = expectStatus(await addHook('admin', ADMIN, { url: url('127.0.0.1', 'withdrawn'), filter: 'admin/withdrawn', allowPrivateTargets: true }), 201).body.webhook as { id: number };
    expectStatus(await call(server, 'PATCH', `/webhooks/${hook.id}`, { as: ADMIN, body: { allowPrivateTargets: false } }), 200);
    await pusher.push('admin/withdrawn', 'v1');
    const { delivery } = await settled(server, hook.id);
    assert.equal(delivery.status, 'failed');
    assert.match(delivery.lastError ?? '', /^SSRF guard: 127\.0\.0\.1 is a loopback address/);
    assert.equal(probe.paths.length, before);
  });
});

describe('webhooks: SSRF guard with loopback allowed by the administrator (notifications.allowLoopback)', () => {
  let server: BerthProcess;
  let probe: Probe;
  before(async () => {
    probe = await startProbe();
    server = await startBerth({
      auth: 'builtin',
      env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD },
      config: { notifications: { pollIntervalMs: 100, maxAttempts: 1, allowLoopback: true } },
    });
    expectStatus(await call(server, 'POST', '/users', { as: ADMIN, body: { name: 'olive', password: 'olive-password', admin: false } }), 201);
  });
  after(async () => {
    await server?.stop();
    await probe?.close();
  });

  it('lets an owner reach loopback, but still not private, metadata or unspecified targets', async () => {
    const olive: Creds = ['olive', 'olive-password'];
    const hooks: number[] = [];
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', 'localhost']) {
      const r = expectStatus(await call(server, 'POST', '/projects/olive/webhooks', { as: olive, body: { url: `http://${host}:${probe.port}/owner`, events: ['push'] } }), 201);
      hooks.push((r.body.webhook as { id: number }).id);
    }
    for (const host of ['[::]', '0.0.0.0', '10.0.0.1', '[fd00::1]', '169.254.169.254', '[64:ff9b::a9fe:a9fe]', '[2002:a9fe:a9fe::]']) {
      expectStatus(await call(server, 'POST', '/projects/olive/webhooks', { as: olive, body: { url: `http://${host}:${probe.port}/owner`, events: ['push'] } }), 400, 'INVALID_REQUEST');
    }
    await new Pusher(server.url, basic(olive)).push('olive/app', 'v1');
    for (const id of hooks) {
      const { delivery, text } = await settled(server, id);
      assert.equal(delivery.status, 'delivered');
      assert.equal(delivery.log[0]!.responseBytes, Buffer.byteLength(MARKER));
      assert.ok(!text.includes(MARKER));
    }
    assert.equal(probe.paths.length, 4);
  });
});
