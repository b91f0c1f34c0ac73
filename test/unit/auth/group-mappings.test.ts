// GroupMappingService on an in-memory SQLite: who may manage which mappings (a project's owners
// and administrators; system-administrator mappings and the list of all for administrators
// only), that a mapping must name a configured provider and a known role, that setting one again
// changes its role, and that a stranger to a private project gets the missing-project answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { directoryServices } from '../../../src/auth/builtin.ts';
import { SYSTEM, type Actor } from '../../../src/auth/directory/actor.ts';
import { RegistryError } from '../../../src/core/errors.ts';
import { openMetadata, type MetadataDb } from '../../../src/metadata/db.ts';
import { findUserByName } from '../../../src/metadata/identity/users.ts';

describe('GroupMappingService', () => {
  let m: MetadataDb;
  let dir: ReturnType<typeof directoryServices>;
  let owner: Actor;
  let stranger: Actor;
  const user = async (name: string): Promise<Actor> => {
    await dir.users.create(SYSTEM, name, `${name}-password-1`);
    const row = (await findUserByName(m.db, name))!;
    return { kind: 'user', id: row.id, name, admin: false };
  };
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (error) {
      if (error instanceof RegistryError) return error.code;
      throw error;
    }
  };

  before(async () => {
    m = await openMetadata({ dialect: 'sqlite', location: ':memory:' });
    dir = directoryServices(m.db, {}, ['corp', 'sso']);
    owner = await user('olga');
    stranger = await user('sven');
    await dir.projects.create(owner, 'team', 'private');
  });
  after(async () => { await m?.close(); });

  it('a project owner maps a group to a role, and setting it again changes the role', async () => {
    const a = await dir.groupMappings.set(owner, { provider: 'corp', group: 'developers', project: 'team' }, 'developer');
    assert.deepEqual([a.provider, a.group, a.project, a.role, a.createdBy], ['corp', 'developers', 'team', 'developer', 'olga']);
    await dir.groupMappings.set(owner, { provider: 'corp', group: 'developers', project: 'team' }, 'maintainer');
    const list = await dir.groupMappings.list(owner, 'team');
    assert.deepEqual(list.map((x) => `${x.group}:${x.role}`), ['developers:maintainer']);
  });

  it('refuses an unknown provider (naming the configured ones) and an unknown role', async () => {
    await assert.rejects(dir.groupMappings.set(owner, { provider: 'nosuch', group: 'g', project: 'team' }, 'guest'), /the configured ones \(auth.providers\) are corp, sso/);
    await assert.rejects(dir.groupMappings.set(owner, { provider: 'corp', group: 'g', project: 'team' }, 'admin'), /role must be owner, maintainer, developer or guest/);
    await assert.rejects(dir.groupMappings.set(SYSTEM, { provider: 'corp', group: 'g' }, 'developer'), /its role is admin/);
  });

  it('a stranger gets the missing-project answer; only administrators map to system administrator or list all', async () => {
    assert.equal(await code(dir.groupMappings.set(stranger, { provider: 'corp', group: 'x', project: 'team' }, 'owner')), 'NOT_FOUND');
    assert.equal(await code(dir.groupMappings.list(stranger, 'team')), 'NOT_FOUND');
    assert.equal(await code(dir.groupMappings.set(owner, { provider: 'corp', group: 'admins' }, 'admin')), 'DENIED');
    assert.equal(await code(dir.groupMappings.list(owner)), 'DENIED');
    await dir.groupMappings.set(SYSTEM, { provider: 'sso', group: 'admins' }, 'admin');
    const all = await dir.groupMappings.list(SYSTEM);
    assert.deepEqual(all.map((x) => `${x.provider}:${x.group}:${x.project}:${x.role}`), ['corp:developers:team:maintainer', 'sso:admins:null:admin']);
  });

  it('removes a mapping, and says so when there is none', async () => {
    await dir.groupMappings.remove(owner, { provider: 'corp', group: 'developers', project: 'team' });
    assert.deepEqual(await dir.groupMappings.list(owner, 'team'), []);
    await assert.rejects(dir.groupMappings.remove(owner, { provider: 'corp', group: 'developers', project: 'team' }), /no mapping of group developers of provider corp in project team/);
    await dir.groupMappings.remove(SYSTEM, { provider: 'sso', group: 'admins' });
    assert.deepEqual(await dir.groupMappings.list(SYSTEM), []);
  });

  it('a project removal takes its mappings with it', async () => {
    await dir.projects.create(owner, 'gone', 'private');
    await dir.groupMappings.set(owner, { provider: 'corp', group: 'g', project: 'gone' }, 'guest');
    await dir.projects.remove(owner, 'gone');
    assert.deepEqual(await dir.groupMappings.list(SYSTEM), []);
  });
});
