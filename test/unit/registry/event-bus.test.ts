import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RegistryEvent, TagEvent } from '../../../src/core/events.ts';
import { EventBus } from '../../../src/registry/event-bus.ts';

const at = new Date(0);
const push: RegistryEvent = { type: 'push', repository: 'library/a', at, actor: {}, digest: 'sha256:x', mediaType: 'm', size: 1 };
const tag: TagEvent = { type: 'tag', repository: 'library/a', at, actor: { name: 'alice' }, tag: 'v1', digest: 'sha256:x' };

describe('EventBus', () => {
  it('delivers an event only to handlers of its type, typed', () => {
    const bus = new EventBus();
    const tags: string[] = [];
    const pushes: number[] = [];
    bus.on('tag', (e) => tags.push(e.tag));
    bus.on('push', (e) => pushes.push(e.size));
    bus.emit(tag);
    assert.deepEqual(tags, ['v1']);
    assert.deepEqual(pushes, []);
    bus.emit(push);
    assert.deepEqual(pushes, [1]);
    assert.deepEqual(tags, ['v1']);
  });

  it('onAny sees every event, after the typed handlers', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.onAny((e) => seen.push(`any:${e.type}`));
    bus.on('push', () => seen.push('push'));
    bus.emit(push);
    bus.emit(tag);
    assert.deepEqual(seen, ['push', 'any:push', 'any:tag']);
  });

  it('handlers of one type run in subscription order', () => {
    const bus = new EventBus();
    const seen: number[] = [];
    bus.on('push', () => seen.push(1));
    bus.on('push', () => seen.push(2));
    bus.on('push', () => seen.push(3));
    bus.emit(push);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('unsubscribe stops delivery to that handler only, and is idempotent', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const offA = bus.on('push', () => seen.push('a'));
    bus.on('push', () => seen.push('b'));
    const offAny = bus.onAny(() => seen.push('any'));
    offA();
    offA();
    bus.emit(push);
    assert.deepEqual(seen, ['b', 'any']);
    offAny();
    bus.emit(push);
    assert.deepEqual(seen, ['b', 'any', 'b']);
  });

  it('the same function subscribed twice is removed once per unsubscribe', () => {
    const bus = new EventBus();
    let n = 0;
    const handler = () => { n++; };
    const off1 = bus.on('push', handler);
    bus.on('push', handler);
    off1();
    bus.emit(push);
    assert.equal(n, 1);
  });

  it('a throwing subscriber does not stop the others and is reported to onError', () => {
    const errors: { error: unknown; event: RegistryEvent }[] = [];
    const bus = new EventBus((error, event) => errors.push({ error, event }));
    const seen: string[] = [];
    const boom = new Error('boom');
    bus.on('push', () => seen.push('first'));
    bus.on('push', () => { throw boom; });
    bus.on('push', () => seen.push('third'));
    bus.onAny(() => { throw new Error('any boom'); });
    bus.onAny(() => seen.push('any'));
    assert.doesNotThrow(() => bus.emit(push));
    assert.deepEqual(seen, ['first', 'third', 'any']);
    assert.equal(errors.length, 2);
    assert.equal(errors[0]?.error, boom);
    assert.equal(errors[0]?.event, push);
    assert.match(String(errors[1]?.error), /any boom/);
  });

  it('without onError a throwing subscriber is swallowed', () => {
    const bus = new EventBus();
    let after = false;
    bus.on('tag', () => { throw new Error('x'); });
    bus.on('tag', () => { after = true; });
    assert.doesNotThrow(() => bus.emit(tag));
    assert.equal(after, true);
  });
});
