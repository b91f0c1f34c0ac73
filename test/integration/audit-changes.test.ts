// The audit log records every change to users, projects, members, robots, access tokens,
// webhooks, badges, scan policies, feed imports, scan requests, trust policies and keys, quotas and
// immutability rules, whoever makes it (the API as a signed-in account, with the address; the
// offline CLI as the local system), and 403 refusals, summed when they repeat (hardening issue,
// found by a new user). Every mutating management route of the OpenAPI document must appear in
// the table below, so a route added later without an audit entry fails here. No secret is ever
// written to the log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { cosignKey } from '../helpers/cosign-signer.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, type Creds } from './api-helpers.ts';
import { layerOf, osvFixtures, pushLayers, trackerFixture } from './scan-helpers.ts';

interface Entry { actor: string; action: string; project: string | null; reference: string | null; address: string | null; detail: string | null; outcome: string }

describe('management changes and refusals are audited', { timeout: 300_000 }, () => {
  let server: BerthProcess;
  let alice: Creds;
  const secrets: string[] = [];

  before(async () => {
    server = await startBerth({ auth: 'builtin', env: { BERTH_ADMIN_PASSWORD: ADMIN[1] }, config: {
      notifications: { allowLoopback: true },
      // A directory nobody signs in through here (nothing listens): group mappings must name a provider.
      auth: { providers: [{ name: 'corp', type: 'ldap', url: 'ldap://127.0.0.1:9', userBase: 'ou=people,dc=example,dc=org', timeoutMs: 500 }] },
    } });
    alice = await addUser(server, 'alice', 'alice-secret-password');
    secrets.push(ADMIN[1], 'alice-secret-password');
  });
  after(async () => {
    await server?.stop();
  });

  async function entries(query = ''): Promise<Entry[]> {
    return expectStatus(await call(server, 'GET', `/audit?limit=1000${query}`, { as: ADMIN }), 200).body.entries;
  }

  /** Waits (bounded) for an entry matching `match`; the log is written in batches. */
  async function expectEntry(match: (e: Entry) => boolean, what: string): Promise<Entry> {
    for (let i = 0; i < 60; i++) {
      const found = (await entries()).find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`no audit entry for ${what}; the log has: ${JSON.stringify((await entries()).slice(0, 30).map((e) => `${e.actor} ${e.action} ${e.project} ${e.reference}`))}`);
  }

  it('every change through the API, with actor, project, target and address', async () => {
    let webhookId = 0;
    let tokenId = 0;
    let immutableRuleId = 0;
    // [method, path, body, who, action, project, what makes the call meaningful first]
    const steps: { key: string; run: () => Promise<unknown>; action: string; actor: string; project?: string }[] = [
      { key: 'POST /users', action: 'user.create', actor: 'admin', run: () => call(server, 'POST', '/users', { as: ADMIN, body: { name: 'carol', password: 'carol-password' } }) },
      { key: 'PATCH /users/{name}', action: 'user.update', actor: 'admin', run: () => call(server, 'PATCH', '/users/carol', { as: ADMIN, body: { admin: true } }) },
      { key: 'PUT /users/{name}/password', action: 'user.password', actor: 'admin', run: () => call(server, 'PUT', '/users/carol/password', { as: ADMIN, body: { password: 'carol-second-pw' } }) },
      { key: 'POST /projects', action: 'project.create', actor: 'alice', project: 'team', run: () => call(server, 'POST', '/projects', { as: alice, body: { name: 'team' } }) },
      { key: 'PATCH /projects/{name}', action: 'project.update', actor: 'alice', project: 'team', run: () => call(server, 'PATCH', '/projects/team', { as: alice, body: { visibility: 'public' } }) },
      { key: 'PATCH /projects/{name} (badges)', action: 'project.badge', actor: 'admin', project: 'team', run: () => call(server, 'PATCH', '/projects/team', { as: ADMIN, body: { verified: true } }) },
      { key: 'PUT /projects/{name}/members/{user}', action: 'member.set', actor: 'alice', project: 'team', run: () => call(server, 'PUT', '/projects/team/members/carol', { as: alice, body: { role: 'developer' } }) },
      { key: 'DELETE /projects/{name}/members/{user}', action: 'member.remove', actor: 'alice', project: 'team', run: () => call(server, 'DELETE', '/projects/team/members/carol', { as: alice }) },
      {
        key: 'POST /projects/{name}/robots', action: 'robot.create', actor: 'alice', project: 'team',
        run: async () => { const r = await call(server, 'POST', '/projects/team/robots', { as: alice, body: { name: 'ci', permissions: 'pull' } }); secrets.push(r.body.secret); return r; },
      },
      {
        key: 'POST /robots', action: 'robot.create', actor: 'admin',
        run: async () => { const r = await call(server, 'POST', '/robots', { as: ADMIN, body: { name: 'mirror', permissions: [{ project: 'team', actions: 'pull' }, { project: 'alice', actions: 'pull' }] } }); secrets.push(r.body.secret); return r; },
      },
      {
        key: 'POST /robots/{name}/rotate', action: 'robot.rotate', actor: 'alice', project: 'team',
        run: async () => { const r = await call(server, 'POST', `/robots/${encodeURIComponent('robot$team+ci')}/rotate`, { as: alice }); secrets.push(r.body.secret); return r; },
      },
      { key: 'PATCH /robots/{name}', action: 'robot.disable', actor: 'alice', project: 'team', run: () => call(server, 'PATCH', `/robots/${encodeURIComponent('robot$team+ci')}`, { as: alice, body: { disabled: true } }) },
      { key: 'DELETE /robots/{name}', action: 'robot.delete', actor: 'alice', project: 'team', run: () => call(server, 'DELETE', `/robots/${encodeURIComponent('robot$team+ci')}`, { as: alice }) },
      {
        key: 'POST /users/{name}/tokens', action: 'token.create', actor: 'alice',
        run: async () => { const r = await call(server, 'POST', '/users/alice/tokens', { as: alice, body: { name: 'ci', permissions: 'pull' } }); secrets.push(r.body.secret); tokenId = r.body.token.id; return r; },
      },
      { key: 'DELETE /users/{name}/tokens/{id}', action: 'token.revoke', actor: 'alice', run: () => call(server, 'DELETE', `/users/alice/tokens/${tokenId}`, { as: alice }) },
      {
        key: 'POST /projects/{name}/webhooks', action: 'webhook.create', actor: 'alice', project: 'team',
        run: async () => { const r = await call(server, 'POST', '/projects/team/webhooks', { as: alice, body: { url: 'http://127.0.0.1:9/hook', events: 'push', secret: 'a-webhook-secret-of-16+' } }); secrets.push('a-webhook-secret-of-16+'); webhookId = r.body.webhook.id; return r; },
      },
      { key: 'PATCH /webhooks/{id}', action: 'webhook.update', actor: 'alice', project: 'team', run: () => call(server, 'PATCH', `/webhooks/${webhookId}`, { as: alice, body: { secret: 'another-webhook-secret-16', paused: true } }) },
      { key: 'DELETE /webhooks/{id}', action: 'webhook.delete', actor: 'alice', project: 'team', run: () => call(server, 'DELETE', `/webhooks/${webhookId}`, { as: alice }) },
      { key: 'PATCH /projects/{name}/scan-policy', action: 'project.scan-policy', actor: 'alice', project: 'team', run: () => call(server, 'PATCH', '/projects/team/scan-policy', { as: alice, body: { preventSeverity: 'critical' } }) },
      { key: 'POST /vulndb/imports', action: 'vulndb.import', actor: 'admin', run: () => call(server, 'POST', '/vulndb/imports', { as: ADMIN, raw: trackerFixture().toString(), contentType: 'application/json' }) },
      {
        key: 'POST /vulndb/imports/oci', action: 'vulndb.import', actor: 'admin',
        run: async () => {
          await pushLayers(server, alice, 'team/feed', 'latest', [layerOf({ 'GHSA-35jh-r3h4-6jhm.json': osvFixtures(['GHSA-35jh-r3h4-6jhm']) })]);
          return call(server, 'POST', '/vulndb/imports/oci', { as: ADMIN, body: { reference: `oci://${server.host}/team/feed:latest`, username: ADMIN[0], password: ADMIN[1] } });
        },
      },
      { key: 'POST /vulndb/restore', action: 'vulndb.restore', actor: 'admin', run: () => call(server, 'POST', '/vulndb/restore', { as: ADMIN }) },
      { key: 'POST /repositories/{project}/{repository}/scans', action: 'scan.request', actor: 'alice', project: 'team', run: () => call(server, 'POST', '/repositories/team/feed/scans', { as: alice, body: { reference: 'latest' } }) },
      { key: 'POST /projects/{name}/trust-keys', action: 'trust.key.add', actor: 'alice', project: 'team', run: () => call(server, 'POST', '/projects/team/trust-keys', { as: alice, body: { name: 'release', key: cosignKey('p256').publicPem } }) },
      { key: 'PATCH /projects/{name}/trust-policy', action: 'trust.policy', actor: 'alice', project: 'team', run: () => call(server, 'PATCH', '/projects/team/trust-policy', { as: alice, body: { mode: 'audit', exempt: ['robot$team+ci'] } }) },
      { key: 'DELETE /projects/{name}/trust-keys/{key}', action: 'trust.key.remove', actor: 'alice', project: 'team', run: () => call(server, 'DELETE', '/projects/team/trust-keys/release', { as: alice }) },
      { key: 'PATCH /projects/{name} (quota)', action: 'project.quota', actor: 'admin', project: 'team', run: () => call(server, 'PATCH', '/projects/team', { as: ADMIN, body: { quotaBytes: 10 * 2 ** 30 } }) },
      {
        key: 'POST /projects/{name}/immutable-rules', action: 'immutable.add', actor: 'alice', project: 'team',
        run: async () => { const r = await call(server, 'POST', '/projects/team/immutable-rules', { as: alice, body: { repos: '**', tags: 'v*' } }); immutableRuleId = r.body.id; return r; },
      },
      { key: 'DELETE /projects/{name}/immutable-rules/{id}', action: 'immutable.remove', actor: 'alice', project: 'team', run: () => call(server, 'DELETE', `/projects/team/immutable-rules/${immutableRuleId}`, { as: alice }) },
      { key: 'PUT /projects/{name}/retention', action: 'retention.policy', actor: 'alice', project: 'team', run: () => call(server, 'PUT', '/projects/team/retention', { as: alice, raw: 'rules:\n  - mostRecentlyPushed: 5\n', contentType: 'application/yaml' }) },
      { key: 'PUT /projects/{name}/group-mappings', action: 'group-map.set', actor: 'alice', project: 'team', run: () => call(server, 'PUT', '/projects/team/group-mappings', { as: alice, body: { provider: 'corp', group: 'developers', role: 'developer' } }) },
      { key: 'DELETE /projects/{name}/group-mappings', action: 'group-map.remove', actor: 'alice', project: 'team', run: () => call(server, 'DELETE', '/projects/team/group-mappings?provider=corp&group=developers', { as: alice }) },
      { key: 'PUT /group-mappings/admins', action: 'group-map.set', actor: 'admin', run: () => call(server, 'PUT', '/group-mappings/admins', { as: ADMIN, body: { provider: 'corp', group: 'registry-admins' } }) },
      { key: 'DELETE /group-mappings/admins', action: 'group-map.remove', actor: 'admin', run: () => call(server, 'DELETE', '/group-mappings/admins?provider=corp&group=registry-admins', { as: ADMIN }) },
      { key: 'POST /gc/runs', action: 'gc.request', actor: 'admin', run: () => call(server, 'POST', '/gc/runs', { as: ADMIN, body: { dryRun: true } }) },
      { key: 'POST /projects/{name}/retention/runs', action: 'retention.run', actor: 'alice', project: 'team', run: () => call(server, 'POST', '/projects/team/retention/runs', { as: alice, body: { dryRun: false } }) },
      {
        key: 'POST /repositories/{project}/{repository}/tags/{tag}/rollback', action: 'tag.rollback', actor: 'alice', project: 'team',
        run: async () => {
          await pushLayers(server, alice, 'team/feed', 'latest', [layerOf({ 'moved.txt': 'a newer latest' })]);
          return call(server, 'POST', '/repositories/team/feed/tags/latest/rollback', { as: alice, body: { steps: 1 } });
        },
      },
      {
        key: 'POST /proxy-projects', action: 'proxy.create', actor: 'admin', project: 'cache',
        run: () => call(server, 'POST', '/proxy-projects', { as: ADMIN, body: { project: 'cache', upstream: 'http://127.0.0.1:9', username: 'up', password: 'proxy-upstream-secret-1' } }),
      },
      { key: 'DELETE /proxy-projects/{name}', action: 'proxy.remove', actor: 'admin', project: 'cache', run: () => call(server, 'DELETE', '/proxy-projects/cache', { as: ADMIN }) },
      {
        key: 'POST /replication/rules', action: 'replication.add', actor: 'admin',
        run: () => call(server, 'POST', '/replication/rules', { as: ADMIN, body: { name: 'out', to: 'http://127.0.0.1:9', repos: 'team/**', username: 'peer', password: 'replication-peer-secret-1' } }),
      },
      {
        key: 'PATCH /replication/rules/{name}', action: 'replication.update', actor: 'admin',
        run: () => call(server, 'PATCH', '/replication/rules/out', { as: ADMIN, body: { destPrefix: 'prod', enabled: false, password: 'replication-peer-secret-2' } }),
      },
      { key: 'POST /replication/rules/{name}/runs', action: 'replication.run', actor: 'admin', run: () => call(server, 'POST', '/replication/rules/out/runs', { as: ADMIN }) },
      { key: 'DELETE /replication/rules/{name}', action: 'replication.remove', actor: 'admin', run: () => call(server, 'DELETE', '/replication/rules/out', { as: ADMIN }) },
      { key: 'PATCH /repositories/{project}/{repository}', action: 'repository.update', actor: 'alice', project: 'team', run: () => call(server, 'PATCH', '/repositories/team/feed', { as: alice, body: { shortDescription: 'Vulnerability feed', labels: ['feed'] } }) },
      {
        key: 'DELETE /repositories/{project}/{repository}', action: 'repository.delete', actor: 'alice', project: 'team',
        run: async () => {
          await pushLayers(server, alice, 'team/scratch', 'latest', [layerOf({ 'scratch.txt': 'to delete' })]);
          return call(server, 'DELETE', '/repositories/team/scratch', { as: alice });
        },
      },
      { key: 'DELETE /projects/{name}', action: 'project.delete', actor: 'alice', project: 'team', run: () => call(server, 'DELETE', '/projects/team?repositories=delete', { as: alice }) },
      { key: 'DELETE /users/{name}', action: 'user.delete', actor: 'admin', run: () => call(server, 'DELETE', '/users/carol', { as: ADMIN }) },
    ];
    secrets.push('carol-password', 'carol-second-pw', 'another-webhook-secret-16', 'proxy-upstream-secret-1', 'replication-peer-secret-1', 'replication-peer-secret-2');

    // Coverage: every mutating management route is in the table (or named as not a change here).
    const doc = expectStatus(await call(server, 'GET', '/openapi.json'), 200).body as { paths: Record<string, Record<string, unknown>> };
    const notChanges = new Set([
      'POST /session', 'DELETE /session', // sign-in and sign-out are login entries
      'PUT /repositories/{project}/{repository}/star', 'DELETE /repositories/{project}/{repository}/star', // a user's own preference
      'POST /repositories/{project}/{repository}/tags', 'DELETE /repositories/{project}/{repository}/tags/{tag}', 'DELETE /repositories/{project}/{repository}/manifests/{digest}', // registry events (tag, untag, delete) are audited as pushes and deletes are
      'POST /webhook-deliveries/{id}/redeliver', // covered below
      'POST /projects/{name}/retention/preview', // a plan: nothing changes
      'POST /me/cli-secret', 'DELETE /me/cli-secret', // need a user of an OIDC provider: audited in oidc.test.ts
    ]);
    const covered = new Set(steps.map((s) => s.key.replace(/ \(.*\)$/, '')));
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const m of Object.keys(methods)) {
        const key = `${m.toUpperCase()} ${path.replace(/^\/api\/v1/, '')}`;
        if (m === 'get' || notChanges.has(key) || covered.has(key)) continue;
        missing.push(key);
      }
    }
    assert.deepEqual(missing, [], `mutating routes without an audit step here: ${missing.join(', ')}`);

    for (const step of steps) {
      const res = await step.run() as { status: number; text: string };
      assert.ok(res.status < 300, `${step.key}: ${res.status} ${res.text}`);
      const e = await expectEntry((x) => x.action === step.action && x.actor === step.actor && (step.project === undefined || x.project === step.project), `${step.key} (${step.action})`);
      assert.equal(e.outcome, 'success');
      assert.match(e.address ?? '', /127\.0\.0\.1/, `${step.key}: the address is recorded`);
    }
    const all = JSON.stringify(await entries());
    for (const s of secrets) assert.ok(!all.includes(s), `a secret reached the audit log: ${s.slice(0, 6)}…`);
    const badge = await expectEntry((x) => x.action === 'project.badge', 'badge');
    assert.deepEqual(JSON.parse(badge.detail!), { verified: true });
  });

  it('changes made offline with the CLI are audited as the local system', async () => {
    ok(await berth(['project', 'create', 'offline-made', '--data', server.dataDir]));
    const e = await expectEntry((x) => x.action === 'project.create' && x.project === 'offline-made', 'an offline project.create');
    assert.equal(e.actor, 'system');
  });

  it('403 refusals on /v2 and the API are audited, and a flood of them sums into a few rows', async () => {
    const mallory = await addUser(server, 'mallory');
    // A push where mallory may not push, many times.
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${server.url}/v2/alice/app/blobs/uploads/`, { method: 'POST', headers: { authorization: basic(mallory) } });
      await res.arrayBuffer();
      assert.equal(res.status, 403);
    }
    const api = await call(server, 'GET', '/users', { as: mallory });
    assert.equal(api.status, 403);
    await expectEntry((x) => x.action === 'denied' && x.actor === 'mallory' && (x.reference ?? '').includes('GET /api/v1/users'), 'the API refusal');
    // Wait for the summed row of the /v2 run (written when its window ends, or on flush at stop).
    await server.stop();
    server = await server.restart();
    const rows = (await entries('&action=denied')).filter((x) => x.actor === 'mallory' && x.reference === 'push alice/app');
    const total = rows.reduce((n, r) => n + (JSON.parse(r.detail ?? '{}').count ?? 1), 0);
    assert.equal(total, 200, `200 refusals sum to ${total} over ${rows.length} rows`);
    assert.ok(rows.length <= 5, `${rows.length} rows for 200 refusals`);
    assert.equal(rows[0]!.project, 'alice');
  });

  it('a redelivery is audited', async () => {
    // (Kept last: it needs a delivery, so a webhook and a push.)
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'hooks' } }), 201);
    const hook = expectStatus(await call(server, 'POST', '/projects/hooks/webhooks', { as: alice, body: { url: 'http://127.0.0.1:9/hook', events: 'push' } }), 201).body.webhook;
    const start = await fetch(`${server.url}/v2/hooks/app/blobs/uploads/?digest=sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`, { method: 'POST', headers: { authorization: basic(alice) }, body: '' });
    assert.equal(start.status, 201);
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0 }, layers: [] });
    assert.equal((await fetch(`${server.url}/v2/hooks/app/manifests/v1`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest })).status, 201);
    let delivery = 0;
    for (let i = 0; i < 50 && !delivery; i++) {
      const d = expectStatus(await call(server, 'GET', `/webhooks/${hook.id}/deliveries`, { as: alice }), 200).body.deliveries;
      if (d.length) delivery = d[0].id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expectStatus(await call(server, 'POST', `/webhook-deliveries/${delivery}/redeliver`, { as: alice }), 200);
    await expectEntry((x) => x.action === 'webhook.redeliver' && x.project === 'hooks', 'the redelivery');
  });
});
