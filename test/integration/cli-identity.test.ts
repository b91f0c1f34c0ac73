// The identity commands of the real CLI (node bin/berth.mjs): offline against a data directory,
// then against a running server with --url. A robot secret and an access token made offline
// work as Basic passwords against the server started on the same data directory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berth, ok, type CliResult } from '../helpers/berth-cli.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';
import { basic } from './api-helpers.ts';


function fails(r: CliResult, message: RegExp, hint?: RegExp): CliResult {
  assert.equal(r.code, 1, `expected exit 1\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.match(r.stderr, /^berth: /);
  assert.match(r.stderr, message);
  if (hint) assert.match(r.stderr, hint);
  return r;
}

async function status(url: string, authorization: string): Promise<number> {
  const res = await fetch(url, { headers: { authorization } });
  await res.arrayBuffer();
  return res.status;
}

describe('berth identity commands', () => {
  let dir: string;
  let data: string;
  let server: BerthProcess | undefined;
  let robotSecret = '';
  let firstRobotSecret = '';
  let token = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-cli-identity-'));
    data = join(dir, 'data');
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('offline (--data)', () => {
    it('user add reads the password from stdin; a duplicate fails with a hint', async () => {
      const r = ok(await berth(['user', 'add', 'alice', '--password-stdin', '--data', data], { stdin: 'alice-password-1\n' }));
      assert.match(r.stdout, /Created user alice/);
      ok(await berth(['user', 'add', 'root', '--admin', '--password-stdin', '--data', data], { stdin: 'root-password-1\n' }));
      fails(await berth(['user', 'add', 'alice', '--password-stdin', '--data', data], { stdin: 'whatever-pw\n' }), /user alice already exists/, /another name/);
      fails(await berth(['user', 'add', 'bob', '--data', data]), /--password-stdin/);
      fails(await berth(['user', 'add', 'bob', '--password-stdin', '--data', data], { stdin: 'short\n' }), /at least 8 characters/);
    });

    it('user list prints a table, or JSON with --json', async () => {
      const table = ok(await berth(['user', 'list', '--data', data])).stdout;
      assert.match(table, /^NAME\s+ADMIN\s+DISABLED\s+CREATED/);
      assert.match(table, /\nroot\s+yes\s+no/);
      const users = JSON.parse(ok(await berth(['user', 'list', '--json', '--data', data])).stdout) as { name: string }[];
      assert.deepEqual(users.map((u) => u.name).sort(), ['alice', 'root']);
    });

    it('project create, list and member add', async () => {
      ok(await berth(['project', 'create', 'team', '--data', data]));
      ok(await berth(['project', 'create', 'pub', '--public', '--data', data]));
      fails(await berth(['project', 'create', 'team', '--data', data]), /already exists/);
      const list = ok(await berth(['project', 'list', '--data', data])).stdout;
      assert.match(list, /\nteam\s+private/);
      assert.match(list, /\npub\s+public/);
      assert.match(list, /\nlibrary\s+public/);
      const added = ok(await berth(['project', 'member', 'add', 'team', 'alice', '--role', 'owner', '--data', data]));
      assert.match(added.stdout, /alice is now an owner of team/);
      fails(await berth(['project', 'member', 'add', 'team', 'nobody', '--role', 'developer', '--data', data]), /no user named nobody/, /berth user list/);
      fails(await berth(['project', 'member', 'add', 'nothing', 'alice', '--data', data]), /no project named nothing/);
      const members = JSON.parse(ok(await berth(['project', 'member', 'list', 'team', '--json', '--data', data])).stdout) as { user: string; role: string }[];
      assert.deepEqual(members.map((m) => [m.user, m.role]), [['alice', 'owner']]);
    });

    it('project update: visibility, description and (offline, as the system) the trusted-content badges', async () => {
      const updated = ok(await berth(['project', 'update', 'pub', '--verified', '--sponsored', '--description', 'Public things', '--data', data]));
      assert.match(updated.stdout, /Project pub is public, badges: Verified Publisher, Sponsored OSS/);
      const list = ok(await berth(['project', 'list', '--data', data])).stdout;
      assert.match(list, /\npub\s+public\s+-\s+verified,sponsored\s/);
      const json = JSON.parse(ok(await berth(['project', 'update', 'pub', '--no-sponsored', '--private', '--json', '--data', data])).stdout) as { visibility: string; verified: boolean; sponsored: boolean; description: string };
      assert.deepEqual([json.visibility, json.verified, json.sponsored, json.description], ['private', true, false, 'Public things']);
      ok(await berth(['project', 'update', 'pub', '--public', '--data', data]));
      fails(await berth(['project', 'update', 'pub', '--data', data]), /nothing to change/, /--\[no-\]verified/);
      fails(await berth(['project', 'update', 'pub', '--public', '--private', '--data', data]), /contradict/);
      fails(await berth(['project', 'update', 'nothing', '--public', '--data', data]), /no project named nothing/);
    });

    it('robot create prints the full name and the secret once, with a warning', async () => {
      const r = ok(await berth(['robot', 'create', 'team', 'ci', '--permissions', 'pull,push', '--expires-in', '30d', '--data', data]));
      assert.match(r.stdout, /name:\s+robot\$team\+ci/);
      const m = /secret:\s+(\S+)/.exec(r.stdout);
      assert.ok(m, r.stdout);
      assert.match(r.stderr, /not shown again/);
      // Rotating prints a new secret once; the first one is dead (checked against the server below).
      const rotated = ok(await berth(['robot', 'rotate', 'robot$team+ci', '--data', data]));
      robotSecret = /secret:\s+(\S+)/.exec(rotated.stdout)![1]!;
      assert.notEqual(robotSecret, m[1]);
      firstRobotSecret = m[1]!;
      const list = ok(await berth(['robot', 'list', 'team', '--data', data])).stdout;
      assert.match(list, /robot\$team\+ci\s+team:pull,push/);
      assert.ok(!list.includes(robotSecret));
      fails(await berth(['robot', 'create', 'team', 'ci', '--permissions', 'pull', '--data', data]), /already exists/);
      fails(await berth(['robot', 'create', 'team', 'x', '--permissions', 'fly', '--data', data]), /unknown permission "fly".*pull, push, delete/);
      // A typo is refused, not dropped: it must not make a pull-only robot.
      fails(await berth(['robot', 'create', 'team', 'typo', '--permissions', 'pull,pushh', '--data', data]), /unknown permission "pushh"/);
      assert.doesNotMatch(ok(await berth(['robot', 'list', 'team', '--data', data])).stdout, /robot\$team\+typo/);
    });

    it('token create needs --user offline and prints the token once', async () => {
      fails(await berth(['token', 'create', 'laptop', '--permissions', 'pull', '--data', data]), /--user/);
      fails(await berth(['token', 'create', 'laptop', '--user', 'alice', '--permissions', 'pull,pushh', '--data', data]), /unknown permission "pushh".*pull, push, delete/);
      const r = ok(await berth(['token', 'create', 'laptop', '--user', 'alice', '--permissions', 'pull,push', '--expires-in', '7d', '--data', data]));
      const m = /token:\s+(bpat_\S+)/.exec(r.stdout);
      assert.ok(m, r.stdout);
      token = m[1]!;
      assert.match(r.stderr, /not shown again/);
      const list = ok(await berth(['token', 'list', '--user', 'alice', '--data', data])).stdout;
      assert.match(list, /laptop\s+pull,push/);
      assert.ok(!list.includes(token));
    });

    it('user passwd reads the new password from stdin', async () => {
      ok(await berth(['user', 'passwd', 'alice', '--password-stdin', '--data', data], { stdin: 'alice-password-2\n' }));
      fails(await berth(['user', 'passwd', 'nobody', '--password-stdin', '--data', data], { stdin: 'whatever-pw\n' }), /no user named nobody/);
    });
  });

  describe('against the server on the same data directory', () => {
    before(async () => {
      server = await startBerth({ auth: 'builtin', dataDir: data });
    });

    it('the robot secret and the access token made offline work as Basic passwords', async () => {
      const url = `${server!.url}/v2/team/app/tags/list`;
      assert.equal(await status(url, basic(['robot$team+ci', robotSecret])), 404, 'robot: signed in and allowed; the repository is just empty');
      assert.equal(await status(url, basic(['robot$team+ci', 'wrong-secret'])), 401);
      assert.equal(await status(url, basic(['robot$team+ci', firstRobotSecret])), 401, 'the secret from before the rotation');
      assert.equal(await status(url, basic(['alice', token])), 404);
      assert.equal(await status(`${server!.url}/api/v1/me`, basic(['alice', 'alice-password-2'])), 200);
      // A login at the token endpoint lands in the audit log.
      assert.equal(await status(`${server!.url}/auth/token?service=berth&scope=repository:team/app:pull`, basic(['robot$team+ci', robotSecret])), 200);
    });

    it('audit --since reads the log offline (while the server runs)', async () => {
      let out = '';
      for (let i = 0; i < 20 && !out.includes('robot$team+ci'); i++) {
        await new Promise((res) => setTimeout(res, 300));
        out = ok(await berth(['audit', '--since', '1h', '--data', data])).stdout;
      }
      assert.match(out, /^TIME\s+ACTOR\s+ACTION/);
      assert.match(out, /robot\$team\+ci\s+login\s+success/);
      const entries = JSON.parse(ok(await berth(['audit', '--since', '1h', '--action', 'login', '--json', '--data', data])).stdout) as { actor: string }[];
      assert.ok(entries.some((e) => e.actor === 'robot$team+ci'));
      fails(await berth(['audit', '--since', 'a-while', '--data', data]), /--since must be a duration/);
    });

    it('--url: admins list users and add one (login from BERTH_PASSWORD, new password from stdin)', async () => {
      const root = { BERTH_PASSWORD: 'root-password-1' };
      const list = ok(await berth(['user', 'list', '--url', server!.url, '--user', 'root'], { env: root })).stdout;
      assert.match(list, /\nalice\s+no/);
      ok(await berth(['user', 'add', 'carol', '--password-stdin', '--url', server!.url, '--user', 'root'], { env: root, stdin: 'carol-password-1\n' }));
      assert.equal(await status(`${server!.url}/api/v1/me`, basic(['carol', 'carol-password-1'])), 200);
    });

    it('--url: a user creates a project, adds a member, a robot and a token for themself; reads their audit', async () => {
      const alice = { BERTH_PASSWORD: 'alice-password-2' };
      const target = ['--url', server!.url, '--user', 'alice'];
      ok(await berth(['project', 'create', 'web', ...target], { env: alice }));
      ok(await berth(['project', 'member', 'add', 'web', 'carol', '--role', 'developer', ...target], { env: alice }));
      const robot = ok(await berth(['robot', 'create', 'web', 'deploy', '--permissions', 'pull', ...target], { env: alice }));
      const secret = /secret:\s+(\S+)/.exec(robot.stdout)![1]!;
      assert.equal(await status(`${server!.url}/api/v1/me`, basic(['robot$web+deploy', secret])), 200);
      const tok = ok(await berth(['token', 'create', 'cli', '--permissions', 'pull', ...target], { env: alice }));
      assert.match(tok.stdout, /for alice/);
      const pat = /token:\s+(bpat_\S+)/.exec(tok.stdout)![1]!;
      assert.equal(await status(`${server!.url}/api/v1/me`, basic(['alice', pat])), 200);
      const id = /Created access token (\d+)/.exec(tok.stdout)![1]!;
      ok(await berth(['token', 'revoke', id, ...target], { env: alice }));
      assert.equal(await status(`${server!.url}/api/v1/me`, basic(['alice', pat])), 401);
      ok(await berth(['robot', 'disable', 'robot$web+deploy', ...target], { env: alice }));
      assert.equal(await status(`${server!.url}/api/v1/me`, basic(['robot$web+deploy', secret])), 401);
      ok(await berth(['robot', 'enable', 'robot$web+deploy', ...target], { env: alice }));
      assert.equal(await status(`${server!.url}/api/v1/me`, basic(['robot$web+deploy', secret])), 200);
      // Owners change their project's settings; the trusted-content badges are for administrators.
      ok(await berth(['project', 'update', 'web', '--public', ...target], { env: alice }));
      fails(await berth(['project', 'update', 'web', '--verified', ...target], { env: alice }), /administrator/);
      const projects = JSON.parse(ok(await berth(['project', 'list', '--json', ...target], { env: alice })).stdout) as { name: string; role?: string }[];
      assert.equal(projects.find((p) => p.name === 'web')?.role, 'owner');
      ok(await berth(['audit', '--project', 'team', ...target], { env: alice }));
      // --password-stdin carries the login password when the command takes no new password.
      ok(await berth(['project', 'list', '--url', server!.url, '--user', 'alice', '--password-stdin'], { stdin: 'alice-password-2\n' }));
    });

    it('--url: refusals print the reason and what to do next', async () => {
      const alice = { BERTH_PASSWORD: 'alice-password-2' };
      fails(await berth(['user', 'list', '--url', server!.url, '--user', 'alice'], { env: alice }), /only system administrators/, /administrator/);
      fails(await berth(['user', 'list', '--url', server!.url, '--user', 'alice'], { env: { BERTH_PASSWORD: 'wrong-password' } }), /invalid username or password/, /--user.*BERTH_PASSWORD/);
      fails(await berth(['user', 'list', '--url', server!.url, '--user', 'alice']), /needs a password/, /BERTH_PASSWORD/);
      fails(await berth(['user', 'list', '--url', server!.url]), /login/, /--user/);
      fails(await berth(['audit', '--url', server!.url, '--user', 'alice'], { env: alice }), /project=NAME|administrators/);
      fails(await berth(['project', 'list', '--url', 'http://127.0.0.1:1']), /cannot reach/, /--url/);
    });
  });
});
