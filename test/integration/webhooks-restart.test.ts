// Pending deliveries survive a crash: Berth is killed (SIGKILL) while a retry waits, restarted
// on the same data, and the event is still delivered, once, with its original event id.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { Pusher, startReceiver, type Receiver } from './webhooks-helpers.ts';

describe('webhooks: restarts', () => {
  let server: BerthProcess | undefined;
  let receiver: Receiver | undefined;
  after(async () => {
    await server?.stop();
    await receiver?.close();
  });

  it('delivers an event whose retry was pending when Berth was killed', async () => {
    let up = false;
    receiver = await startReceiver(() => (up ? 200 : 500));
    const options = {
      auth: 'none' as const,
      // A long first backoff: the retry is certainly still pending when the process dies.
      // allowLoopback: the receiver runs on loopback, which the default refuses.
      config: { notifications: { initialBackoffMs: 3000, maxBackoffMs: 3000, pollIntervalMs: 100, allowLoopback: true, endpoints: [{ name: 'ci', url: receiver.url, events: ['push' as const], format: 'berth' as const }] } },
    };
    server = await startBerth(options);
    await new Pusher(server.url).push('library/app', '1.4');
    await receiver.waitFor(1, 5000, (r) => r.status === 500);
    await new Promise((r) => setTimeout(r, 300)); // the failure is recorded and the retry scheduled
    await server.kill();
    const failedId = receiver.received[0]!.headers['berth-event-id'];
    up = true;
    const started = Date.now();
    server = await server.restart();
    const [got] = await receiver.waitFor(1, 10_000);
    assert.equal(got!.headers['berth-event-id'], failedId, 'the same event, not a new one');
    assert.equal(JSON.parse(got!.body).tag, '1.4');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(receiver.received.filter((r) => r.status === 200).length, 1);
    assert.ok(Date.now() - started < 15_000);
  });
});
