// npm lock files (v1, v2, v3) and installed package.json files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NpmParseError, parseNpmLock, parseNpmPackageJson } from '../../../../../src/features/scan/inventory/npm.ts';

const V3 = {
  name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { lodash: '4.17.20' } },
    'node_modules/lodash': { version: '4.17.20', resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz', license: 'MIT' },
    'node_modules/@babel/core': { version: '7.23.0', dev: true },
    'node_modules/@babel/core/node_modules/semver': { version: '6.3.1', license: 'ISC' },
    'node_modules/aliased': { name: 'left-pad', version: '1.3.0' },
    'node_modules/local': { resolved: 'packages/local', link: true },
    'packages/local': { name: 'local', version: '0.0.1' },
    'node_modules/noversion': {},
  },
};

describe('parseNpmLock', () => {
  it('v3: packages keyed by path; root, links, workspace folders and version-less entries skipped', () => {
    assert.deepEqual(parseNpmLock(JSON.stringify(V3), 'srv/app/package-lock.json'), [
      { name: 'lodash', version: '4.17.20', type: 'npm', location: 'srv/app/package-lock.json', installedAt: 'srv/app/node_modules/lodash', licenses: ['MIT'] },
      { name: '@babel/core', version: '7.23.0', type: 'npm', location: 'srv/app/package-lock.json', installedAt: 'srv/app/node_modules/@babel/core' },
      { name: 'semver', version: '6.3.1', type: 'npm', location: 'srv/app/package-lock.json', installedAt: 'srv/app/node_modules/@babel/core/node_modules/semver', licenses: ['ISC'] },
      { name: 'left-pad', version: '1.3.0', type: 'npm', location: 'srv/app/package-lock.json', installedAt: 'srv/app/node_modules/aliased' },
    ]);
  });

  it('v2: packages win over the v1 dependencies kept for old npm (no duplicates)', () => {
    const v2 = { lockfileVersion: 2, packages: { '': {}, 'node_modules/a': { version: '1.0.0' } }, dependencies: { a: { version: '1.0.0' } } };
    assert.deepEqual(parseNpmLock(JSON.stringify(v2), 'package-lock.json').map((p) => [p.name, p.version, p.installedAt]), [['a', '1.0.0', 'node_modules/a']]);
  });

  it('v1: nested dependencies, npm: aliases, and local/git versions left out', () => {
    const v1 = {
      lockfileVersion: 1,
      dependencies: {
        lodash: { version: '4.17.20' },
        debug: { version: '2.6.9', dependencies: { ms: { version: '2.0.0' } } },
        pad: { version: 'npm:left-pad@1.3.0' },
        mine: { version: 'file:../mine' },
        fromgit: { version: 'git+https://github.com/x/y.git#abc' },
        '@scope/pkg': { version: '1.2.3' },
      },
    };
    assert.deepEqual(parseNpmLock(JSON.stringify(v1), 'npm-shrinkwrap.json').map((p) => `${p.name}@${p.version} ${p.installedAt}`), [
      'lodash@4.17.20 node_modules/lodash',
      'debug@2.6.9 node_modules/debug',
      'ms@2.0.0 node_modules/debug/node_modules/ms',
      'left-pad@1.3.0 node_modules/pad',
      '@scope/pkg@1.2.3 node_modules/@scope/pkg',
    ]);
  });

  it('rejects what is not JSON', () => {
    assert.throws(() => parseNpmLock('{nope', 'package-lock.json'), NpmParseError);
    assert.throws(() => parseNpmLock('[1]', 'package-lock.json'), NpmParseError);
  });
});

describe('parseNpmPackageJson', () => {
  it('name, version and license forms; nothing without a name or version', () => {
    assert.deepEqual(parseNpmPackageJson(Buffer.from('\ufeff{"name":"@types/node","version":"20.1.0","license":"MIT"}'), 'node_modules/@types/node/package.json'), [
      { name: '@types/node', version: '20.1.0', type: 'npm', location: 'node_modules/@types/node/package.json', licenses: ['MIT'] },
    ]);
    assert.deepEqual(parseNpmPackageJson('{"name":"old","version":"1.0.0","license":{"type":"BSD"}}', 'p')[0]?.licenses, ['BSD']);
    assert.deepEqual(parseNpmPackageJson('{"name":"older","version":"1.0.0","licenses":[{"type":"MIT"},{"type":"Apache-2.0"}]}', 'p')[0]?.licenses, ['MIT', 'Apache-2.0']);
    assert.deepEqual(parseNpmPackageJson('{"type":"module"}', 'p'), []);
    assert.deepEqual(parseNpmPackageJson('{"name":"x"}', 'p'), []);
    assert.deepEqual(parseNpmPackageJson('"str"', 'p'), []);
  });
});
