import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../../src/core/errors.ts';
import {
  DEFAULT_DOMAIN,
  DEFAULT_TAG,
  OFFICIAL_PROJECT,
  ReferenceError,
  canonicalRepositoryName,
  familiarName,
  formatReference,
  isValidRepositoryName,
  isValidTag,
  normalize,
  parseNormalizedReference,
  parseReference,
  projectOf,
} from '../../../src/core/reference.ts';
import type { Reference } from '../../../src/core/reference.ts';

const D256 = `sha256:${'ab'.repeat(32)}`;
const D512 = `sha512:${'0f'.repeat(64)}`;
const HEX64 = 'c'.repeat(64);
// 'docker.io/library/' is not counted: the 255 limit is on the repository path, 'library/...' here.
const LONGEST_SINGLE = 'a'.repeat(255 - 'library/'.length);

test('constants', () => {
  assert.equal(DEFAULT_DOMAIN, 'docker.io');
  assert.equal(OFFICIAL_PROJECT, 'library');
  assert.equal(DEFAULT_TAG, 'latest');
});

// [input, normalized]
const normalizeCases: [string, string][] = [
  ['nginx', 'docker.io/library/nginx:latest'],
  ['nginx:1.25-alpine', 'docker.io/library/nginx:1.25-alpine'],
  ['user/app', 'docker.io/user/app:latest'],
  ['user/app:v1', 'docker.io/user/app:v1'],
  ['library/nginx', 'docker.io/library/nginx:latest'],
  ['docker.io/nginx', 'docker.io/library/nginx:latest'],
  ['docker.io/library/nginx:latest', 'docker.io/library/nginx:latest'],
  ['index.docker.io/nginx', 'docker.io/library/nginx:latest'],
  ['index.docker.io/user/app:v2', 'docker.io/user/app:v2'],
  ['team/sub/deep/app', 'docker.io/team/sub/deep/app:latest'],
  ['team/a.b-c_d__e---f', 'docker.io/team/a.b-c_d__e---f:latest'],
  [`localhost:5000/a/b@${D256}`, `localhost:5000/a/b@${D256}`],
  ['localhost/foo', 'localhost/foo:latest'],
  ['localhost:5000', 'docker.io/library/localhost:5000'], // Docker reads the port as a tag here
  ['example.com/app', 'example.com/app:latest'], // no library/ on other registries
  ['example.com:443/team/app:v2', 'example.com:443/team/app:v2'],
  ['127.0.0.1:5000/foo', '127.0.0.1:5000/foo:latest'],
  ['[::1]:5000/foo', '[::1]:5000/foo:latest'],
  ['[2001:db8::1]/foo:tag', '[2001:db8::1]/foo:tag'],
  ['Registry/foo', 'Registry/foo:latest'], // an uppercase first component can only be a host
  ['my-registry.internal:8443/x/y', 'my-registry.internal:8443/x/y:latest'],
  [`nginx@${D256}`, `docker.io/library/nginx@${D256}`],
  [`nginx:1.25@${D256}`, `docker.io/library/nginx:1.25@${D256}`],
  [`user/app@${D512}`, `docker.io/user/app@${D512}`],
  [`${HEX64}:tag`, `docker.io/library/${HEX64}:tag`], // only the bare 64-hex string is refused
  [`nginx:${'t'.repeat(128)}`, `docker.io/library/nginx:${'t'.repeat(128)}`],
  [LONGEST_SINGLE, `docker.io/library/${LONGEST_SINGLE}:latest`],
];
for (const [input, expected] of normalizeCases) {
  test(`normalize ${input.slice(0, 60)}`, () => {
    assert.equal(normalize(input), expected);
    assert.equal(normalize(expected), expected, 'normalizing is idempotent');
  });
}

// [input, strict parse]
const parseCases: [string, Reference][] = [
  ['nginx', { domain: '', path: 'nginx' }],
  ['user/app:v1', { domain: '', path: 'user/app', tag: 'v1' }],
  ['docker.io/nginx', { domain: 'docker.io', path: 'nginx' }],
  ['index.docker.io/nginx', { domain: 'index.docker.io', path: 'nginx' }],
  [`localhost:5000/a/b@${D256}`, { domain: 'localhost:5000', path: 'a/b', digest: D256 }],
  ['[::1]:5000/foo:bar', { domain: '[::1]:5000', path: 'foo', tag: 'bar' }],
  [`a:b@${D256}`, { domain: '', path: 'a', tag: 'b', digest: D256 }],
  ['localhost', { domain: '', path: 'localhost' }],
  ['localhost:5000', { domain: '', path: 'localhost', tag: '5000' }],
  [HEX64, { domain: '', path: HEX64 }], // the strict grammar allows it; normalization does not
];
for (const [input, expected] of parseCases) {
  test(`parseReference ${input.slice(0, 60)}`, () => {
    assert.deepEqual(parseReference(input), expected);
  });
}

// [input, normalized parse]
const parseNormalizedCases: [string, Reference][] = [
  ['nginx', { domain: 'docker.io', path: 'library/nginx', tag: 'latest' }],
  [`nginx@${D256}`, { domain: 'docker.io', path: 'library/nginx', digest: D256 }],
  [`user/app:1@${D256}`, { domain: 'docker.io', path: 'user/app', tag: '1', digest: D256 }],
  ['[::1]:5000/foo', { domain: '[::1]:5000', path: 'foo', tag: 'latest' }],
];
for (const [input, expected] of parseNormalizedCases) {
  test(`parseNormalizedReference ${input.slice(0, 60)}`, () => {
    assert.deepEqual(parseNormalizedReference(input), expected);
  });
}

// [input, what the message must say]; each is refused by the strict and the normalizing parsers.
const invalidCases: [string, RegExp][] = [
  ['', /empty reference/],
  ['UPPER', /must be lowercase/],
  ['docker.io/Nginx', /must be lowercase/],
  ['a//b', /empty path component/],
  ['a/', /empty path component/],
  ['a/../b', /invalid path component "\.\."/],
  ['../b', /invalid registry domain/],
  ['-a', /invalid path component "-a"/],
  ['a-', /invalid path component/],
  ['a..b', /invalid path component/],
  ['a___b', /invalid path component/],
  ['a/-b', /invalid path component/],
  ['a b', /invalid path component/],
  ['%2e%2e/foo', /invalid path component "%2e%2e"/],
  ['a/%2e%2e/b', /invalid path component "%2e%2e"/],
  ['a:', /missing tag/],
  [':tag', /missing repository name/],
  ['example.com/', /empty path component|missing repository name/],
  ['a:-tag', /invalid tag "-tag"/],
  ['a:.tag', /invalid tag/],
  ['a:tag!', /invalid tag/],
  ['a:b:c', /invalid tag "b:c"/],
  [`a:${'t'.repeat(129)}`, /invalid tag/],
  ['a@', /missing digest/],
  ['a@sha256:short', /invalid digest "sha256:short"/],
  [`a@sha256:${'AB'.repeat(32)}`, /invalid digest/],
  [`a@md5:${'ab'.repeat(16)}`, /invalid digest/],
  [`a@sha512:${'ab'.repeat(32)}`, /invalid digest/],
  [`a@${D256}@x`, /invalid digest/],
  [`a@${D256}:tag`, /invalid digest/],
  ['localhost:port/a', /invalid registry domain "localhost:port"/],
  ['example.com:/a', /invalid registry domain/],
  [':5000/a', /invalid registry domain/],
  ['exa_mple.com/foo', /invalid registry domain/],
  ['-example.com/foo', /invalid registry domain/],
  ['[::1/foo', /invalid registry domain/],
  ['[fe80::1%eth0]/foo', /invalid registry domain/],
  ['a'.repeat(256), /longer than 255/],
  [`example.com/${'a'.repeat(256)}`, /longer than 255/],
];
for (const [input, message] of invalidCases) {
  test(`invalid reference ${JSON.stringify(input.slice(0, 60))}`, () => {
    for (const parse of [parseReference, parseNormalizedReference, normalize, familiarName]) {
      assert.throws(() => parse(input), (e: unknown) => {
        assert.ok(e instanceof ReferenceError, `${parse.name} throws the module's ReferenceError`);
        assert.ok(!(e instanceof globalThis.ReferenceError), 'not the built-in ReferenceError');
        assert.match(e.message, message);
        return true;
      }, `${parse.name}(${JSON.stringify(input.slice(0, 60))}) must throw`);
    }
  });
}

// Valid for the strict grammar, refused once normalized.
const invalidOnlyNormalized: [string, RegExp][] = [
  [HEX64, /64-character hexadecimal/],
  ['a'.repeat(LONGEST_SINGLE.length + 1), /longer than 255 characters once normalized/],
  [`docker.io/${'a'.repeat(250)}`, /once normalized/],
];
for (const [input, message] of invalidOnlyNormalized) {
  test(`invalid only when normalized ${input.slice(0, 40)}`, () => {
    assert.equal(parseReference(input).path.length > 0, true);
    assert.throws(() => normalize(input), (e: unknown) => e instanceof ReferenceError && message.test(e.message));
    assert.throws(() => parseNormalizedReference(input), ReferenceError);
  });
}

// [any form, familiar form]
const familiarCases: [string, string][] = [
  ['docker.io/library/nginx:latest', 'nginx:latest'],
  ['docker.io/library/nginx', 'nginx'],
  ['nginx', 'nginx'],
  ['index.docker.io/library/nginx:latest', 'nginx:latest'],
  ['docker.io/user/app:v1', 'user/app:v1'],
  ['docker.io/library/a/b', 'library/a/b'], // nested under library/: the prefix stays
  [`docker.io/library/nginx:1@${D256}`, `nginx:1@${D256}`],
  [`localhost:5000/a/b@${D256}`, `localhost:5000/a/b@${D256}`],
  ['example.com/library/nginx:1', 'example.com/library/nginx:1'], // library/ is only dropped on docker.io
  ['[::1]:5000/foo:bar', '[::1]:5000/foo:bar'],
];
for (const [input, expected] of familiarCases) {
  test(`familiarName ${input.slice(0, 60)}`, () => {
    assert.equal(familiarName(input), expected);
    assert.equal(normalize(familiarName(input)), normalize(input), 'the familiar form names the same thing');
  });
}

// Round trips: [familiar form with a tag or digest, normalized]; each converts into the other.
const roundTrips: [string, string][] = [
  ['nginx:latest', 'docker.io/library/nginx:latest'],
  ['nginx:1.25', 'docker.io/library/nginx:1.25'],
  ['user/app:v1', 'docker.io/user/app:v1'],
  [`nginx@${D256}`, `docker.io/library/nginx@${D256}`],
  [`user/app:1@${D512}`, `docker.io/user/app:1@${D512}`],
  ['library/a/b:x', 'docker.io/library/a/b:x'],
  ['quay.io/org/app:3', 'quay.io/org/app:3'],
  [`localhost:5000/a/b@${D256}`, `localhost:5000/a/b@${D256}`],
];
for (const [familiar, full] of roundTrips) {
  test(`round trip ${familiar.slice(0, 60)}`, () => {
    assert.equal(normalize(familiar), full);
    assert.equal(familiarName(full), familiar);
    assert.equal(familiarName(normalize(familiar)), familiar);
  });
}

test('formatReference', () => {
  assert.equal(formatReference({ domain: '', path: 'nginx' }), 'nginx');
  assert.equal(formatReference({ domain: 'docker.io', path: 'library/nginx', tag: 'latest' }), 'docker.io/library/nginx:latest');
  assert.equal(formatReference({ domain: '[::1]:5000', path: 'a', tag: 't', digest: D256 }), `[::1]:5000/a:t@${D256}`);
  assert.equal(formatReference({ domain: 'h', path: 'p', digest: D256 }), `h/p@${D256}`);
});

// [tag, valid]
const tagCases: [string, boolean][] = [
  ['latest', true],
  ['v1.0.0-rc.1', true],
  ['_x', true],
  ['A', true],
  ['sha256-abc.sig', true],
  ['t'.repeat(128), true],
  ['', false],
  ['-x', false],
  ['.x', false],
  ['t'.repeat(129), false],
  ['a:b', false],
  ['a/b', false],
  ['tag!', false],
  ['tag\n', false],
  ['é', false],
];
for (const [tag, valid] of tagCases) {
  test(`isValidTag ${JSON.stringify(tag.slice(0, 30))} is ${valid}`, () => {
    assert.equal(isValidTag(tag), valid);
  });
}

// [name, valid]
const repositoryNameCases: [string, boolean][] = [
  ['nginx', true],
  ['library/nginx', true],
  ['a/b/c/d', true],
  ['a.b_c__d-e--f', true],
  ['docker.io/nginx', true], // a dotted component is fine inside Berth
  [HEX64, true],
  ['a'.repeat(255), true],
  ['a'.repeat(256), false],
  [`${'ab/'.repeat(84)}abc`, true], // 255 characters with slashes
  [`${'ab/'.repeat(84)}abcd`, false],
  ['', false],
  ['UPPER', false],
  ['a//b', false],
  ['/a', false],
  ['a/', false],
  ['a/../b', false],
  ['%2e%2e', false],
  ['a%2fb', false],
  ['-a', false],
  ['a___b', false],
  ['a:tag', false],
  ['localhost:5000/a', false],
  ['a\n', false],
];
for (const [name, valid] of repositoryNameCases) {
  test(`isValidRepositoryName ${JSON.stringify(name.slice(0, 40))} is ${valid}`, () => {
    assert.equal(isValidRepositoryName(name), valid);
  });
}

// [name, canonical]
const canonicalCases: [string, string][] = [
  ['nginx', 'library/nginx'],
  ['library/nginx', 'library/nginx'],
  ['team/app', 'team/app'],
  ['team/sub/app', 'team/sub/app'],
  [LONGEST_SINGLE, `library/${LONGEST_SINGLE}`],
];
for (const [name, canonical] of canonicalCases) {
  test(`canonicalRepositoryName ${name.slice(0, 40)}`, () => {
    assert.equal(canonicalRepositoryName(name), canonical);
  });
}

const canonicalInvalid = ['', 'UPPER', 'a//b', '/a', 'a/', 'a/../b', '%2e%2e', 'a:tag', 'localhost:5000/a', 'a'.repeat(256), 'a'.repeat(LONGEST_SINGLE.length + 1)];
for (const name of canonicalInvalid) {
  test(`canonicalRepositoryName refuses ${JSON.stringify(name.slice(0, 40))}`, () => {
    assert.throws(() => canonicalRepositoryName(name), (e: unknown) => {
      assert.ok(e instanceof RegistryError);
      assert.equal(e.code, 'NAME_INVALID');
      assert.equal(e.status, 400);
      assert.deepEqual(e.detail, { name });
      assert.match(e.message, /^invalid repository name/);
      return true;
    });
  });
}

// [canonical name, project]
const projectCases: [string, string][] = [
  ['library/nginx', 'library'],
  ['team/app', 'team'],
  ['team/sub/app', 'team'],
  ['nginx', 'library'],
];
for (const [name, project] of projectCases) {
  test(`projectOf ${name}`, () => {
    assert.equal(projectOf(name), project);
  });
}
