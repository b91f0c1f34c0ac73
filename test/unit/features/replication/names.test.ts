// The target's names with and without a destination prefix (names.ts, pure).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryError } from '../../../../src/core/errors.ts';
import { prefixProblem, targetRepository } from '../../../../src/features/replication/names.ts';

test('without a prefix a push keeps the name and a pull canonicalises it', () => {
  assert.equal(targetRepository('team/app', 'push'), 'team/app');
  assert.equal(targetRepository('app', 'pull'), 'library/app');
  assert.equal(targetRepository('vendor/lib', 'pull'), 'vendor/lib');
});

test('a prefix replaces the first path component (Harbor: flatten 1 level)', () => {
  assert.equal(targetRepository('team/app', 'push', 'prod'), 'prod/app');
  assert.equal(targetRepository('team/app/api', 'push', 'prod'), 'prod/app/api');
  assert.equal(targetRepository('library/nginx', 'push', 'mirror/hub'), 'mirror/hub/nginx');
  assert.equal(targetRepository('nginx', 'pull', 'imported'), 'imported/nginx');
  assert.equal(targetRepository('vendor/lib', 'pull', 'imported'), 'imported/lib');
});

test('a mapped name that breaks the naming rules is NAME_INVALID', () => {
  assert.throws(() => targetRepository(`team/${'a'.repeat(240)}`, 'push', 'p'.repeat(30)), (e: unknown) => e instanceof RegistryError && e.code === 'NAME_INVALID');
});

test('prefixes that are not repository paths are refused', () => {
  for (const p of ['prod', 'mirror/hub', 'a.b_c-d']) assert.equal(prefixProblem(p), undefined, p);
  for (const p of ['', 'Prod', '/prod', 'prod/', 'a//b', 'sp ace', '-lead']) assert.ok(prefixProblem(p), `${JSON.stringify(p)} is refused`);
});
