// 1,000 pushes while one receiver is slow: nothing is lost, each webhook gets its events in
// order, a fast webhook is not held up by the slow one, and push latency does not grow.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { Pusher, startReceiver, type Receiver } from './webhooks-helpers.ts';

const PUSHES = 1000;
const SLOW_MS = 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe('webhooks: load', () => {
  let server: BerthProcess | undefined;
  const receivers: Receiver[] = [];
  after(async () => {
    await server?.stop();
    for (const r of receivers) await r.close();
  });

  it(`loses nothing and keeps order over ${PUSHES} pushes with a slow receiver`, { timeout: 180_000 }, async () => {
    const slow = await startReceiver(() => ({ status: 200, delayMs: SLOW_MS }));
    const fast = await startReceiver();
    receivers.push(slow, fast);
    server = await startBerth({
      auth: 'none',
      config: {
        notifications: {
          pollIntervalMs: 100,
          allowLoopback: true, // the receivers run on loopback; the default refuses it
          endpoints: [
            { name: 'slow', url: slow.url, events: ['push'], format: 'berth' },
            { name: 'fast', url: fast.url, events: ['push'], format: 'berth' },
          ],
        },
      },
    });
    const pusher = new Pusher(server.url);
    const latencies: number[] = [];
    const pushedAtByTag = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    for (let i = 0; i < PUSHES; i++) {
      assert.ok(Date.now() < deadline, `pushes took over 120 s (at ${i})`);
      const t = performance.now();
      const tag = `t${String(i).padStart(4, '0')}`;
      await pusher.push('library/load', tag);
      latencies.push(performance.now() - t);
      pushedAtByTag.set(tag, Date.now());
    }
    const pushedAt = Date.now();
    const fastGot = await fast.waitFor(PUSHES, 60_000);
    const fastDone = Date.now();
    const slowGot = await slow.waitFor(PUSHES, 120_000);
    const slowDone = Date.now();

    for (const [name, got] of [['fast', fastGot], ['slow', slowGot]] as const) {
      const tags = got.map((g) => JSON.parse(g.body).tag as string);
      assert.equal(new Set(tags).size, PUSHES, `${name}: every push arrived`);
      assert.deepEqual(tags, [...tags].sort(), `${name}: in push order`);
    }
    assert.ok(fastDone <= slowDone, 'the fast receiver is not held up behind the slow one');
    // Push-to-delivery latency at the fast receiver, from the moment each push was answered.
    const delivery = fastGot.map((g) => g.at - pushedAtByTag.get(JSON.parse(g.body).tag as string)!).sort((a, b) => a - b);
    const p50 = delivery[Math.floor(PUSHES * 0.5)]!;
    const p99 = delivery[Math.floor(PUSHES * 0.99)]!;
    process.stdout.write(`# push-to-delivery at the fast receiver: p50 ${p50} ms, p99 ${p99} ms, max ${delivery.at(-1)} ms\n`);
    assert.ok(p50 < 1000, `median push-to-delivery ${p50} ms`);
    const first = median(latencies.slice(0, 100));
    const last = median(latencies.slice(-100));
    process.stdout.write(`# push latency median: first 100 ${first.toFixed(1)} ms, last 100 ${last.toFixed(1)} ms; fast receiver done ${fastDone - pushedAt} ms after the last push, slow ${slowDone - pushedAt} ms\n`);
    assert.ok(last < first * 3 + 10, `push latency grew from ${first.toFixed(1)} ms to ${last.toFixed(1)} ms`);
  });
});
