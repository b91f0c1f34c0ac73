// PushActivity: background work learns whether uploads are running, and waits for a pause in
// them without waiting forever.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PushActivity } from '../../../src/registry/activity.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PushActivity', () => {
  it('is busy while an upload runs, also when it fails', async () => {
    const a = new PushActivity();
    let release!: () => void;
    const running = a.during(() => new Promise<void>((r) => { release = r; }));
    assert.equal(a.busy, true);
    release();
    await running;
    assert.equal(a.busy, false);
    await assert.rejects(a.during(async () => { assert.equal(a.busy, true); throw new Error('boom'); }), /boom/);
    assert.equal(a.busy, false);
  });

  it('settle waits until uploads have paused for the quiet time', async () => {
    const a = new PushActivity();
    // A burst: uploads one after another for ~300 ms.
    const burst = (async () => { for (let i = 0; i < 6; i++) await a.during(() => sleep(50)); })();
    await sleep(10);
    const started = Date.now();
    await a.settle(100, 5000);
    const waited = Date.now() - started;
    await burst;
    assert.ok(waited >= 300, `settled after ${waited} ms, while uploads were still running`);
    assert.ok(waited < 1500, `settled only after ${waited} ms`);
  });

  it('settle returns at once when nothing ran, and after maxWait when uploads never stop', async () => {
    const idle = new PushActivity();
    let t = Date.now();
    await idle.settle(200, 5000);
    assert.ok(Date.now() - t < 100);

    const busy = new PushActivity();
    let release!: () => void;
    const running = busy.during(() => new Promise<void>((r) => { release = r; }));
    t = Date.now();
    await busy.settle(50, 300);
    const waited = Date.now() - t;
    release();
    await running;
    assert.ok(waited >= 300 && waited < 1000, `waited ${waited} ms`);
  });

  it('settle stops waiting when its job is cancelled', async () => {
    const a = new PushActivity();
    let release!: () => void;
    const running = a.during(() => new Promise<void>((r) => { release = r; }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const t = Date.now();
    await a.settle(50, 10_000, controller.signal);
    assert.ok(Date.now() - t < 1000);
    release();
    await running;
  });
});
