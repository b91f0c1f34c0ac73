// berth webhook add|list|deliveries|redeliver: offline against the data directory, and with
// --url against the server running on it; the webhook added offline delivers the server's pushes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { basic } from './api-helpers.ts';
import { Pusher, startReceiver, type Receiver } from './webhooks-helpers.ts';

const ADMIN_PASSWORD = 'cli-webhook-admin-pw';

describe('berth webhook', () => {
  let server: BerthProcess | undefined;
  let receiver: Receiver | undefined;
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('adds, lists, shows deliveries and redelivers, offline and with --url', async () => {
    receiver = await startReceiver();
    const data = await mkdtemp(join(tmpdir(), 'berth-webhook-cli-'));
    const env = { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD };
    // Offline, before the server exists: the store and the admin's project are made by the first start.
    server = await startBerth({ auth: 'builtin', dataDir: data, env, config: { notifications: { pollIntervalMs: 100 } } });

    // Loopback receivers are refused by default; offline, the CLI acts as the system (an administrator) and grants the exception.
    const refused = await berth(['webhook', 'add', 'admin', receiver.url, '--data', data]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /loopback address .*notifications\.allowLoopback: true.*allowPrivateTargets/);
    const added = ok(await berth(['webhook', 'add', 'admin', receiver.url, '--events', 'push,delete', '--format', 'cloudevents', '--secret-stdin', '--allow-private-targets', '--data', data, '--json'], { stdin: 'a-secret-from-stdin-123\n' }));
    const created = JSON.parse(added.stdout) as { webhook: { id: number; events: string[]; format: string; hasSecret: boolean; allowPrivateTargets: boolean }; secret?: string };
    assert.deepEqual(created.webhook.events, ['push', 'delete']);
    assert.equal(created.webhook.format, 'cloudevents');
    assert.equal(created.webhook.hasSecret, true);
    assert.equal(created.webhook.allowPrivateTargets, true);
    assert.equal(created.secret, undefined, 'a given secret is not printed');
    assert.ok(!added.stdout.includes('a-secret-from-stdin-123'));

    const generated = ok(await berth(['webhook', 'add', 'admin', `${receiver.url}?second`, '--filter', 'admin/nothing-*', '--allow-private-targets', '--data', data]));
    assert.match(generated.stdout, /secret: [0-9a-f]{48}/);

    const list = ok(await berth(['webhook', 'list', 'admin', '--data', data]));
    assert.match(list.stdout, /ID\s+PROJECT\s+URL/);
    assert.match(list.stdout, new RegExp(`${created.webhook.id}\\s+admin\\s+${receiver.url.replace(/[/.?]/g, '\\$&')}\\s+push,delete\\s+cloudevents`));

    const digest = await new Pusher(server.url, basic(['admin', ADMIN_PASSWORD])).push('admin/cli', 'v1');
    const [got] = await receiver.waitFor(1, 5000);
    assert.equal(JSON.parse(got!.body).data.digest, digest);

    const remote = { BERTH_PASSWORD: ADMIN_PASSWORD };
    const deliveries = JSON.parse(ok(await berth(['webhook', 'deliveries', String(created.webhook.id), '--url', server.url, '--user', 'admin', '--json'], { env: remote })).stdout) as { id: number; status: string; attempts: number }[];
    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0]!.status, 'delivered');
    const table = ok(await berth(['webhook', 'deliveries', String(created.webhook.id), '--data', data]));
    assert.match(table.stdout, /delivered\s+1\s+200\s+\d+ms\s+\d+ B/);
    assert.match(JSON.stringify(deliveries), /"responseBytes":\d+/);

    ok(await berth(['webhook', 'redeliver', String(deliveries[0]!.id), '--url', server.url, '--user', 'admin'], { env: remote }));
    const again = await receiver.waitFor(2, 5000);
    assert.equal(again[1]!.headers['berth-event-id'], again[0]!.headers['berth-event-id'], 'redelivery keeps the event id');

    const remoteList = JSON.parse(ok(await berth(['webhook', 'list', '--url', server.url, '--user', 'admin', '--json'], { env: remote })).stdout) as unknown[];
    assert.equal(remoteList.length, 2);
    assert.ok(!JSON.stringify(remoteList).includes('a-secret-from-stdin-123'));

    const second = (remoteList as { id: number }[]).find((w) => w.id !== created.webhook.id)!;
    assert.match(ok(await berth(['webhook', 'pause', String(second.id), '--data', data])).stdout, /Paused webhook/);
    assert.match(ok(await berth(['webhook', 'list', 'admin', '--data', data])).stdout, /PAUSED: paused by system/);
    ok(await berth(['webhook', 'resume', String(second.id), '--url', server.url, '--user', 'admin'], { env: remote }));
    ok(await berth(['webhook', 'remove', String(second.id), '--data', data]));
    assert.equal((JSON.parse(ok(await berth(['webhook', 'list', 'admin', '--data', data, '--json'])).stdout) as unknown[]).length, 1);

    const bad = await berth(['webhook', 'add', 'admin', 'http://169.254.169.254/', '--data', data]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /SSRF guard/);
  });
});
