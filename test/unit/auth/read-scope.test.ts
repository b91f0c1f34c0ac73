// readScope (what lists filter on, in SQL) must say exactly what Authorizer.allows says for a
// pull, for every kind of caller and every project: anonymous, members and outsiders, admins,
// access tokens limited by action and by project, and robots.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Authorizer } from '../../../src/auth/authorizer.ts';
import type { Principal } from '../../../src/auth/principal.ts';
import { readScope } from '../../../src/auth/read-scope.ts';
import { projectReadable } from '../../../src/features/search/repositories-query.ts';
import { openMetadata, type MetadataDb } from '../../../src/metadata/db.ts';
import { insertProject, setMember } from '../../../src/metadata/identity/projects.ts';
import { insertUser } from '../../../src/metadata/identity/users.ts';

const PROJECTS = ['library', 'pub', 'guested', 'developed', 'other'] as const;

describe('readScope agrees with the Authorizer on pull', () => {
  let m: MetadataDb;
  const principals: Record<string, Principal | undefined> = {};
  before(async () => {
    m = await openMetadata({ dialect: 'sqlite', location: ':memory:' });
    const alice = await insertUser(m.db, 'alice', 'x', false, 1);
    const root = await insertUser(m.db, 'root', 'x', true, 1);
    const ids: Record<string, number> = {};
    for (const name of PROJECTS) ids[name] = (await insertProject(m.db, { name, visibility: name === 'library' || name === 'pub' ? 'public' : 'private' }, 1)).id;
    await setMember(m.db, ids.guested!, alice, 'guest', 1);
    await setMember(m.db, ids.developed!, alice, 'developer', 1);
    const pull = new Set(['pull'] as const);
    Object.assign(principals, {
      anonymous: undefined,
      alice: { kind: 'user', id: alice, name: 'alice', admin: false },
      'alice token (pull, every project)': { kind: 'user', id: alice, name: 'alice', admin: false, limit: { actions: pull } },
      'alice token (pull, guested)': { kind: 'user', id: alice, name: 'alice', admin: false, limit: { actions: pull, projects: new Set(['guested']) } },
      'alice token (pull, other)': { kind: 'user', id: alice, name: 'alice', admin: false, limit: { actions: pull, projects: new Set(['other']) } },
      'alice token (push only)': { kind: 'user', id: alice, name: 'alice', admin: false, limit: { actions: new Set(['push']) } },
      root: { kind: 'user', id: root, name: 'root', admin: true },
      'root token (pull, other)': { kind: 'user', id: root, name: 'root', admin: true, limit: { actions: pull, projects: new Set(['other']) } },
      'robot (pull on other)': { kind: 'robot', id: 1, name: 'robot$other+r', permissions: new Map([['other', pull]]) },
      'robot (push on other)': { kind: 'robot', id: 2, name: 'robot$other+w', permissions: new Map([['other', new Set(['push'])]]) },
    } satisfies Record<string, Principal | undefined>);
  });
  after(() => m.close());

  it('for every caller and every project', async () => {
    const authorizer = new Authorizer(m.db);
    let readable = 0;
    for (const [who, principal] of Object.entries(principals)) {
      for (const project of [...PROJECTS, 'missing']) {
        const allows = await authorizer.allows(principal, `${project}/app`, 'pull');
        const listed = await projectReadable(m.db, readScope(principal), project);
        assert.equal(listed, allows, `${who} on ${project}: the Authorizer says ${allows}`);
        if (allows) readable++;
      }
    }
    // Not a vacuous match: some pairs are readable and some are not.
    assert.ok(readable > 10 && readable < Object.keys(principals).length * (PROJECTS.length + 1));
  });
});
