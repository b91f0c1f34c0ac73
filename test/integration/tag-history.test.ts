// Tag history and rollback with real pushes (in process, auth builtin): every move is recorded
// by the registry (push, move, retag through the API, delete, re-create), read newest first and
// paged through the API and `berth tag history`; `berth tag rollback` (the real CLI, with --url
// and --user, and offline with --data) moves the tag back by --steps and by --to (a short digest
// will do), as the signed-in user, so the audit log and webhooks see the push; a digest no longer
// in the repository, a guest and an immutable tag are refused, each saying why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { startReceiver, type Receiver } from './webhooks-helpers.ts';
import { ADMIN, addUser, api, basic, createProject, deleteTag, expectOk, pushImage, startRetentionServer, until, type Creds, type Pushed, type TestServer } from './retention-helpers.ts';

interface Entry { id: number; at: string; actor: string; from: string | null; to: string | null; action: string; available: boolean }

describe('tag history and rollback', { timeout: 300_000 }, () => {
  let s: TestServer;
  let alice: Creds;
  let dev: Creds;
  let gus: Creds;
  let eve: Creds;
  let receiver: Receiver;
  let A: Pushed;
  let B: Pushed;
  let C: Pushed;
  const REPO = 'hist/app';
  const H = `/repositories/hist/app/tags/latest/history`;

  const history = async (query = '', as: Creds = alice) => expectOk(await api(s, 'GET', `${H}${query}`, { as })).body as { current: string | null; total: number; entries: Entry[]; next: number | null };
  const digestOf = async (tag: string) => (await fetch(`${s.url}/v2/${REPO}/manifests/${tag}`, { method: 'HEAD', headers: { authorization: basic(alice), accept: 'application/vnd.oci.image.manifest.v1+json' } })).headers.get('docker-content-digest');
  const remote = (who: Creds) => ({ args: ['--url', s.url, '--user', who[0]], env: { env: { BERTH_PASSWORD: who[1] } } });

  before(async () => {
    s = await startRetentionServer();
    [alice, dev, gus, eve] = await Promise.all(['alice', 'dev', 'gus', 'eve'].map((n) => addUser(s, n)));
    await createProject(s, alice, 'hist', { dev: 'developer', gus: 'guest' });
    receiver = await startReceiver();
    expectOk(await api(s, 'POST', '/projects/hist/webhooks', { as: alice, body: { url: receiver.url, events: 'tag' } }), 201);
  });
  after(async () => {
    await receiver?.close();
    await s?.close();
  });

  it('records every move: push, move, retag, delete and re-create, newest first and paged', async () => {
    A = await pushImage(s, alice, REPO, 'latest');
    B = await pushImage(s, alice, REPO, 'latest');
    // Pushing the digest the tag already has is no move.
    const again = await fetch(`${s.url}/v2/${REPO}/manifests/latest`, { method: 'PUT', headers: { authorization: basic(alice), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: B.manifest });
    assert.equal(again.status, 201);
    expectOk(await api(s, 'POST', '/repositories/hist/app/tags', { as: dev, body: { name: 'latest', from: A.digest } }), 201); // a retag by dev
    assert.equal((await deleteTag(s, alice, REPO, 'latest')).status, 202);
    C = await pushImage(s, alice, REPO, 'latest');

    const h = await history();
    assert.equal(h.current, C.digest);
    assert.deepEqual(h.entries.map((e) => [e.action, e.actor, e.from, e.to]), [
      ['created', 'alice', null, C.digest],
      ['deleted', 'alice', A.digest, null],
      ['moved', 'dev', B.digest, A.digest],
      ['moved', 'alice', A.digest, B.digest],
      ['created', 'alice', null, A.digest],
    ]);
    assert.equal(h.total, 5);
    assert.ok(h.entries.every((e) => e.available === (e.to !== null)));
    assert.ok(h.entries.every((e, i) => i === 0 || e.at <= h.entries[i - 1]!.at), 'newest first');

    // Paged: two, two, one.
    const p1 = await history('?n=2');
    assert.deepEqual(p1.entries.map((e) => e.id), h.entries.slice(0, 2).map((e) => e.id));
    const p2 = await history(`?n=2&before=${p1.next}`);
    assert.deepEqual(p2.entries.map((e) => e.id), h.entries.slice(2, 4).map((e) => e.id));
    const p3 = await history(`?n=2&before=${p2.next}`);
    assert.deepEqual(p3.entries.map((e) => e.id), h.entries.slice(4).map((e) => e.id));
    assert.equal(p3.next, null);

    // Whoever may pull reads it; strangers see no repository.
    assert.equal((await history('', gus)).entries.length, 5);
    const hidden = await api(s, 'GET', H, { as: eve });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.errors[0].message, 'no repository hist/app');

    // The CLI shows the same, as JSON and as a table.
    const r = remote(alice);
    const [json, table] = await Promise.all([
      berth(['tag', 'history', `${s.host}/hist/app:latest`, '--json', ...r.args], r.env),
      berth(['tag', 'history', 'hist/app', '--limit', '2', ...r.args], r.env),
    ]);
    assert.deepEqual(JSON.parse(ok(json).stdout), h);
    const lines = ok(table).stdout.split('\n');
    assert.equal(lines[0], `hist/app:latest points at ${C.digest}; 5 recorded moves`);
    assert.match(lines[1]!, /^ID\s+WHEN\s+WHO\s+ACTION\s+FROM\s+TO$/);
    assert.match(lines[2]!, new RegExp(`^${h.entries[0]!.id}\\s+\\S+ \\S+\\s+alice\\s+created\\s+-\\s+${C.digest.slice(0, 19)}$`));
    assert.match(ok(table).stdout, new RegExp(`older moves: berth tag history hist/app:latest --before ${h.entries[1]!.id}`));

    // Docker's naming rules: nginx:1 is library/nginx:1 (an official image), a digest is no tag.
    await pushImage(s, ADMIN, 'library/nginx', '1');
    const asAdmin = remote(ADMIN);
    const official = JSON.parse(ok(await berth(['tag', 'history', 'nginx:1', '--json', ...asAdmin.args], asAdmin.env)).stdout);
    assert.equal(official.repository, 'library/nginx');
    assert.deepEqual(official.entries.map((e: Entry) => [e.action, e.actor]), [['created', 'admin']]);
    const byDigest = await berth(['tag', 'history', `nginx@${A.digest}`, ...asAdmin.args], asAdmin.env);
    assert.equal(byDigest.code, 1);
    assert.match(byDigest.stderr, /names a digest: history and rollback are about a tag/);
  });

  it('rolls back by --steps and by --to through the CLI, as the signed-in user, audited and announced', async () => {
    const asDev = remote(dev);
    const asAlice = remote(alice);
    // One move back the tag did not exist (C created it after the delete).
    const none = await berth(['tag', 'rollback', 'hist/app:latest', '--steps', '1', ...asDev.args], asDev.env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /1 move back, hist\/app:latest did not exist: the move of \S+ by alice created it/);
    // Two moves back: A (what the delete removed).
    const two = ok(await berth(['tag', 'rollback', 'hist/app:latest', '--steps', '2', ...asDev.args], asDev.env));
    assert.equal(two.stdout.trim(), `hist/app:latest moved back to ${A.digest} (from ${C.digest}), 2 moves back`);
    assert.equal(await digestOf('latest'), A.digest);
    // --to with a short digest, as history shows it; then --steps 1 (the default) toggles back.
    const to = JSON.parse(ok(await berth(['tag', 'rollback', 'hist/app:latest', '--to', B.digest.slice(0, 19), '--json', ...asAlice.args], asAlice.env)).stdout);
    assert.deepEqual(to, { repository: 'hist/app', tag: 'latest', from: A.digest, to: B.digest, moved: true });
    assert.equal(await digestOf('latest'), B.digest);
    ok(await berth(['tag', 'rollback', 'hist/app:latest', ...asAlice.args], asAlice.env));
    assert.equal(await digestOf('latest'), A.digest);
    const same = ok(await berth(['tag', 'rollback', 'hist/app:latest', '--to', A.digest, ...asAlice.args], asAlice.env));
    assert.equal(same.stdout.trim(), `hist/app:latest already points at ${A.digest}; nothing to do`);
    const both = await berth(['tag', 'rollback', 'hist/app:latest', '--to', A.digest, '--steps', '2', ...asAlice.args], asAlice.env);
    assert.equal(both.code, 1, 'one of --to and --steps');

    // History has the rollbacks, by whom they were made.
    const h = await history('?n=3');
    assert.deepEqual(h.entries.map((e) => [e.actor, e.from, e.to]), [['alice', B.digest, A.digest], ['alice', A.digest, B.digest], ['dev', C.digest, A.digest]]);
    // Audited: the push by dev (with its address) and the rollback entries.
    await until(async () => {
      const entries = expectOk(await api(s, 'GET', '/audit?project=hist&limit=100', { as: ADMIN })).body.entries as { actor: string; action: string; reference: string | null }[];
      return entries.some((e) => e.action === 'push' && e.actor === 'dev' && e.reference === `latest@${A.digest}`)
        && entries.filter((e) => e.action === 'tag.rollback').length === 3;
    }, 'audit entries of the rollbacks');
    const rollbacks = expectOk(await api(s, 'GET', '/audit?project=hist&action=tag.rollback&limit=10', { as: ADMIN })).body.entries as { actor: string; reference: string; detail: string; address: string }[];
    assert.deepEqual(rollbacks.map((e) => [e.actor, e.reference, JSON.parse(e.detail)]), [
      ['alice', 'hist/app:latest', { from: B.digest, to: A.digest, steps: 1 }],
      ['alice', 'hist/app:latest', { from: A.digest, to: B.digest }],
      ['dev', 'hist/app:latest', { from: C.digest, to: A.digest, steps: 2 }],
    ]);
    assert.match(rollbacks[2]!.address, /127\.0\.0\.1/);
    // Webhooks: a tag event for each, with the previous digest and the user.
    const moves = [['dev', C.digest, A.digest], ['alice', A.digest, B.digest], ['alice', B.digest, A.digest]].map((m) => m.join(' '));
    const moveOf = (body: string) => {
      const e = JSON.parse(body) as { type: string; actor: string; previousDigest?: string; digest: string };
      return e.type === 'tag.changed' ? `${e.actor} ${e.previousDigest} ${e.digest}` : '';
    };
    await until(async () => moves.every((m) => receiver.received.some((r) => r.status < 300 && moveOf(r.body) === m)), 'a webhook tag event for each rollback');
    assert.equal(receiver.received.filter((r) => moveOf(r.body) === moves[0]).length, 1, 'the rollback by dev, once');
    assert.match(await (await fetch(s.metricsUrl)).text(), /^berth_tag_rollbacks_total 3$/m);
  });

  it('refuses a digest no longer in the repository, a guest, and an immutable tag, saying why', async () => {
    // B goes: deleted by digest.
    const del = await fetch(`${s.url}/v2/${REPO}/manifests/${B.digest}`, { method: 'DELETE', headers: { authorization: basic(alice) } });
    assert.equal(del.status, 202);
    const h = await history();
    assert.ok(h.entries.filter((e) => e.to === B.digest).every((e) => !e.available), 'history marks B as gone');
    // (The audit log is written in batches; the message names who deleted it.)
    await until(async () => (expectOk(await api(s, 'GET', '/audit?project=hist&action=delete&limit=10', { as: ADMIN })).body.entries as unknown[]).length > 0, 'the delete audited');
    const gone = await api(s, 'POST', '/repositories/hist/app/tags/latest/rollback', { as: alice, body: { to: B.digest } });
    assert.equal(gone.status, 404);
    assert.match(gone.body.errors[0].message, new RegExp(`^${B.digest.slice(0, 19).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}… is no longer in hist/app \\(deleted \\S+ by alice\\), so latest cannot be rolled back to it`));
    const cli = remote(alice);
    const refused = await berth(['tag', 'rollback', 'hist/app:latest', '--to', B.digest, ...cli.args], cli.env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is no longer in hist\/app/);
    const table = ok(await berth(['tag', 'history', 'hist/app:latest', ...cli.args], cli.env)).stdout;
    assert.match(table, /\* no longer in the repository/);

    const guest = await api(s, 'POST', '/repositories/hist/app/tags/latest/rollback', { as: gus, body: { steps: 1 } });
    assert.equal(guest.status, 403);
    assert.equal(guest.body.errors[0].message, 'you may not push to hist/app, so you may not move its tags');
    const stranger = await api(s, 'POST', '/repositories/hist/app/tags/latest/rollback', { as: eve, body: { steps: 1 } });
    assert.equal(stranger.status, 404);
    const bad = await api(s, 'POST', '/repositories/hist/app/tags/latest/rollback', { as: alice, body: { steps: 500 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0].message, /hist\/app:latest has \d+ recorded moves: it cannot go 500 back/);

    const rule = expectOk(await api(s, 'POST', '/projects/hist/immutable-rules', { as: alice, body: { repos: 'app', tags: 'latest' } }), 201).body;
    const frozen = await api(s, 'POST', '/repositories/hist/app/tags/latest/rollback', { as: alice, body: { to: C.digest } });
    assert.equal(frozen.status, 409);
    assert.equal(frozen.body.errors[0].code, 'TAG_IMMUTABLE');
    assert.match(frozen.body.errors[0].message, /tag latest of hist\/app is immutable/);
    const frozenCli = await berth(['tag', 'rollback', 'hist/app:latest', '--to', C.digest, ...cli.args], cli.env);
    assert.equal(frozenCli.code, 1);
    assert.match(frozenCli.stderr, /is immutable/);
    assert.equal(await digestOf('latest'), A.digest, 'nothing moved');
    expectOk(await api(s, 'DELETE', `/projects/hist/immutable-rules/${rule.id ?? rule.rule?.id}`, { as: alice }), 204);
  });

  it('offline with --data, as the local system, while the server runs', async () => {
    const offline = ['--data', s.dataDir];
    const h = JSON.parse(ok(await berth(['tag', 'history', 'hist/app:latest', '--json', ...offline])).stdout);
    assert.equal(h.current, A.digest);
    const r = ok(await berth(['tag', 'rollback', 'hist/app:latest', '--to', C.digest, ...offline]));
    assert.equal(r.stdout.trim(), `hist/app:latest moved back to ${C.digest} (from ${A.digest})`);
    assert.equal(await digestOf('latest'), C.digest);
    assert.deepEqual((await history('?n=1')).entries.map((e) => [e.actor, e.from, e.to]), [['system', A.digest, C.digest]]);
    // The running server delivers the webhook the offline change queued.
    await receiver.waitFor(1, 15_000, (x) => x.status < 300 && x.body.includes('"actor":"system"') && x.body.includes(`"digest":"${C.digest}"`));
    await until(async () => (expectOk(await api(s, 'GET', '/audit?project=hist&action=tag.rollback&limit=10', { as: ADMIN })).body.entries as { actor: string }[]).some((e) => e.actor === 'system'), 'the offline rollback audited');
  });
});
