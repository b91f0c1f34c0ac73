// Retention policies against a real Berth (in process, auth builtin) with real pushes and pulls
// over /v2: the policy API (YAML and JSON, validation naming the key, who may read and change),
// each rule kind, scoping by repository and tag patterns, cosign tags following their image, the
// untagged option, immutable tags kept (planned as kept, and refused mid-run without aborting it),
// tags that move mid-run left alone, and a dry run whose plan is exactly what the real run then
// deletes, recorded, audited and announced by webhooks as system:retention.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from './webhooks-helpers.ts';
import {
  ADMIN, addUser, age, ageManifest, api, createProject, expectOk, manifestStatus, pull, pushCosignSig, pushImage, pushIndex, startRetentionServer, tagsOf, until,
  type Creds, type TestServer,
} from './retention-helpers.ts';

interface PlanRepo { repository: string; deleteTags: { tag: string; digest: string; reasons: string[] }[]; keepTags: { tag: string; reasons: string[] }[]; deleteManifests: { digest: string }[]; keepManifests: { digest: string; reason: string }[]; bytes: number }
const repoOf = (plan: { repositories: PlanRepo[] }, name: string): PlanRepo | undefined => plan.repositories.find((r) => r.repository === name);
const deletedIn = (plan: { repositories: PlanRepo[] }, name: string) => (repoOf(plan, name)?.deleteTags ?? []).map((t) => t.tag).sort();
const keptIn = (plan: { repositories: PlanRepo[] }, name: string) => (repoOf(plan, name)?.keepTags ?? []).map((t) => t.tag).sort();

describe('retention policies with real pushes', { timeout: 300_000 }, () => {
  let s: TestServer;
  let alice: Creds;
  let mary: Creds;
  let dev: Creds;
  let gus: Creds;
  let eve: Creds;

  before(async () => {
    s = await startRetentionServer();
    [alice, mary, dev, gus, eve] = await Promise.all(['alice', 'mary', 'dev', 'gus', 'eve'].map((n) => addUser(s, n)));
    await createProject(s, alice, 'acme', { mary: 'maintainer', dev: 'developer', gus: 'guest' });
  });
  after(async () => {
    await s?.close();
  });

  const preview = async (project: string, source: string, as: Creds = alice) => expectOk(await api(s, 'POST', `/projects/${project}/retention/preview`, { as, body: { source } })).body;
  const setPolicy = async (project: string, yaml: string, as: Creds = alice) => expectOk(await api(s, 'PUT', `/projects/${project}/retention`, { as, raw: yaml, contentType: 'application/yaml' })).body;
  const runNow = async (project: string, dryRun: boolean, as: Creds = alice) => expectOk(await api(s, 'POST', `/projects/${project}/retention/runs`, { as, body: { dryRun } })).body;

  it('the policy API: YAML or JSON, read back with its comments, refusals naming the key, and who may do what', async () => {
    const yaml = '# keep the last ten releases\nschedule: "0 3 * * *"\nrules:\n  - repositories: "app/**"\n    mostRecentlyPushed: 10\n';
    const set = await setPolicy('acme', yaml);
    assert.equal(set.source, yaml, 'the text is kept as written');
    assert.deepEqual(set.policy, { schedule: '0 3 * * *', rules: [{ repositories: 'app/**', mostRecentlyPushed: 10 }] });
    assert.equal(set.nextRuns.length, 3);
    assert.match(set.nextRuns[0], /T03:00:00\.000Z$/);
    assert.equal(set.updatedBy, 'alice');
    assert.equal(set.canChange, true);

    // Members read it; a guest may not change or run it; a developer neither.
    const read = expectOk(await api(s, 'GET', '/projects/acme/retention', { as: gus })).body;
    assert.equal(read.source, yaml);
    assert.equal(read.canChange, false);
    assert.equal((await api(s, 'PUT', '/projects/acme/retention', { as: dev, raw: yaml, contentType: 'application/yaml' })).status, 403);
    const refusedRun = await api(s, 'POST', '/projects/acme/retention/runs', { as: gus, body: { dryRun: true } });
    assert.equal(refusedRun.status, 403);
    assert.match(refusedRun.body.errors[0].message, /only owners and maintainers of acme and administrators/);
    // A maintainer changes it, as JSON.
    const json = expectOk(await api(s, 'PUT', '/projects/acme/retention', { as: mary, body: { untagged: true, rules: [{ always: true }] } })).body;
    assert.deepEqual(json.policy, { untagged: true, rules: [{ always: true }] });
    assert.equal(json.schedule, null);
    assert.match(json.source, /always: true/);
    // Strangers: the private project does not exist for them.
    const hidden = await api(s, 'GET', '/projects/acme/retention', { as: eve });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.errors[0].message, 'no project named acme');

    // Refusals name the bad key; nothing is stored.
    const bad = await api(s, 'PUT', '/projects/acme/retention', { as: alice, raw: 'rules:\n  - mostRecentPushed: 10\n  - pulledWithinDays: -3\n', contentType: 'application/yaml' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].code, 'INVALID_REQUEST');
    assert.equal(bad.body.errors[0].message, 'invalid retention policy: rules[0]: unknown key "mostRecentPushed" (did you mean mostRecentlyPushed?); rules[1].pulledWithinDays: must be a whole number of days from 1 to 36500');
    const badCron = await api(s, 'PUT', '/projects/acme/retention', { as: alice, body: { schedule: '0 25 * * *', rules: [] } });
    assert.match(badCron.body.errors[0].message, /schedule: hour: 25 is out of range 0-23/);
    const badPreview = await api(s, 'POST', '/projects/acme/retention/preview', { as: alice, body: { source: 'rules: [\n' } });
    assert.equal(badPreview.status, 400);
    assert.match(badPreview.body.errors[0].message, /line \d+, column \d+: not valid YAML/);
    assert.deepEqual(expectOk(await api(s, 'GET', '/projects/acme/retention', { as: alice })).body.policy, { untagged: true, rules: [{ always: true }] });
    expectOk(await api(s, 'PUT', '/projects/acme/retention', { as: alice, body: { rules: [] } }));
  });

  it('each rule kind keeps what it says (real pushes, real pulls, ages set in the push and pull time columns)', async () => {
    await createProject(s, alice, 'kinds');
    const repo = 'kinds/app';
    // name: [pushed days ago, pulled days ago or null]
    const ages: Record<string, [number, number | null]> = { a: [1, null], b: [5, null], c: [10, null], d: [20, null], e: [60, 100], 'v1.0': [90, null], 'v2.0': [3, null] };
    for (const t of Object.keys(ages)) await pushImage(s, alice, repo, t);
    for (const [t, [pushed, pulled]] of Object.entries(ages)) await age(s.db, repo, t, pushed, pulled);
    // Real pulls of b and d (features/pulls writes them within a second).
    assert.equal(await pull(s, alice, repo, 'd'), 200);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await pull(s, alice, repo, 'b'), 200);
    await until(async () => (await s.db.selectFrom('tags').select('name').where('name', 'in', ['b', 'd']).where('last_pulled_at', 'is not', null).execute()).length === 2, 'the pull counts flush');

    const cases: [string, string[]][] = [
      ['mostRecentlyPushed: 3', ['a', 'b', 'v2.0']],
      ['mostRecentlyPulled: 2', ['b', 'd']],
      ['mostRecentlyPulled: 4', ['a', 'b', 'd', 'e']],
      ['pushedWithinDays: 7', ['a', 'b', 'v2.0']],
      ['pulledWithinDays: 1', ['b', 'd']],
      ['pulledWithinDays: 365', ['b', 'd', 'e']],
      ['tagsMatching: "v*"', ['v1.0', 'v2.0']],
      ['always: true', Object.keys(ages).sort()],
    ];
    for (const [rule, keep] of cases) {
      const plan = await preview('kinds', `rules:\n  - ${rule}\n`);
      assert.deepEqual(keptIn(plan, repo), [...keep].sort(), rule);
      assert.deepEqual(deletedIn(plan, repo), Object.keys(ages).filter((t) => !keep.includes(t)).sort(), rule);
    }
    // Combined with OR, then run for real.
    await setPolicy('kinds', 'rules:\n  - mostRecentlyPushed: 1\n  - pulledWithinDays: 1\n  - tagsMatching: "v1.*"\n');
    const result = await runNow('kinds', false);
    assert.equal(result.text.split(',')[0], 'deleted 3 tags');
    assert.deepEqual(await tagsOf(s, alice, repo), ['a', 'b', 'd', 'v1.0']);
    const a = repoOf(result, repo)!.keepTags.find((t) => t.tag === 'b')!;
    assert.deepEqual(a.reasons, ['rule 2: pulled within 1 day']);
  });

  it('scopes rules by repository pattern (the path inside the project) and by tag pattern', async () => {
    await createProject(s, alice, 'scope');
    for (const r of ['scope/app', 'scope/team/api', 'scope/team/web', 'scope/base']) {
      for (const [i, t] of ['1', '2', '3', 'dev-1', 'dev-2'].entries()) {
        await pushImage(s, alice, r, t, { layerBytes: 256 });
        await age(s.db, r, t, 10 - i);
      }
    }
    const team = await preview('scope', 'rules:\n  - repositories: "team/*"\n    mostRecentlyPushed: 2\n');
    assert.deepEqual(team.repositories.filter((r: PlanRepo) => r.deleteTags.length).map((r: PlanRepo) => r.repository).sort(), ['scope/team/api', 'scope/team/web']);
    assert.deepEqual(deletedIn(team, 'scope/team/api'), ['1', '2', '3'], 'counted per repository');
    const dev = await preview('scope', 'rules:\n  - repositories: "{app,base}"\n    tags: "dev-*"\n    mostRecentlyPushed: 1\n');
    assert.deepEqual(deletedIn(dev, 'scope/app'), ['dev-1']);
    assert.deepEqual(deletedIn(dev, 'scope/base'), ['dev-1']);
    assert.equal(repoOf(dev, 'scope/app')!.keepTags.length, 1);
    assert.equal(dev.summary.tags, 2);
    // A full name by mistake matches nothing, and the plan says how to write it.
    const wrong = await preview('scope', 'rules:\n  - repositories: "scope/app"\n    always: true\n');
    assert.deepEqual(wrong.warnings, ['rule 1 (repositories scope/app): always matches no repository of scope (patterns are paths inside the project: write "app")']);
    // A stranger may not preview (members may: a guest of acme does).
    assert.equal((await preview('acme', 'rules:\n  - always: true\n', gus)).summary.tags, 0);
    assert.equal((await api(s, 'POST', '/projects/scope/retention/preview', { as: eve, body: { source: 'rules: []' } })).status, 404);
    await setPolicy('scope', 'rules:\n  - repositories: "team/**"\n    tags: "dev-*"\n    mostRecentlyPushed: 1\n  - repositories: "**"\n    tagsMatching: "[0-9]*"\n');
    const run = await runNow('scope', false);
    assert.equal(run.summary.tags, 6, 'dev-1 of the team repositories, and every dev tag of app and base');
    assert.deepEqual(await tagsOf(s, alice, 'scope/team/api'), ['1', '2', '3', 'dev-2']);
    assert.deepEqual(await tagsOf(s, alice, 'scope/app'), ['1', '2', '3']);
  });

  it('cosign signature tags follow their image; the untagged option deletes what pushes left untagged, never platforms of a kept index', async () => {
    await createProject(s, alice, 'clean');
    const repo = 'clean/app';
    const first = await pushImage(s, alice, repo, 'latest');
    await pushCosignSig(s, alice, repo, first.digest);
    const second = await pushImage(s, alice, repo, 'latest'); // first is left untagged (with its signature tag)
    const old = await pushImage(s, alice, repo, 'old');
    await pushCosignSig(s, alice, repo, old.digest);
    const amd = await pushImage(s, alice, repo, undefined);
    const arm = await pushImage(s, alice, repo, undefined);
    const index = await pushIndex(s, alice, repo, 'multi', [amd, arm]);
    const stray = await pushImage(s, alice, repo, undefined); // untagged, old
    const fresh = await pushImage(s, alice, repo, undefined); // untagged, just pushed: the grace period keeps it
    for (const d of [first.digest, amd.digest, arm.digest, stray.digest, second.digest, old.digest]) await ageManifest(s.db, repo, d, 30);
    await age(s.db, repo, 'old', 30);

    const yaml = 'untagged: true\nrules:\n  - tagsMatching: "{latest,multi}"\n';
    const plan = await preview('clean', yaml);
    const r = repoOf(plan, repo)!;
    assert.deepEqual(deletedIn(plan, repo), [`${old.digest.replace(':', '-')}.sig`, 'old'].sort());
    assert.match(r.deleteTags.find((t) => t.tag.endsWith('.sig'))!.reasons[0]!, /^follows sha256:/);
    assert.deepEqual(r.deleteManifests.map((m) => m.digest).sort(), [first.digest, stray.digest].sort(), 'platforms of the tagged index stay');
    assert.deepEqual(r.keepManifests.map((m) => m.digest), [fresh.digest]);
    const firstPlanned = (r.deleteManifests as { digest: string; followers: string[] }[]).find((m) => m.digest === first.digest)!;
    assert.deepEqual(firstPlanned.followers, [`${first.digest.replace(':', '-')}.sig`]);

    await setPolicy('clean', yaml);
    const result = await runNow('clean', false);
    assert.equal(result.text.split(',')[0], 'deleted 2 tags and 2 untagged manifests', JSON.stringify(result.skipped));
    assert.deepEqual(await tagsOf(s, alice, repo), ['latest', 'multi'], "the first image's signature tag went with it");
    for (const gone of [first.digest, stray.digest]) assert.equal(await manifestStatus(s, alice, repo, gone), 404, `${gone} is deleted`);
    for (const kept of [second.digest, amd.digest, arm.digest, index, fresh.digest, old.digest]) assert.equal(await manifestStatus(s, alice, repo, kept), 200, `${kept} stays`);
  });

  it('untagged manifests a client looked up by digest stay (it may be about to name them in an index), in the plan and mid-run', async () => {
    await createProject(s, alice, 'looked');
    const repo = 'looked/app';
    await pushImage(s, alice, repo, 'latest');
    const x = await pushImage(s, alice, repo, undefined);
    const y = await pushImage(s, alice, repo, undefined);
    for (const d of [x.digest, y.digest]) await ageManifest(s.db, repo, d, 10);
    assert.equal(await manifestStatus(s, alice, repo, x.digest), 200, 'a HEAD by digest, as an index push checks its platforms');
    await setPolicy('looked', 'untagged: true\nrules:\n  - always: true\n');
    const plan = await preview('looked', 'untagged: true\nrules:\n  - always: true\n');
    const r = repoOf(plan, repo)!;
    assert.deepEqual(r.deleteManifests.map((m) => m.digest), [y.digest]);
    assert.deepEqual(r.keepManifests.map((m) => m.digest), [x.digest]);
    assert.match(r.keepManifests[0]!.reason, /^untagged, but protected until \S+ \(pushed, untagged or looked up by digest within the GC review delay/);
    // y is looked up after the plan, just before its delete: the guard leaves it.
    const manifests = s.server.registry.manifests;
    const original = manifests.delete.bind(manifests);
    manifests.delete = async (ctx, repository, reference) => {
      if (reference === y.digest) assert.equal(await manifestStatus(s, alice, repo, y.digest), 200);
      return original(ctx, repository, reference);
    };
    let result;
    try {
      result = await runNow('looked', false);
    } finally {
      manifests.delete = original;
    }
    assert.deepEqual(result.skipped.map((k: { digest: string; outcome: string }) => [k.digest, k.outcome]), [[y.digest, 'moved']]);
    assert.match(result.skipped[0].reason, /was looked up or pushed since the plan/);
    for (const d of [x.digest, y.digest]) assert.equal(await manifestStatus(s, alice, repo, d), 200);
  });

  it('keeps immutable tags: planned as kept, and refused mid-run (a rule added while it runs) without stopping the run', async () => {
    await createProject(s, alice, 'frozen');
    const repo = 'frozen/app';
    for (const [i, t] of ['v1', 'v2', 'v3', 'rc1', 'rc2', 'latest'].entries()) {
      await pushImage(s, alice, repo, t, { layerBytes: 128 });
      await age(s.db, repo, t, 20 - i);
    }
    expectOk(await api(s, 'POST', '/projects/frozen/immutable-rules', { as: alice, body: { repos: '**', tags: 'v1' } }), 201);
    await setPolicy('frozen', 'rules:\n  - mostRecentlyPushed: 1\n');
    const dry = await runNow('frozen', true);
    assert.deepEqual(deletedIn(dry, repo), ['rc1', 'rc2', 'v2', 'v3']);
    assert.deepEqual(keptIn(dry, repo), ['latest', 'v1']);
    assert.deepEqual(repoOf(dry, repo)!.keepTags.find((t) => t.tag === 'v1')!.reasons, ['immutable (an immutability rule of the project covers it)']);
    assert.equal(dry.summary.immutable, 1);
    assert.deepEqual(await tagsOf(s, alice, repo), ['latest', 'rc1', 'rc2', 'v1', 'v2', 'v3'], 'a dry run deletes nothing');

    // A rule for v2 lands after the plan, just before the first delete: the registry refuses that one.
    const manifests = s.server.registry.manifests;
    const original = manifests.delete.bind(manifests);
    let added = false;
    manifests.delete = async (ctx, repository, reference) => {
      if (!added) {
        added = true;
        expectOk(await api(s, 'POST', '/projects/frozen/immutable-rules', { as: alice, body: { repos: 'app', tags: 'v2' } }), 201);
      }
      return original(ctx, repository, reference);
    };
    let result;
    try {
      result = await runNow('frozen', false);
    } finally {
      manifests.delete = original;
    }
    assert.deepEqual(result.skipped.map((x: { tag: string; outcome: string }) => [x.tag, x.outcome]), [['v2', 'immutable']]);
    assert.match(result.skipped[0].reason, /tag v2 of frozen\/app is immutable/);
    assert.deepEqual(deletedIn(result, repo), ['rc1', 'rc2', 'v3'], 'the run went on after the refusal');
    assert.deepEqual(keptIn(result, repo), ['latest', 'v1', 'v2']);
    assert.equal(result.error, null);
    assert.deepEqual(await tagsOf(s, alice, repo), ['latest', 'v1', 'v2']);
  });

  it('leaves a tag alone that moved between the plan and its delete', async () => {
    await createProject(s, alice, 'busy');
    const repo = 'busy/app';
    await pushImage(s, alice, repo, 'old');
    await pushImage(s, alice, repo, 'new');
    await age(s.db, repo, 'old', 10);
    await setPolicy('busy', 'rules:\n  - mostRecentlyPushed: 1\n');
    const manifests = s.server.registry.manifests;
    const original = manifests.delete.bind(manifests);
    let moved = '';
    manifests.delete = async (ctx, repository, reference) => {
      if (!moved) moved = (await pushImage(s, alice, repo, 'old')).digest; // a CI job re-pushes it meanwhile
      return original(ctx, repository, reference);
    };
    let result;
    try {
      result = await runNow('busy', false);
    } finally {
      manifests.delete = original;
    }
    assert.equal(result.skipped.length, 1);
    assert.equal(result.skipped[0].outcome, 'moved');
    assert.match(result.skipped[0].reason, /^busy\/app:old moved to sha256:.* since the plan$/);
    assert.deepEqual(await tagsOf(s, alice, repo), ['new', 'old']);
    const now = await fetch(`${s.url}/v2/${repo}/manifests/old`, { method: 'HEAD', headers: { authorization: `Basic ${Buffer.from(`${alice[0]}:${alice[1]}`).toString('base64')}`, accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(now.headers.get('docker-content-digest'), moved, 'the re-pushed tag survived');
  });

  it('keeps the newest 200 runs of a project (a schedule every minute would grow the table without end)', async () => {
    await createProject(s, alice, 'prune');
    const project = await s.db.selectFrom('projects').select('id').where('name', '=', 'prune').executeTakeFirstOrThrow();
    const old = Array.from({ length: 210 }, (_, i) => ({ project_id: Number(project.id), trigger: 'schedule', dry_run: 0, started_at: Date.now() - (300 - i) * 60_000, finished_at: Date.now() - (300 - i) * 60_000, plan: '{}' }));
    await s.db.insertInto('retention_runs').values(old).execute();
    const latest = await runNow('prune', true);
    const ids = (await s.db.selectFrom('retention_runs').select('id').where('project_id', '=', Number(project.id)).orderBy('id', 'desc').execute()).map((r) => Number(r.id));
    assert.equal(ids.length, 200);
    assert.equal(ids[0], latest.id);
  });

  describe('a dry run equals the real run', () => {
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
    });
    after(async () => {
      await receiver?.close();
    });

    it('plan, run, record, audit and webhooks', async () => {
      await createProject(s, alice, 'same');
      expectOk(await api(s, 'POST', '/projects/same/webhooks', { as: alice, body: { url: receiver.url, events: 'tag,delete' } }), 201);
      const shared = await pushImage(s, alice, 'same/app', 'base', { layerBytes: 4096 });
      void shared;
      for (let i = 0; i < 12; i++) {
        const r = i % 2 ? 'same/app' : 'same/tools/cli';
        await pushImage(s, alice, r, `1.${i}`, { layerBytes: 2048 });
        await age(s.db, r, `1.${i}`, 40 - i);
      }
      const untagged = await pushImage(s, alice, 'same/app', undefined, { layerBytes: 1000 });
      await ageManifest(s.db, 'same/app', untagged.digest, 3);
      await age(s.db, 'same/app', 'base', 400);
      await setPolicy('same', 'untagged: true\nrules:\n  - mostRecentlyPushed: 2\n  - repositories: app\n    tagsMatching: base\n');

      const dry = await runNow('same', true);
      assert.equal(dry.dryRun, true);
      assert.match(dry.text, /^would delete 8 tags and 1 untagged manifest, \d+(\.\d)? KiB$/);
      const real = await runNow('same', false);
      assert.equal(real.dryRun, false);
      assert.equal(real.text, dry.text.replace('would delete', 'deleted'));
      const shape = (p: { repositories: PlanRepo[] }) => p.repositories.map((r) => ({ repository: r.repository, deleteTags: r.deleteTags, deleteManifests: r.deleteManifests, keepTags: r.keepTags, bytes: r.bytes }));
      assert.deepEqual(shape(real), shape(dry), 'the real run deleted exactly the plan');
      assert.deepEqual(real.summary, dry.summary);
      assert.deepEqual(real.skipped, []);
      assert.deepEqual(await tagsOf(s, alice, 'same/app'), ['1.11', '1.9', 'base']);
      assert.deepEqual(await tagsOf(s, alice, 'same/tools/cli'), ['1.10', '1.8']);
      assert.equal(await manifestStatus(s, alice, 'same/app', untagged.digest), 404);
      // A second dry run finds nothing left to do.
      assert.equal((await runNow('same', true)).text, 'would delete 0 tags, 0 B');

      // Recorded: the runs, newest first, and each with its plan.
      const runs = expectOk(await api(s, 'GET', '/projects/same/retention/runs', { as: alice })).body.runs;
      assert.deepEqual(runs.slice(0, 3).map((r: { dryRun: boolean; trigger: string; tags: number; requestedBy: string }) => [r.dryRun, r.trigger, r.tags, r.requestedBy]), [[true, 'manual', 0, 'alice'], [false, 'manual', 9, 'alice'], [true, 'manual', 9, 'alice']]);
      assert.equal(runs[1].text, real.text);
      assert.equal(runs[1].bytes, real.summary.bytes);
      const one = expectOk(await api(s, 'GET', `/projects/same/retention/runs/${real.id}`, { as: alice })).body;
      assert.deepEqual(shape(one), shape(real));
      // Audited: the run by alice, each delete by system:retention.
      await until(async () => {
        const entries = expectOk(await api(s, 'GET', '/audit?project=same&limit=200', { as: ADMIN })).body.entries as { actor: string; action: string }[];
        return entries.filter((e) => e.action === 'untag' && e.actor === 'system:retention').length === 8 && entries.some((e) => e.action === 'retention.run' && e.actor === 'alice');
      }, 'audit entries for the run and its deletes');
      const runEntry = (expectOk(await api(s, 'GET', '/audit?project=same&action=retention.run&limit=10', { as: ADMIN })).body.entries as { detail: string; address: string | null }[])[0]!;
      assert.deepEqual({ ...JSON.parse(runEntry.detail), bytes: 0 }, { run: real.id, trigger: 'manual', tags: 8, manifests: 1, bytes: 0, skipped: 0 });
      // Webhooks: a tag event per deleted tag and a delete event for the untagged manifest, as system:retention.
      const got = await receiver.waitFor(9, 15_000, (r) => r.status < 300 && r.body.includes('system:retention'));
      const events = got.map((g) => JSON.parse(g.body) as { type?: string; action?: string; actor?: { name?: string }; data?: unknown });
      assert.ok(events.every((e) => JSON.stringify(e).includes('system:retention')), JSON.stringify(events[0]));
      // Prometheus: the runs by trigger and outcome, what they deleted.
      const metrics = await (await fetch(s.metricsUrl)).text();
      assert.match(metrics, /^berth_retention_runs_total\{trigger="manual",outcome="dry-run"\} [1-9]\d*$/m);
      assert.match(metrics, /^berth_retention_runs_total\{trigger="manual",outcome="done"\} [1-9]\d*$/m);
      assert.match(metrics, /^berth_retention_manifests_deleted_total [1-9]\d*$/m);
      assert.match(metrics, /^berth_retention_skipped_total\{outcome="immutable"\} 1$/m, 'the refusal of the immutable test');
    });
  });
});
