// The authorization matrix of auth.mode builtin, over real HTTP against a real `berth serve`:
// every subject (each project role, a non-member, a system admin, two robots, anonymous) × every
// action × a public and a private project × each way of calling (Basic, a bearer token from
// /auth/token, none). The expected answers are the table below, written as data in the form
// docs/access.md shows; a failing case is named like "developer/private/user-basic/delete".
//
// State (users, projects, members, robots) is set up through the directory services on the
// server's own SQLite file (WAL mode lets the test and the server share it), acting as SYSTEM.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { Accounts } from '../../src/auth/accounts.ts';
import { directoryServices } from '../../src/auth/builtin.ts';
import { SYSTEM, type Actor } from '../../src/auth/directory/actor.ts';
import { LoginLimiter } from '../../src/auth/login-limiter.ts';
import type { Role } from '../../src/auth/roles.ts';
import { digestOf } from '../../src/core/digest.ts';
import { openMetadata, type MetadataDb } from '../../src/metadata/db.ts';
import { startBerth, type BerthProcess } from '../helpers/berth-process.ts';

// ---------------------------------------------------------------------------------------------
// The expected table. ✓ allowed, – refused, n/a not a thing this caller can attempt.
// "members" is ProjectService.setMember with the subject as the actor (management, not /v2).
// "catalog" means the repository is listed in GET /v2/_catalog for this caller.

const TABLE = `
| action           | owner | maintainer | developer | guest | non-member | admin | robot-pull | robot-push | anonymous |
|------------------|-------|------------|-----------|-------|------------|-------|------------|------------|-----------|
| pull, private    | ✓     | ✓          | ✓         | ✓     | –          | ✓     | ✓          | ✓          | –         |
| pull, public     | ✓     | ✓          | ✓         | ✓     | ✓          | ✓     | ✓          | ✓          | ✓         |
| tags, private    | ✓     | ✓          | ✓         | ✓     | –          | ✓     | ✓          | ✓          | –         |
| tags, public     | ✓     | ✓          | ✓         | ✓     | ✓          | ✓     | ✓          | ✓          | ✓         |
| push, private    | ✓     | ✓          | ✓         | –     | –          | ✓     | –          | ✓          | –         |
| push, public     | ✓     | ✓          | ✓         | –     | –          | ✓     | –          | ✓          | –         |
| delete, private  | ✓     | ✓          | –         | –     | –          | ✓     | –          | –          | –         |
| delete, public   | ✓     | ✓          | –         | –     | –          | ✓     | –          | –          | –         |
| catalog, private | ✓     | ✓          | ✓         | ✓     | –          | ✓     | ✓          | ✓          | –         |
| catalog, public  | ✓     | ✓          | ✓         | ✓     | ✓          | ✓     | ✓          | ✓          | ✓         |
| members, private | ✓     | –          | –         | –     | –          | ✓     | –          | –          | n/a       |
| members, public  | ✓     | –          | –         | –     | –          | ✓     | –          | –          | n/a       |
`;
// robot-pull is robot$<project>+puller with permissions "pull"; robot-push is
// robot$<project>+pusher with "pull,push". Both are robots of the project under test.

type Visibility = 'private' | 'public';
type MatrixAction = 'pull' | 'tags' | 'push' | 'delete' | 'catalog' | 'members';
type Subject = 'owner' | 'maintainer' | 'developer' | 'guest' | 'non-member' | 'admin' | 'robot-pull' | 'robot-push' | 'anonymous';
type Cell = 'allow' | 'deny' | 'n/a';

function parseTable(text: string): Map<string, Cell> {
  const rows = text.trim().split('\n').map((line) => line.split('|').slice(1, -1).map((c) => c.trim()));
  const header = rows[0]!.slice(1);
  const out = new Map<string, Cell>();
  for (const row of rows.slice(2)) {
    const [action, visibility] = row[0]!.split(',').map((s) => s.trim()) as [MatrixAction, Visibility];
    row.slice(1).forEach((cell, i) => {
      const value: Cell = cell === '✓' ? 'allow' : cell === '–' ? 'deny' : cell === 'n/a' ? 'n/a' : (() => { throw new Error(`bad cell ${cell}`); })();
      out.set(`${header[i]}|${visibility}|${action}`, value);
    });
  }
  return out;
}
const EXPECTED = parseTable(TABLE);

const SUBJECTS: readonly Subject[] = ['owner', 'maintainer', 'developer', 'guest', 'non-member', 'admin', 'robot-pull', 'robot-push', 'anonymous'];
const REGISTRY_ACTIONS: readonly Exclude<MatrixAction, 'members'>[] = ['pull', 'tags', 'push', 'delete', 'catalog'];
const VISIBILITIES: readonly Visibility[] = ['private', 'public'];

/** How a subject calls /v2. */
type CallerKind = 'user-basic' | 'user-bearer' | 'robot-basic' | 'robot-bearer' | 'anonymous' | 'anonymous-token';
function callerKinds(subject: Subject): CallerKind[] {
  if (subject === 'anonymous') return ['anonymous', 'anonymous-token'];
  if (subject.startsWith('robot-')) return ['robot-basic', 'robot-bearer'];
  return ['user-basic', 'user-bearer'];
}

// ---------------------------------------------------------------------------------------------

const ADMIN_PASSWORD = 'matrix-Admin-pa55';
const PASSWORD = 'matrix-User-pa55';
const USERS: Partial<Record<Subject, string>> = {
  owner: 'mx-owner',
  maintainer: 'mx-maint',
  developer: 'mx-dev',
  guest: 'mx-guest',
  'non-member': 'mx-stranger',
  admin: 'admin',
};
const ROLE_OF: Partial<Record<Subject, Role>> = { owner: 'owner', maintainer: 'maintainer', developer: 'developer', guest: 'guest' };
const PROJECT: Record<Visibility, string> = { private: 'mxpriv', public: 'mxpub' };
const repoOf = (v: Visibility) => `${PROJECT[v]}/app`;
/** Added and removed as a member by the "members" cases. */
const BYSTANDER = 'mx-bystander';

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const ACTION_SCOPE: Record<Exclude<MatrixAction, 'members'>, (repo: string) => string> = {
  pull: (r) => `repository:${r}:pull`,
  tags: (r) => `repository:${r}:pull`,
  push: (r) => `repository:${r}:pull,push`,
  delete: (r) => `repository:${r}:delete`,
  catalog: () => 'registry:catalog:*',
};
const NEEDED: Record<Exclude<MatrixAction, 'members' | 'catalog'>, string> = { pull: 'pull', tags: 'pull', push: 'push', delete: 'delete' };

describe('authorization matrix (auth.mode builtin)', { timeout: 600_000 }, () => {
  let server: BerthProcess;
  let meta: MetadataDb;
  let accounts: Accounts;
  const robotSecrets = new Map<string, string>();
  const pushed = new Map<Visibility, { digest: string; tag: string }>();
  let counter = 0;

  const url = (path: string) => `${server.url}${path}`;
  const adminAuth = () => basic('admin', ADMIN_PASSWORD);
  const robotName = (subject: Subject, v: Visibility) => `robot$${PROJECT[v]}+${subject === 'robot-pull' ? 'puller' : 'pusher'}`;

  /** Basic credentials of a subject for the project under test. */
  function credentials(subject: Subject, v: Visibility): { user: string; password: string } {
    if (subject.startsWith('robot-')) {
      const name = robotName(subject, v);
      return { user: name, password: robotSecrets.get(name)! };
    }
    const user = USERS[subject]!;
    return { user, password: user === 'admin' ? ADMIN_PASSWORD : PASSWORD };
  }

  async function token(scope: string, creds?: { user: string; password: string }): Promise<{ token: string; access: { type: string; name: string; actions: string[] }[] }> {
    const q = new URLSearchParams({ service: 'berth', scope });
    const res = await fetch(url(`/auth/token?${q}`), { headers: creds ? { authorization: basic(creds.user, creds.password) } : {} });
    const text = await res.text();
    assert.equal(res.status, 200, `GET /auth/token?${q} as ${creds?.user ?? 'anonymous'}: ${text}`);
    const body = JSON.parse(text) as { token: string };
    return { token: body.token, access: (decodeJwt(body.token).access ?? []) as { type: string; name: string; actions: string[] }[] };
  }

  /** The Authorization header for one case, or undefined; also the access a token granted. */
  async function authFor(subject: Subject, kind: CallerKind, v: Visibility, action: Exclude<MatrixAction, 'members'>) {
    const scope = ACTION_SCOPE[action](repoOf(v));
    if (kind === 'anonymous') return { header: undefined };
    if (kind === 'anonymous-token') {
      const t = await token(scope);
      return { header: `Bearer ${t.token}`, access: t.access };
    }
    const creds = credentials(subject, v);
    if (kind === 'user-basic' || kind === 'robot-basic') return { header: basic(creds.user, creds.password) };
    const t = await token(scope, creds);
    return { header: `Bearer ${t.token}`, access: t.access };
  }

  const h = (auth: string | undefined, extra: Record<string, string> = {}) => (auth ? { authorization: auth, ...extra } : extra);

  /** A small image whose bytes are unique to this call: a config blob and a manifest. */
  function image(label: string) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, config: { Labels: { case: label, salt: randomBytes(6).toString('hex') } } }));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [],
    }));
    return { config, configDigest: digestOf(config), manifest, digest: digestOf(manifest) };
  }

  /** The full push flow; returns the first status that is not the expected success. */
  async function push(repo: string, tag: string, auth: string | undefined, img: ReturnType<typeof image>): Promise<{ status: number; body: string; headers: Headers; step: string }> {
    const start = await fetch(url(`/v2/${repo}/blobs/uploads/`), { method: 'POST', headers: h(auth) });
    if (start.status !== 202) return { status: start.status, body: await start.text(), headers: start.headers, step: 'POST upload' };
    await start.arrayBuffer();
    const loc = new URL(start.headers.get('location')!, server.url);
    loc.searchParams.set('digest', img.configDigest);
    const put = await fetch(loc, { method: 'PUT', headers: h(auth, { 'content-type': 'application/octet-stream' }), body: img.config });
    if (put.status !== 201) return { status: put.status, body: await put.text(), headers: put.headers, step: 'PUT blob' };
    await put.arrayBuffer();
    const m = await fetch(url(`/v2/${repo}/manifests/${tag}`), { method: 'PUT', headers: h(auth, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }), body: img.manifest });
    return { status: m.status, body: await m.text(), headers: m.headers, step: 'PUT manifest' };
  }

  async function adminPush(repo: string, tag: string): Promise<ReturnType<typeof image>> {
    const img = image(`${repo}:${tag}`);
    const r = await push(repo, tag, adminAuth(), img);
    assert.equal(r.status, 201, `admin push of ${repo}:${tag} failed at ${r.step}: ${r.status} ${r.body}`);
    return img;
  }

  async function manifestExists(repo: string, ref: string): Promise<boolean> {
    const res = await fetch(url(`/v2/${repo}/manifests/${ref}`), { method: 'HEAD', headers: { authorization: adminAuth(), accept: 'application/vnd.oci.image.manifest.v1+json' } });
    return res.status === 200;
  }

  function expectDenied(status: number, body: string, headers: Headers, anonymous: boolean, what: string): void {
    if (anonymous) {
      assert.equal(status, 401, `${what}: an anonymous caller without the right gets 401, got ${status} ${body}`);
      assert.match(headers.get('www-authenticate') ?? '', new RegExp(`^Bearer realm="${server.url.replace(/[.]/g, '\\.')}/auth/token",service="berth"`), `${what}: challenge`);
      return;
    }
    assert.equal(status, 403, `${what}: a logged-in caller without the right gets 403 DENIED, got ${status} ${body}`);
    const err = (JSON.parse(body) as { errors: { code: string; message: string }[] }).errors[0]!;
    assert.equal(err.code, 'DENIED', what);
    assert.equal(err.message, 'requested access to the resource is denied', what);
  }

  before(async () => {
    server = await startBerth({ auth: 'builtin' as never, env: { BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD } });
    meta = await openMetadata({ dialect: 'sqlite', location: join(server.dataDir, 'berth.db') });
    accounts = new Accounts(meta.db, new LoginLimiter({ maxFailures: 1000, windowMs: 1000, lockMs: 1 }));
    const dir = directoryServices(meta.db);
    for (const name of [...Object.values(USERS).filter((u) => u !== 'admin'), BYSTANDER]) await dir.users.create(SYSTEM, name, PASSWORD);
    for (const v of VISIBILITIES) {
      await dir.projects.create(SYSTEM, PROJECT[v], v);
      for (const [subject, role] of Object.entries(ROLE_OF)) await dir.projects.setMember(SYSTEM, PROJECT[v], USERS[subject as Subject]!, role);
      for (const subject of ['robot-pull', 'robot-push'] as const) {
        const created = await dir.robots.create(SYSTEM, {
          name: subject === 'robot-pull' ? 'puller' : 'pusher',
          permissions: [{ project: PROJECT[v], actions: subject === 'robot-pull' ? 'pull' : 'pull,push' }],
        });
        assert.equal(created.robot.name, robotName(subject, v));
        robotSecrets.set(created.robot.name, created.secret);
      }
      const img = await adminPush(repoOf(v), 'v1');
      pushed.set(v, { digest: img.digest, tag: 'v1' });
    }
  });

  after(async () => {
    await meta?.close();
    const code = await server?.stop();
    if (code !== 0 && code !== null) console.error(server.logs());
    if (server) await rm(server.dataDir, { recursive: true, force: true });
  });

  it('the table covers every subject, action and visibility', () => {
    for (const s of SUBJECTS) for (const v of VISIBILITIES) for (const a of [...REGISTRY_ACTIONS, 'members'] as const) {
      assert.ok(EXPECTED.has(`${s}|${v}|${a}`), `${s}/${v}/${a} is missing from the table`);
    }
    assert.equal(EXPECTED.size, SUBJECTS.length * VISIBILITIES.length * 6);
  });

  for (const subject of SUBJECTS) {
    for (const v of VISIBILITIES) {
      for (const kind of callerKinds(subject)) {
        for (const action of REGISTRY_ACTIONS) {
          const expected = EXPECTED.get(`${subject}|${v}|${action}`)!;
          const name = `${subject}/${v}/${kind}/${action}`;
          const anonymous = kind === 'anonymous' || kind === 'anonymous-token';
          it(`${name} → ${expected === 'allow' ? 'allowed' : anonymous ? '401' : '403 DENIED'}`, async () => {
            const repo = repoOf(v);
            const n = ++counter;
            // A manifest of its own for each delete case, pushed by the admin first.
            const victim = action === 'delete' ? await adminPush(repo, `del-${n}`) : undefined;
            const auth = await authFor(subject, kind, v, action);

            if (auth.access && action !== 'catalog') {
              // A token holds the intersection of the scope and the caller's rights.
              const granted = auth.access.find((g) => g.type === 'repository' && g.name === repo)?.actions ?? [];
              assert.equal(granted.includes(NEEDED[action]), expected === 'allow', `${name}: token access ${JSON.stringify(auth.access)}`);
            }

            if (action === 'catalog') {
              const res = await fetch(url('/v2/_catalog?n=1000'), { headers: h(auth.header) });
              const text = await res.text();
              assert.equal(res.status, 200, `${name}: GET /v2/_catalog answers 200 to every caller, got ${res.status} ${text}`);
              const listed = (JSON.parse(text) as { repositories: string[] }).repositories.includes(repo);
              assert.equal(listed, expected === 'allow', `${name}: ${repo} ${listed ? 'is' : 'is not'} listed in ${text}`);
              return;
            }

            if (action === 'pull' || action === 'tags') {
              const path = action === 'pull' ? `/v2/${repo}/manifests/${pushed.get(v)!.tag}` : `/v2/${repo}/tags/list`;
              const res = await fetch(url(path), { headers: h(auth.header, { accept: 'application/vnd.oci.image.manifest.v1+json' }) });
              const text = await res.text();
              if (expected === 'allow') {
                assert.equal(res.status, 200, `${name}: GET ${path}: ${text}`);
                if (action === 'pull') assert.equal(res.headers.get('docker-content-digest'), pushed.get(v)!.digest, name);
                else assert.ok((JSON.parse(text) as { tags: string[] }).tags.includes('v1'), `${name}: ${text}`);
              } else {
                expectDenied(res.status, text, res.headers, anonymous, `${name}: GET ${path}`);
              }
              return;
            }

            if (action === 'push') {
              const img = image(name);
              const tag = `push-${n}`;
              const r = await push(repo, tag, auth.header, img);
              if (expected === 'allow') {
                assert.equal(r.status, 201, `${name}: push failed at ${r.step}: ${r.status} ${r.body}`);
                assert.ok(await manifestExists(repo, tag), `${name}: the pushed tag is there`);
              } else {
                assert.equal(r.step, 'POST upload', `${name}: refused at the first step`);
                expectDenied(r.status, r.body, r.headers, anonymous, `${name}: POST /v2/${repo}/blobs/uploads/`);
                // A manifest whose config the repository already holds is refused as well.
                const existing = await adminPush(repo, `pre-${n}`);
                const res = await fetch(url(`/v2/${repo}/manifests/${tag}`), {
                  method: 'PUT',
                  headers: h(auth.header, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }),
                  body: existing.manifest,
                });
                expectDenied(res.status, await res.text(), res.headers, anonymous, `${name}: PUT /v2/${repo}/manifests/${tag}`);
                assert.equal(await manifestExists(repo, tag), false, `${name}: nothing was tagged`);
              }
              return;
            }

            // delete
            const path = `/v2/${repo}/manifests/${victim!.digest}`;
            const res = await fetch(url(path), { method: 'DELETE', headers: h(auth.header) });
            const text = await res.text();
            if (expected === 'allow') {
              assert.equal(res.status, 202, `${name}: DELETE ${path}: ${text}`);
              assert.equal(await manifestExists(repo, victim!.digest), false, `${name}: the manifest is gone`);
            } else {
              expectDenied(res.status, text, res.headers, anonymous, `${name}: DELETE ${path}`);
              assert.equal(await manifestExists(repo, victim!.digest), true, `${name}: the manifest is still there`);
            }
          });
        }
      }

      // Member management: not a /v2 action, so once per subject, acting as its own account.
      const expected = EXPECTED.get(`${subject}|${v}|members`)!;
      if (expected === 'n/a') continue;
      const kind = subject.startsWith('robot-') ? 'robot' : 'user';
      const name = `${subject}/${v}/${kind}/members`;
      it(`${name} → ${expected === 'allow' ? 'allowed' : 'DENIED'}`, async () => {
        const dir = directoryServices(meta.db);
        const { user, password } = credentials(subject, v);
        const login = await accounts.login(user, password, '127.0.0.1');
        assert.ok(login.ok, `${name}: the account logs in`);
        const actor = login.principal as Actor;
        const attempt = dir.projects.setMember(actor, PROJECT[v], BYSTANDER, 'guest');
        const members = async () => (await dir.projects.members(SYSTEM, PROJECT[v])).map((m) => m.user);
        if (expected === 'allow') {
          await attempt;
          assert.ok((await members()).includes(BYSTANDER), `${name}: ${BYSTANDER} became a member`);
          await dir.projects.removeMember(actor, PROJECT[v], BYSTANDER);
          assert.ok(!(await members()).includes(BYSTANDER), `${name}: and was removed again`);
        } else {
          // A private project is invisible to strangers: they get the answer for a missing one.
          const code = subject === 'non-member' && v === 'private' ? 'NOT_FOUND' : 'DENIED';
          await assert.rejects(attempt, (e: Error & { code?: string }) => e.code === code, `${name}: setMember is refused with ${code}`);
          assert.ok(!(await members()).includes(BYSTANDER), `${name}: nobody was added`);
        }
      });
    }
  }

  it('library: anyone pulls; only a system admin pushes, whatever the caller', async () => {
    await adminPush('library/mxbase', '1');
    const anon = await fetch(url('/v2/library/mxbase/manifests/1'), { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(anon.status, 200, 'library/mxbase:1 anonymous pull');
    await anon.arrayBuffer();
    const r = await push('library/mxbase', 'dev', basic(USERS.developer!, PASSWORD), image('library-dev'));
    expectDenied(r.status, r.body, r.headers, false, 'developer/library/user-basic/push');
    const t = await token('repository:library/mxbase:pull,push,delete', { user: USERS.owner!, password: PASSWORD });
    assert.deepEqual(t.access, [{ type: 'repository', name: 'library/mxbase', actions: ['pull'] }], 'owner/library/user-bearer: a token holds pull only');
  });

  it('personal projects: each user owns a private project named after the account', async () => {
    const me = USERS.developer!;
    const mine = basic(me, PASSWORD);
    const r = await push(`${me}/tool`, '1', mine, image('personal'));
    assert.equal(r.status, 201, `${me} pushes to ${me}/tool: ${r.step} ${r.status} ${r.body}`);
    const path = `/v2/${me}/tool/manifests/1`;
    const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
    for (const [who, auth, status] of [
      [me, mine, 200],
      ['admin', adminAuth(), 200],
      [USERS.owner!, basic(USERS.owner!, PASSWORD), 403],
      ['anonymous', undefined, 401],
    ] as const) {
      const res = await fetch(url(path), { headers: h(auth, accept) });
      const text = await res.text();
      if (status === 200) assert.equal(res.status, 200, `${who}/personal/user-basic/pull: ${text}`);
      else expectDenied(res.status, text, res.headers, who === 'anonymous', `${who}/personal/${who === 'anonymous' ? 'anonymous' : 'user-basic'}/pull`);
    }
    const other = await push(`${me}/tool`, 'x', basic(USERS.owner!, PASSWORD), image('personal-other'));
    expectDenied(other.status, other.body, other.headers, false, `${USERS.owner}/personal/user-basic/push`);
    const catalog = (await (await fetch(url('/v2/_catalog?n=1000'), { headers: { authorization: basic(USERS.owner!, PASSWORD) } })).json()) as { repositories: string[] };
    assert.ok(!catalog.repositories.includes(`${me}/tool`), `another user's catalog hides ${me}/tool`);
  });
});
