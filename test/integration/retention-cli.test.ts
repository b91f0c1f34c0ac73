// berth retention set|show|run with the real CLI, as the interface names them: against a
// running server with --url and --user (password in BERTH_PASSWORD), and offline with --data on
// its data directory while it runs (deletes as system:retention through a registry in the CLI's
// process: audited, webhooks queued for the server to deliver; a schedule set offline queued for
// the server's job runner).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { berth, ok } from '../helpers/berth-cli.ts';
import { RETENTION_JOB } from '../../src/features/retention/schedule.ts';
import { startReceiver, type Receiver } from './webhooks-helpers.ts';
import { ADMIN, addUser, age, api, createProject, expectOk, pushImage, startRetentionServer, tagsOf, until, type Creds, type TestServer } from './retention-helpers.ts';

describe('berth retention: set, show and run, with --url and offline', { timeout: 300_000 }, () => {
  let s: TestServer;
  let alice: Creds;
  let gus: Creds;
  let dir: string;
  let receiver: Receiver;
  const remote = (who: Creds) => ({ args: ['--url', s.url, '--user', who[0]], env: { env: { BERTH_PASSWORD: who[1] } } });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-retention-cli-'));
    s = await startRetentionServer();
    alice = await addUser(s, 'alice');
    gus = await addUser(s, 'gus');
    await createProject(s, alice, 'cli', { gus: 'guest' });
    receiver = await startReceiver();
    expectOk(await api(s, 'POST', '/projects/cli/webhooks', { as: alice, body: { url: receiver.url, events: 'tag' } }), 201);
    for (const [i, t] of ['1.0', '1.1', '1.2', '1.3', 'dev-a', 'dev-b'].entries()) {
      await pushImage(s, alice, 'cli/app', t, { layerBytes: 3000 });
      await age(s.db, 'cli/app', t, 30 - i);
    }
  });
  after(async () => {
    await receiver?.close();
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('with --url and --user: set from a file, show it as written, dry-run, run', async () => {
    const rules = join(dir, 'rules.yaml');
    const yaml = '# releases: the last two; dev builds: the newest\nrules:\n  - tags: "1.*"\n    mostRecentlyPushed: 2\n  - tags: "dev-*"\n    mostRecentlyPushed: 1\n';
    writeFileSync(rules, yaml);
    const r = remote(alice);
    const set = ok(await berth(['retention', 'set', 'cli', '--file', rules, ...r.args], r.env)).stdout.split('\n');
    assert.match(set[0]!, /^project cli: 2 retention rules; runs on demand only \(no schedule\); set by alice \S+ \S+$/);
    assert.match(set[1]!, /^a run now would delete 3 tags, \d+(\.\d)? KiB \(berth retention run cli --dry-run lists them\)$/);

    const [show, dryJson, dryText, guest] = await Promise.all([
      berth(['retention', 'show', 'cli', ...r.args], r.env),
      berth(['retention', 'run', 'cli', '--dry-run', '--json', ...r.args], r.env),
      berth(['retention', 'run', 'cli', '--dry-run', ...r.args], r.env),
      berth(['retention', 'run', 'cli', '--url', s.url, '--user', 'gus'], { env: { BERTH_PASSWORD: gus[1] } }),
    ]);
    assert.ok(ok(show).stdout.includes(yaml), 'show prints the rules as written, comments and all');
    const plan = JSON.parse(ok(dryJson).stdout);
    assert.equal(plan.dryRun, true);
    assert.deepEqual(plan.repositories[0].deleteTags.map((t: { tag: string }) => t.tag), ['1.0', '1.1', 'dev-a']);
    const text = ok(dryText).stdout.split('\n');
    assert.match(text[0]!, /^cli\/app: would delete 3 tags \(\d+(\.\d)? KiB\)$/);
    assert.match(text[1]!, /^TAG\s+DIGEST\s+PUSHED\s+PULLED\s+WHY$/);
    assert.match(text[2]!, /^1\.0\s+sha256:[0-9a-f]{12}\s+\d{4}-\d\d-\d\d\s+never\s+no rule keeps it$/);
    assert.match(text.at(-2)!, /^would delete 3 tags, \d+(\.\d)? KiB \(bytes: an estimate of what nothing kept in cli references; GC reclaims them\)$/);
    assert.equal(guest.code, 1);
    assert.match(guest.stderr, /only owners and maintainers of cli and administrators change or run its retention policy/);
    assert.deepEqual(await tagsOf(s, alice, 'cli/app'), ['1.0', '1.1', '1.2', '1.3', 'dev-a', 'dev-b'], 'dry runs delete nothing');

    const real = JSON.parse(ok(await berth(['retention', 'run', 'cli', '--json', ...r.args], r.env)).stdout);
    assert.equal(real.dryRun, false);
    assert.equal(real.trigger, 'manual');
    assert.deepEqual(real.repositories[0].deleteTags, plan.repositories[0].deleteTags);
    assert.deepEqual(await tagsOf(s, alice, 'cli/app'), ['1.2', '1.3', 'dev-b']);

    // A bad file is refused naming the key; stdin works too.
    writeFileSync(rules, 'rules:\n  - tags: "1.*"\n    mostRecentlyPushd: 2\n');
    const bad = await berth(['retention', 'set', 'cli', '--file', rules, ...r.args], r.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid retention policy: rules\[0\]: unknown key "mostRecentlyPushd" \(did you mean mostRecentlyPushed\?\)/);
    const piped = await berth(['retention', 'set', 'cli', '--file', '-', '--json', ...r.args], { stdin: yaml.replace('mostRecentlyPushed: 2', 'mostRecentlyPushed: 3'), env: r.env.env });
    assert.equal(JSON.parse(ok(piped).stdout).policy.rules[0].mostRecentlyPushed, 3);
  });

  it('offline with --data while the server runs: a schedule queued for it, a run as the local system, audited and announced', async () => {
    const offline = ['--data', s.dataDir];
    const rules = join(dir, 'offline.yaml');
    writeFileSync(rules, 'schedule: "30 4 * * *"\nrules:\n  - mostRecentlyPushed: 1\n');
    const set = ok(await berth(['retention', 'set', 'cli', '--file', rules, ...offline])).stdout;
    assert.match(set, /^project cli: 1 retention rule; runs "30 4 \* \* \*" \(UTC\), next \S+ 04:30:00Z; set by system/);
    const jobs = await s.db.selectFrom('jobs').select(['run_after']).where('kind', '=', RETENTION_JOB).where('state', '=', 'pending').execute();
    assert.equal(jobs.length, 1, 'the next run is queued for the server');
    assert.equal(new Date(Number(jobs[0]!.run_after)).toISOString().slice(11), '04:30:00.000Z');

    const run = JSON.parse(ok(await berth(['retention', 'run', 'cli', '--json', ...offline])).stdout);
    assert.equal(run.trigger, 'cli');
    assert.equal(run.requestedBy, 'system');
    assert.deepEqual(run.repositories[0].deleteTags.map((t: { tag: string }) => t.tag), ['1.2', '1.3']);
    assert.deepEqual(await tagsOf(s, alice, 'cli/app'), ['dev-b']);

    const shown = JSON.parse(ok(await berth(['retention', 'show', 'cli', '--json', ...offline])).stdout);
    assert.deepEqual(shown.runs.slice(0, 2).map((x: { trigger: string; dryRun: boolean; tags: number }) => [x.trigger, x.dryRun, x.tags]), [['cli', false, 2], ['manual', false, 3]]);
    assert.equal(shown.policy.schedule, '30 4 * * *');
    // The server sees the same (and the API shows the offline run).
    const apiRuns = expectOk(await api(s, 'GET', '/projects/cli/retention/runs?limit=1', { as: alice })).body.runs;
    assert.equal(apiRuns[0].trigger, 'cli');
    // Audited (the run by the system, the deletes by system:retention) and announced by the server's webhook worker.
    await until(async () => {
      const e = expectOk(await api(s, 'GET', '/audit?project=cli&limit=200', { as: ADMIN })).body.entries as { actor: string; action: string; reference: string | null }[];
      return e.some((x) => x.action === 'retention.run' && x.actor === 'system') && e.some((x) => x.action === 'untag' && x.actor === 'system:retention' && x.reference?.startsWith('1.3@') === true);
    }, 'audit entries of the offline run');
    await receiver.waitFor(1, 15_000, (x) => x.status < 300 && x.body.includes('"actor":"system:retention"') && x.body.includes('"tag":"1.3"'));
  });
});
