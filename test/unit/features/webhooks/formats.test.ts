import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RegistryEvent } from '../../../../src/core/events.ts';
import { toStored } from '../../../../src/features/webhooks/event.ts';
import { FORMATS } from '../../../../src/features/webhooks/formats/index.ts';
import { wants } from '../../../../src/features/webhooks/options.ts';
import type { WebhookRow } from '../../../../src/metadata/webhooks.ts';

const at = new Date('2026-01-02T03:04:05Z');
const push: RegistryEvent = { type: 'push', repository: 'team/app', digest: 'sha256:' + 'a'.repeat(64), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 512, tag: '1.4', at, actor: { name: 'alice', address: '10.0.0.9' }, requestId: 'req-1' };
const ctx = { registryHost: 'registry.example:5000', instanceId: 'i-1' };

function row(p: Partial<WebhookRow>): WebhookRow {
  return { id: 1, project_id: 1, project: 'team', config_name: null, url: 'http://x', secret: '', events: 'push', filter: '', format: 'berth', options: '{}', enabled: 1, paused: 0, paused_reason: null, consecutive_failures: 0, lease_owner: null, lease_until: 0, created_by: 'a', created_at: 0, updated_at: 0, ...p };
}

describe('webhook payload formats', () => {
  const e = toStored(push)!;
  it('berth: the flat payload with a pull command pinned by digest', () => {
    const r = FORMATS.berth(e, ctx);
    const p = JSON.parse(r.body);
    assert.equal(r.contentType, 'application/json');
    assert.equal(p.pullCommand, `docker pull registry.example:5000/team/app@${push.digest}`);
    assert.equal(p.time, at.toISOString());
    assert.equal(p.project, 'team');
  });
  it('cloudevents: structured mode 1.0', () => {
    const r = FORMATS.cloudevents(e, ctx);
    const p = JSON.parse(r.body);
    assert.match(r.contentType, /^application\/cloudevents\+json/);
    assert.equal(p.specversion, '1.0');
    assert.equal(p.id, e.id);
    assert.equal(p.subject, 'team/app:1.4');
  });
  it("distribution: Distribution's envelope and field names", () => {
    const r = FORMATS.distribution(e, ctx);
    assert.equal(r.contentType, 'application/vnd.docker.distribution.events.v1+json');
    const ev = JSON.parse(r.body).events[0];
    assert.deepEqual(ev.target, { mediaType: push.mediaType, size: 512, digest: push.digest, length: 512, repository: 'team/app', url: `http://registry.example:5000/v2/team/app/manifests/${push.digest}`, tag: '1.4' });
    assert.deepEqual(ev.request, { id: 'req-1', addr: '10.0.0.9', host: 'registry.example:5000', method: 'PUT', useragent: '' });
    assert.deepEqual(ev.actor, { name: 'alice' });
    assert.deepEqual(ev.source, { addr: 'registry.example:5000', instanceID: 'i-1' });
    assert.equal(ev.timestamp, at.toISOString());
  });
  it('distribution: an untag is a delete', () => {
    const untag = toStored({ type: 'untag', repository: 'team/app', tag: 'old', digest: push.digest, at, actor: {} })!;
    const ev = JSON.parse(FORMATS.distribution(untag, ctx).body).events[0];
    assert.equal(ev.action, 'delete');
    assert.equal(ev.request.method, 'DELETE');
  });
  it('slack: a text message', () => {
    const p = JSON.parse(FORMATS.slack(e, ctx).body);
    assert.deepEqual(Object.keys(p), ['text']);
    assert.match(p.text, /alice\* pushed `team\/app:1.4`/);
  });
  it('maps registry events to webhook types and ignores blob-level ones', () => {
    assert.equal(toStored({ type: 'blob.push', repository: 'a/b', digest: 'x', size: 1, at, actor: {} }), undefined);
    assert.equal(toStored({ type: 'delete', target: 'blob', repository: 'a/b', digest: 'x', tags: [], at, actor: {} }), undefined);
    assert.equal(toStored({ type: 'tag', repository: 'a/b', tag: 't', digest: 'x', at, actor: {} })?.type, 'tag');
  });
  it('matches webhooks by project, event type, filter and ignore lists', () => {
    assert.equal(wants(row({}), e), true);
    assert.equal(wants(row({ project: 'other' }), e), false);
    assert.equal(wants(row({ project: null }), e), true);
    assert.equal(wants(row({ events: 'delete,tag' }), e), false);
    assert.equal(wants(row({ filter: 'team/other*' }), e), false);
    assert.equal(wants(row({ options: JSON.stringify({ ignoredMediaTypes: [push.mediaType] }) }), e), false);
    assert.equal(wants(row({ options: JSON.stringify({ ignoredActions: ['push'] }) }), e), false);
  });
});
