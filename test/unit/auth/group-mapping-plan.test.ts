// What a sign-in does to a provider user's memberships (planMappings): mappings add and change the
// memberships they made and remove them when no group maps them, never touch those given by
// hand, and take the strongest role when several groups map one project.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planMappings, strongerRole, type Membership } from '../../../src/auth/external/mappings.ts';

const base = { memberships: [] as Membership[], mappings: [] as { projectId: number | null; role: string }[], isAdmin: false, adminFromMapping: false };

describe('group mapping plan', () => {
  it('adds a membership for each mapped project, with the strongest role of the groups', () => {
    const plan = planMappings({ ...base, mappings: [{ projectId: 7, role: 'guest' }, { projectId: 7, role: 'developer' }, { projectId: 9, role: 'maintainer' }] });
    assert.deepEqual(plan.set, [{ projectId: 7, role: 'developer' }, { projectId: 9, role: 'maintainer' }]);
    assert.deepEqual(plan.remove, []);
    assert.equal(plan.admin, undefined);
  });

  it('changes a mapped membership whose role changed, and leaves an equal one', () => {
    const plan = planMappings({
      ...base,
      memberships: [{ projectId: 7, role: 'developer', mapped: true }, { projectId: 9, role: 'guest', mapped: true }],
      mappings: [{ projectId: 7, role: 'guest' }, { projectId: 9, role: 'guest' }],
    });
    assert.deepEqual(plan.set, [{ projectId: 7, role: 'guest' }]);
    assert.deepEqual(plan.remove, []);
  });

  it('removes a mapped membership no group maps any more', () => {
    const plan = planMappings({ ...base, memberships: [{ projectId: 7, role: 'developer', mapped: true }] });
    assert.deepEqual(plan.remove, [7]);
  });

  it('never touches a membership given by hand, whatever the mappings say', () => {
    const manual: Membership[] = [{ projectId: 7, role: 'guest', mapped: false }, { projectId: 3, role: 'owner', mapped: false }];
    assert.deepEqual(planMappings({ ...base, memberships: manual, mappings: [{ projectId: 7, role: 'owner' }] }), { set: [], remove: [] });
    assert.deepEqual(planMappings({ ...base, memberships: manual }), { set: [], remove: [] });
  });

  it('makes a system administrator from an admin mapping, and unmakes only one it made', () => {
    assert.deepEqual(planMappings({ ...base, mappings: [{ projectId: null, role: 'admin' }] }).admin, { admin: true, fromMapping: true });
    assert.equal(planMappings({ ...base, isAdmin: true, mappings: [{ projectId: null, role: 'admin' }] }).admin, undefined, 'already an administrator');
    assert.deepEqual(planMappings({ ...base, isAdmin: true, adminFromMapping: true }).admin, { admin: false, fromMapping: false });
    assert.equal(planMappings({ ...base, isAdmin: true, adminFromMapping: false }).admin, undefined, 'made administrator by hand: stays');
  });

  it('ignores roles it does not know', () => {
    assert.deepEqual(planMappings({ ...base, mappings: [{ projectId: 7, role: 'superuser' }, { projectId: null, role: 'developer' }] }), { set: [], remove: [] });
  });

  it('orders roles owner > maintainer > developer > guest', () => {
    assert.equal(strongerRole('guest', 'owner'), 'owner');
    assert.equal(strongerRole('maintainer', 'developer'), 'maintainer');
    assert.equal(strongerRole('developer', 'guest'), 'developer');
  });
});
