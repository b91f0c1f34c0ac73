// Scale-out (issue 14): a webhook is delivered exactly once through a cluster. Three instances
// behind haproxy (scripts/cluster-up.sh, via ./helpers/cluster.ts) all run the delivery worker;
// webhooks registered with `berth webhook add --url LB` get every push made through the load
// balancer once: as many requests as pushes, unique delivery ids, the pushed digests, in order,
// with a single attempt each, and deliveries sent by every one of the three instances.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { Pusher, startReceiver, type Receiver } from '../integration/webhooks-helpers.ts';
import { startCluster, type Cluster } from './helpers/cluster.ts';

const PUSHES = 12;
const HOOKS = 3;

interface DistributionEnvelope { events: { id: string; action: string; target: { repository: string; tag: string; digest: string }; source: { instanceID: string } }[] }

describe('webhooks through a cluster of 3 instances behind haproxy', { timeout: 600_000 }, () => {
  let cluster: Cluster | undefined;
  const receivers: Receiver[] = [];

  before(async () => {
    cluster = await startCluster({ auth: 'builtin' });
  });
  after(async () => {
    for (const r of receivers) await r.close();
    await cluster?.stop();
  });

  it('each push through the load balancer reaches each webhook exactly once, and every instance delivers', { timeout: 300_000 }, async () => {
    const c = cluster!;
    const remote = { BERTH_PASSWORD: c.password };
    const hookIds: string[] = [];
    for (let h = 0; h < HOOKS; h++) {
      const r = await startReceiver();
      receivers.push(r);
      const added = ok(await berth(['webhook', 'add', 'admin', r.url, '--events', 'push', '--format', 'distribution', '--allow-private-targets', '--url', c.url, '--user', 'admin', '--json'], { env: remote }));
      hookIds.push(String((JSON.parse(added.stdout) as { webhook: { id: number } }).webhook.id));
    }

    // One push at a time, each delivered before the next: haproxy sends each manifest PUT to the
    // next instance, and the worker of any instance may claim the webhook's lease.
    const pusher = new Pusher(c.url, `Basic ${Buffer.from(`admin:${c.password}`).toString('base64')}`);
    const pushed: { tag: string; digest: string }[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const tag = `t${String(i).padStart(3, '0')}`;
      pushed.push({ tag, digest: await pusher.push('admin/hooked', tag) });
      for (const r of receivers) await r.waitFor(i + 1, 60_000);
    }
    await new Promise((r) => setTimeout(r, 3000)); // room for a duplicate to show up

    // source.instanceID is the worker's owner, HOSTNAME:PORT of its instance.
    const instanceAddrs = new Set(c.instances.map((i) => new URL(i.url).port));
    const deliveredBy = new Map<string, number>();
    for (const [h, r] of receivers.entries()) {
      const what = `webhook ${hookIds[h]}`;
      assert.equal(r.received.length, PUSHES, `${what}: ${r.received.length} requests for ${PUSHES} pushes`);
      assert.ok(r.received.every((g) => g.status === 200), `${what}: every request answered 200`);
      const deliveryIds = r.received.map((g) => String(g.headers['berth-delivery-id']));
      assert.equal(new Set(deliveryIds).size, PUSHES, `${what}: delivery ids ${deliveryIds.join(', ')} are unique`);
      assert.ok(r.received.every((g) => g.headers['berth-webhook-id'] === hookIds[h]), `${what}: Berth-Webhook-Id`);
      const eventIds = r.received.map((g) => String(g.headers['berth-event-id']));
      assert.equal(new Set(eventIds).size, PUSHES, `${what}: event ids are unique`);
      const events = r.received.map((g) => (JSON.parse(g.body) as DistributionEnvelope).events);
      assert.ok(events.every((e) => e.length === 1), `${what}: one event per request`);
      assert.deepEqual(events.map((e) => ({ tag: e[0]!.target.tag, digest: e[0]!.target.digest })), pushed, `${what}: the pushed tags and digests, in order`);
      assert.deepEqual(events.map((e) => e[0]!.id), eventIds, `${what}: the body's event id is the Berth-Event-Id header`);
      for (const e of events) {
        const by = /:(\d+)$/.exec(e[0]!.source.instanceID)?.[1] ?? e[0]!.source.instanceID;
        assert.ok(instanceAddrs.has(by), `${what}: delivered by ${by}, not an instance's port (${[...instanceAddrs].join(', ')})`);
        deliveredBy.set(by, (deliveredBy.get(by) ?? 0) + 1);
      }
      // The server's own log agrees: every delivery delivered, at the first attempt.
      const log = JSON.parse(ok(await berth(['webhook', 'deliveries', hookIds[h]!, '--url', c.url, '--user', 'admin', '--json'], { env: remote })).stdout) as { id: number; status: string; attempts: number }[];
      assert.equal(log.length, PUSHES, `${what}: ${log.length} deliveries recorded`);
      assert.deepEqual(log.map((d) => [d.status, d.attempts]), log.map(() => ['delivered', 1]), `${what}: each delivered once, at the first attempt`);
      assert.deepEqual(new Set(log.map((d) => String(d.id))), new Set(deliveryIds), `${what}: the ids received are the ids recorded`);
    }
    // The same events reached every webhook.
    const eventSets = receivers.map((r) => JSON.stringify(r.received.map((g) => g.headers['berth-event-id']).sort()));
    assert.ok(eventSets.every((s) => s === eventSets[0]), 'every webhook got the same events');
    process.stdout.write(`# deliveries by instance port: ${JSON.stringify(Object.fromEntries(deliveredBy))}\n`);
    assert.deepEqual([...deliveredBy.keys()].sort(), [...instanceAddrs].sort(), 'all 3 instances run the worker and delivered');
  });
});
