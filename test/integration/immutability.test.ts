// Tag immutability over real HTTP (issue 13, section 3): the rules API (members read; owners,
// maintainers and administrators change; bad patterns refused with a reason; audited), and the
// enforcement through every path that changes tags: a push that moves a tag, a tag delete, a
// delete by digest that would take an immutable tag along (nothing of it happens), the API's
// retag, tag and manifest deletes. What is never refused: a new tag, the same digest pushed again,
// tags no rule covers, cosign's .sig/.att/.sbom tags, and anything once the rule is removed.
// The immutable flag per tag (never for untagged digests), and berth immutable with --url and
// offline on the data directory of the running server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { berth, ok } from '../helpers/berth-cli.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer, type Creds } from './api-helpers.ts';
import { getManifest, layerOf, pushLayers, type PushedImage } from './scan-helpers.ts';

interface Entry { actor: string; action: string; project: string | null; detail: string | null }

describe('tag immutability: the rules API and their enforcement', { timeout: 180_000 }, () => {
  let server: BerthProcess;
  let alice: Creds; // owner of team
  let mara: Creds; // maintainer
  let dave: Creds; // developer
  let gina: Creds; // guest
  let mallory: Creds; // not a member
  let n = 0;

  const rules = (as: Creds | undefined, project = 'team') => call(server, 'GET', `/projects/${project}/immutable-rules`, as ? { as } : {});
  const addRule = (as: Creds, repos: string, tags: string, project = 'team') => call(server, 'POST', `/projects/${project}/immutable-rules`, { as, body: { repos, tags } });
  const removeRule = (as: Creds, id: number | string, project = 'team') => call(server, 'DELETE', `/projects/${project}/immutable-rules/${id}`, { as });
  const image = (repo: string, tag: string) => pushLayers(server, alice, repo, tag, [layerOf({ [`f${++n}.txt`]: `${tag} ${randomBytes(8).toString('hex')}` })]);
  async function putManifest(repo: string, ref: string, manifest: Buffer, as: Creds = alice): Promise<{ status: number; code?: string; message?: string }> {
    const res = await fetch(`${server.url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: { authorization: basic(as), 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, body: manifest });
    return answer(res);
  }
  async function deleteManifest(repo: string, ref: string, as: Creds = alice): Promise<{ status: number; code?: string; message?: string }> {
    return answer(await fetch(`${server.url}/v2/${repo}/manifests/${ref}`, { method: 'DELETE', headers: { authorization: basic(as) } }));
  }
  async function answer(res: Response): Promise<{ status: number; code?: string; message?: string }> {
    const text = await res.text();
    if (res.status < 300) return { status: res.status };
    const e = JSON.parse(text).errors?.[0];
    return { status: res.status, code: e?.code, message: e?.message };
  }
  async function digestOfTag(repo: string, tag: string): Promise<string | undefined> {
    const res = await getManifest(server, alice, repo, tag, 'HEAD');
    return res.status === 200 ? res.headers.get('docker-content-digest') ?? undefined : undefined;
  }
  // The audit log is written behind the response, so wait until as many entries as the caller expects have arrived.
  async function auditOf(action: string, atLeast = 1): Promise<Entry[]> {
    let entries: Entry[] = [];
    for (let i = 0; i < 50; i++) {
      entries = expectStatus(await call(server, 'GET', `/audit?limit=100&action=${action}`, { as: ADMIN }), 200).body.entries as Entry[];
      if (entries.length >= atLeast) return entries;
      await new Promise((r) => setTimeout(r, 100));
    }
    return entries;
  }

  before(async () => {
    server = await startApiServer();
    alice = await addUser(server, 'alice');
    mara = await addUser(server, 'mara');
    dave = await addUser(server, 'dave');
    gina = await addUser(server, 'gina');
    mallory = await addUser(server, 'mallory');
    for (const name of ['team', 'sealed']) expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name } }), 201);
    expectStatus(await call(server, 'POST', '/projects', { as: alice, body: { name: 'open', visibility: 'public' } }), 201);
    for (const [user, role] of [['mara', 'maintainer'], ['dave', 'developer'], ['gina', 'guest']] as const) {
      expectStatus(await call(server, 'PUT', `/projects/team/members/${user}`, { as: alice, body: { role } }), 200);
    }
  });
  after(async () => { await server?.stop(); });

  it('members read the rules; owners, maintainers and administrators change them; strangers learn nothing', async () => {
    for (const who of [alice, mara, dave, gina, ADMIN]) {
      const list = expectStatus(await rules(who), 200).body;
      assert.deepEqual(list, { project: 'team', rules: [], editable: who === alice || who === mara || who === ADMIN }, `as ${who[0]}`);
    }
    expectStatus(await rules(mallory), 404, 'NOT_FOUND');
    expectStatus(await rules(undefined), 401, 'UNAUTHORIZED');
    expectStatus(await rules(mallory, 'open'), 403, 'DENIED');
    expectStatus(await rules(ADMIN, 'nothing'), 404, 'NOT_FOUND');

    for (const who of [dave, gina]) {
      const refused = expectStatus(await addRule(who, '**', 'v*'), 403, 'DENIED');
      assert.match(refused.body.errors[0].message, /only owners and maintainers of team and administrators may change its immutability rules/);
    }
    expectStatus(await addRule(mallory, '**', 'v*'), 404, 'NOT_FOUND');

    const byMara = expectStatus(await addRule(mara, 'scratch', 'tmp-*'), 201).body;
    assert.equal(byMara.createdBy, 'mara');
    expectStatus(await removeRule(dave, byMara.id), 403, 'DENIED');
    expectStatus(await removeRule(mara, byMara.id), 204);
    expectStatus(await removeRule(mara, byMara.id), 404, 'NOT_FOUND');
    expectStatus(await removeRule(alice, 'x'), 404, 'NOT_FOUND');
    const byAdmin = expectStatus(await addRule(ADMIN, 'scratch', 'tmp-*'), 201).body;
    expectStatus(await removeRule(ADMIN, byAdmin.id), 204);

    const added = (await auditOf('immutable.add', 2)).filter((e) => e.project === 'team').map((e) => e.actor).sort();
    assert.deepEqual(added, ['admin', 'mara']);
    const removed = (await auditOf('immutable.remove', 2)).filter((e) => e.project === 'team').map((e) => [e.actor, JSON.parse(e.detail!).tags]);
    assert.deepEqual(removed.sort(), [['admin', 'tmp-*'], ['mara', 'tmp-*']]);
  });

  it('refuses malformed and misleading patterns, and duplicates, saying why', async () => {
    const cases: [string, string, RegExp][] = [
      ['{a,b', 'v*', /--repos \{a,b: "\{" is never closed by "\}"/],
      ['**', '[v', /--tags \[v: "\[" is never closed by "\]"/],
      ['team/app', 'v*', /matched against the repository's path inside team, without "team\/"/],
      ['/app', 'v*', /never starts with "\/"/],
      ['**', 'a'.repeat(300), /at most 256|<=256 characters/],
    ];
    for (const [repos, tags, message] of cases) {
      const res = expectStatus(await addRule(alice, repos, tags), 400, 'INVALID_REQUEST');
      assert.match(res.body.errors[0].message, message, `${repos} ${tags}: ${res.text}`);
    }
    expectStatus(await call(server, 'POST', '/projects/team/immutable-rules', { as: alice, body: { repos: '**' } }), 400, 'INVALID_REQUEST');
    expectStatus(await call(server, 'POST', '/projects/team/immutable-rules', { as: alice, body: { repos: '**', tags: 'v*', colour: 'red' } }), 400, 'INVALID_REQUEST');
    const first = expectStatus(await addRule(alice, 'dup', 'x'), 201).body;
    const dup = expectStatus(await addRule(alice, 'dup', 'x'), 409, 'CONFLICT');
    assert.match(dup.body.errors[0].message, new RegExp(`already has this rule \\(rule ${first.id}: repos dup tags x\\)`));
    expectStatus(await removeRule(alice, first.id), 204);
    assert.deepEqual(expectStatus(await rules(alice), 200).body.rules, []);
  });

  describe('enforcement', () => {
    let rule: { id: number };
    let stableRule: { id: number };
    let v1: PushedImage;
    let other: PushedImage;

    before(async () => {
      rule = expectStatus(await addRule(alice, '**', 'v*'), 201).body;
      stableRule = expectStatus(await addRule(alice, 'app', '{stable,prod}'), 201).body;
      v1 = await image('team/app', 'v1.0');
      other = await image('team/app', 'latest');
    });

    it('a new tag that matches is fine, and so is pushing the same digest to it again', async () => {
      assert.equal(await digestOfTag('team/app', 'v1.0'), v1.digest);
      assert.deepEqual(await putManifest('team/app', 'v1.0', v1.manifest), { status: 201 });
      assert.deepEqual(await putManifest('team/app', 'v1.1', v1.manifest), { status: 201 }, 'another new tag on the same image');
      assert.equal(await digestOfTag('team/app', 'v1.1'), v1.digest);
    });

    it('a push that would move an immutable tag is refused, saying which rule and what to do', async () => {
      const moved = await putManifest('team/app', 'v1.0', other.manifest);
      assert.deepEqual(moved, {
        status: 409, code: 'TAG_IMMUTABLE',
        message: `tag v1.0 of team/app is immutable (rule ${rule.id}: repos ** tags v*): push it under a new tag`,
      });
      assert.equal(await digestOfTag('team/app', 'v1.0'), v1.digest, 'the tag did not move');
    });

    it('tags no rule covers move freely; the repository pattern is the path inside the project', async () => {
      assert.deepEqual(await putManifest('team/app', 'latest', v1.manifest), { status: 201 });
      assert.deepEqual(await putManifest('team/app', 'latest', other.manifest), { status: 201 });
      // {stable,prod} holds in team/app only (repos "app"), not in team/web nor in team/app/api.
      await image('team/app', 'stable');
      const web = await image('team/web', 'stable');
      const api = await image('team/app/api', 'stable');
      assert.equal((await putManifest('team/app', 'stable', other.manifest)).code, 'TAG_IMMUTABLE');
      const webOther = await image('team/web', 'tmp');
      assert.deepEqual(await putManifest('team/web', 'stable', webOther.manifest), { status: 201 });
      const apiOther = await image('team/app/api', 'tmp');
      assert.deepEqual(await putManifest('team/app/api', 'stable', apiOther.manifest), { status: 201 });
      assert.ok(web.digest && api.digest);
      // ** reaches nested repositories.
      const nested = await image('team/app/api', 'v2');
      const refused = await putManifest('team/app/api', 'v2', apiOther.manifest);
      assert.equal(refused.message, `tag v2 of team/app/api is immutable (rule ${rule.id}: repos ** tags v*): push it under a new tag`);
      assert.equal(await digestOfTag('team/app/api', 'v2'), nested.digest);
      assert.ok(stableRule.id > rule.id);
    });

    it('deleting an immutable tag is refused', async () => {
      assert.deepEqual(await deleteManifest('team/app', 'v1.0'), {
        status: 409, code: 'TAG_IMMUTABLE',
        message: `tag v1.0 of team/app is immutable (rule ${rule.id}: repos ** tags v*): it cannot be deleted`,
      });
      assert.equal(await digestOfTag('team/app', 'v1.0'), v1.digest);
      // A tag no rule covers is deleted as usual.
      await image('team/app', 'scratch');
      assert.deepEqual(await deleteManifest('team/app', 'scratch'), { status: 202 });
    });

    it('a delete by digest that would take an immutable tag along is refused, and takes nothing', async () => {
      // v1.0 and v1.1 (immutable) and "mutable" (not) all point at v1.
      assert.deepEqual(await putManifest('team/app', 'mutable', v1.manifest), { status: 201 });
      const refused = await deleteManifest('team/app', v1.digest);
      assert.equal(refused.status, 409);
      assert.equal(refused.code, 'TAG_IMMUTABLE');
      assert.match(refused.message!, new RegExp(`^tag v1\\.[01] of team/app is immutable \\(rule ${rule.id}: repos \\*\\* tags v\\*\\): sha256:[0-9a-f]{12}… cannot be deleted while that tag points at it$`));
      for (const t of ['v1.0', 'v1.1', 'mutable']) assert.equal(await digestOfTag('team/app', t), v1.digest, `${t} is still there`);
      assert.equal((await getManifest(server, alice, 'team/app', v1.digest, 'HEAD')).status, 200, 'the manifest is still there');
      // A manifest whose tags are all mutable goes, tags and all.
      const loose = await image('team/app', 'loose');
      assert.deepEqual(await deleteManifest('team/app', loose.digest), { status: 202 });
      assert.equal(await digestOfTag('team/app', 'loose'), undefined);
      // An untagged manifest is never immutable.
      const untagged = await image('team/app', 'to-untag');
      assert.deepEqual(await deleteManifest('team/app', 'to-untag'), { status: 202 });
      assert.deepEqual(await deleteManifest('team/app', untagged.digest), { status: 202 });
    });

    it("the API's retag, tag delete and manifest delete are refused the same way", async () => {
      const base = '/repositories/team/app';
      const retag = expectStatus(await call(server, 'POST', `${base}/tags`, { as: alice, body: { name: 'v1.0', from: 'latest' } }), 409, 'TAG_IMMUTABLE');
      assert.equal(retag.body.errors[0].message, `tag v1.0 of team/app is immutable (rule ${rule.id}: repos ** tags v*): push it under a new tag`);
      expectStatus(await call(server, 'POST', `${base}/tags`, { as: alice, body: { name: 'v9', from: 'latest' } }), 201);
      const untag = expectStatus(await call(server, 'DELETE', `${base}/tags/v1.0`, { as: alice }), 409, 'TAG_IMMUTABLE');
      assert.match(untag.body.errors[0].message, /it cannot be deleted$/);
      expectStatus(await call(server, 'DELETE', `${base}/manifests/${v1.digest}`, { as: alice }), 409, 'TAG_IMMUTABLE');
      // Administrators are held to the rules too: remove the rule to change the tag.
      assert.equal((await putManifest('team/app', 'v1.0', other.manifest, ADMIN)).code, 'TAG_IMMUTABLE');
      assert.equal(await digestOfTag('team/app', 'v1.0'), v1.digest);
    });

    it('the tags view marks immutable tags; untagged digests and missing tags are not marked', async () => {
      const res = expectStatus(await call(server, 'GET', `/repositories/team/app/immutable?tags=v1.0,latest,stable,nothere,${encodeURIComponent(v1.digest)}`, { as: gina }), 200).body;
      assert.deepEqual(res, {
        repository: 'team/app',
        tags: {
          'v1.0': { immutable: true, rule: { id: rule.id, repos: '**', tags: 'v*' } },
          latest: { immutable: false, rule: null },
          stable: { immutable: true, rule: { id: stableRule.id, repos: 'app', tags: '{stable,prod}' } },
        },
      });
      expectStatus(await call(server, 'GET', '/repositories/team/app/immutable?tags=v1.0', { as: mallory }), 404, 'NOT_FOUND');
      expectStatus(await call(server, 'GET', '/repositories/team/app/immutable?tags=v1.0'), 404, 'NOT_FOUND');
      const nested = expectStatus(await call(server, 'GET', `/repositories/team/${encodeURIComponent('app/api')}/immutable?tags=v2,stable`, { as: alice }), 200).body;
      assert.deepEqual(Object.fromEntries(Object.entries(nested.tags).map(([t, v]) => [t, (v as { immutable: boolean }).immutable])), { v2: true, stable: false });
    });

    it('once the rule is removed, the tag moves and deletes again', async () => {
      expectStatus(await removeRule(alice, rule.id), 204);
      assert.deepEqual(await putManifest('team/app', 'v1.0', other.manifest), { status: 201 });
      assert.equal(await digestOfTag('team/app', 'v1.0'), other.digest);
      assert.deepEqual(await deleteManifest('team/app', 'v1.1'), { status: 202 });
      rule = expectStatus(await addRule(alice, '**', 'v*'), 201).body;
      assert.equal((await putManifest('team/app', 'v1.0', v1.manifest)).code, 'TAG_IMMUTABLE', 'and is held again by a new rule');
    });
  });

  it("cosign's signature, attestation and SBOM tags may move even when every tag is immutable", async () => {
    const everything = expectStatus(await addRule(alice, '**', '**', 'sealed'), 201).body;
    const app = await image('sealed/app', 'v1');
    const hex = app.digest.slice('sha256:'.length);
    for (const suffix of ['sig', 'att', 'sbom']) {
      const tag = `sha256-${hex}.${suffix}`;
      const first = await image('sealed/app', tag);
      const second = await image('sealed/app', `tmp-${suffix}`);
      // A second signature: cosign pushes a new manifest (one more layer) under the same tag.
      assert.deepEqual(await putManifest('sealed/app', tag, second.manifest), { status: 201 }, `${tag} gains a signature`);
      assert.equal(await digestOfTag('sealed/app', tag), second.digest);
      assert.ok(first.digest !== second.digest);
      assert.deepEqual(await deleteManifest('sealed/app', tag), { status: 202 }, `${tag} can be removed`);
    }
    // Only exact cosign tags: a look-alike is an ordinary tag, held by the rule.
    const lookalike = `sha256-${hex}.sig.old`;
    await image('sealed/app', lookalike);
    assert.equal((await deleteManifest('sealed/app', lookalike)).code, 'TAG_IMMUTABLE');
    const refused = await putManifest('sealed/app', 'v1', (await image('sealed/app', 'v2')).manifest);
    assert.equal(refused.message, `tag v1 of sealed/app is immutable (rule ${everything.id}: repos ** tags **): push it under a new tag`);
    // Deleting the image by digest takes its cosign tags along, but it still carries v1.
    await image('sealed/app', `sha256-${hex}.sig`);
    assert.equal((await deleteManifest('sealed/app', app.digest)).code, 'TAG_IMMUTABLE');
  });

  it('berth immutable add, list and remove, with --url and offline on the running server\'s data', async () => {
    const env = { BERTH_PASSWORD: alice[1] };
    const remote = ['--url', server.url, '--user', 'alice'];
    const added = JSON.parse(ok(await berth(['immutable', 'add', 'team', '--repos', 'cli/**', '--tags', 'release-*', ...remote, '--json'], { env })).stdout);
    assert.equal(added.repos, 'cli/**');
    assert.equal(added.tags, 'release-*');
    const said = ok(await berth(['immutable', 'add', 'team', '--repos', 'cli', '--tags', 'final', ...remote], { env })).stdout;
    assert.match(said, /^Added rule \d+ to team: tags matching final in repositories matching cli can no longer be moved or deleted\.\n$/);
    const table = ok(await berth(['immutable', 'list', 'team', ...remote], { env })).stdout;
    assert.match(table, /^ID\s+REPOS\s+TAGS\s+ADDED\s+BY\n/);
    assert.match(table, new RegExp(`\\n${added.id}\\s+cli/\\*\\*\\s+release-\\*\\s+\\S+ \\S+\\s+alice\\n`));

    // A developer may list but not add; the refusal is the server's sentence.
    const refused = await berth(['immutable', 'add', 'team', '--repos', '**', '--tags', 'x', '--url', server.url, '--user', 'dave'], { env: { BERTH_PASSWORD: dave[1] } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /only owners and maintainers of team and administrators may change its immutability rules/);
    const bad = await berth(['immutable', 'add', 'team', '--repos', '{x', '--tags', 'v*', ...remote], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--repos \{x: "\{" is never closed/);

    // Offline, on the data directory the server is using: enforced by the server at once.
    const offline = JSON.parse(ok(await berth(['immutable', 'add', 'team', '--repos', 'cli', '--tags', 'offline-*', '--data', server.dataDir, '--json'])).stdout);
    assert.equal(offline.createdBy, 'system');
    const img = await image('team/cli', 'offline-1');
    const later = await image('team/cli', 'offline-2');
    assert.equal((await putManifest('team/cli', 'offline-1', later.manifest)).code, 'TAG_IMMUTABLE');
    assert.ok(img.digest);
    const listed = JSON.parse(ok(await berth(['immutable', 'list', 'team', '--data', server.dataDir, '--json'])).stdout);
    assert.ok(listed.rules.some((r: { id: number }) => r.id === offline.id));

    ok(await berth(['immutable', 'remove', 'team', String(offline.id), '--data', server.dataDir]));
    assert.deepEqual(await putManifest('team/cli', 'offline-1', later.manifest), { status: 201 });
    const gone = await berth(['immutable', 'remove', 'team', String(offline.id), ...remote], { env });
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, new RegExp(`project team has no immutability rule ${offline.id}`));
    const notNumber = await berth(['immutable', 'remove', 'team', 'abc', ...remote], { env });
    assert.equal(notNumber.code, 1);
    assert.match(notNumber.stderr, /abc is not a rule number/);
    ok(await berth(['immutable', 'remove', 'team', String(added.id), ...remote], { env }));
    const after = JSON.parse(ok(await berth(['immutable', 'list', 'team', ...remote, '--json'], { env })).stdout);
    assert.ok(!after.rules.some((r: { id: number }) => r.id === added.id));
  });
});
