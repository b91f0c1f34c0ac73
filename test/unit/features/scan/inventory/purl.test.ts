// Package URLs: encoding rules of the purl spec and each ecosystem's form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { distroQualifier, formatPurl, purlEncode, purlFor } from '../../../../../src/features/scan/inventory/purl.ts';
import type { OsRelease, RawPackage } from '../../../../../src/features/scan/inventory/types.ts';

const debian: OsRelease = { id: 'debian', versionId: '12', codename: 'bookworm' };
const alpine: OsRelease = { id: 'alpine', versionId: '3.19.1' };
const rhel: OsRelease = { id: 'rhel', versionId: '9.4' };
const pkg = (p: Partial<RawPackage> & Pick<RawPackage, 'name' | 'version' | 'type'>): RawPackage => ({ location: 'x', ...p });

describe('purl', () => {
  it('percent-encodes everything but A-Z a-z 0-9 . - _ ~ and the colon', () => {
    assert.equal(purlEncode('1:2.38.1-5+b1'), '1:2.38.1-5%2Bb1');
    assert.equal(purlEncode("a b/c@d?e#f!'()*~"), "a%20b%2Fc%40d%3Fe%23f%21%27%28%29%2A~");
    assert.equal(purlEncode('ü'), '%C3%BC');
  });

  it('formats components, sorts qualifiers, drops empty ones', () => {
    assert.equal(formatPurl({ type: 'GENERIC', namespace: 'a/b c', name: 'n', version: '1', qualifiers: { z: '1', a: 'x y', e: '', u: undefined }, subpath: 'p/q' }), 'pkg:generic/a/b%20c/n@1?a=x%20y&z=1#p/q');
  });

  it('deb: vendor namespace, arch and distro qualifiers; epochs stay in the version', () => {
    assert.equal(purlFor(pkg({ name: 'bsdutils', version: '1:2.38.1-5+b1', type: 'deb', arch: 'amd64' }), debian), 'pkg:deb/debian/bsdutils@1:2.38.1-5%2Bb1?arch=amd64&distro=debian-12');
    assert.equal(purlFor(pkg({ name: 'libc6', version: '2.35-0ubuntu3', type: 'deb', arch: 'amd64' }), { id: 'ubuntu', versionId: '22.04' }), 'pkg:deb/ubuntu/libc6@2.35-0ubuntu3?arch=amd64&distro=ubuntu-22.04');
    assert.equal(purlFor(pkg({ name: 'x', version: '1', type: 'deb' })), 'pkg:deb/debian/x@1');
  });

  it('apk: distro cut to major.minor', () => {
    assert.equal(purlFor(pkg({ name: 'musl', version: '1.2.4-r2', type: 'apk', arch: 'x86_64' }), alpine), 'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19');
  });

  it('rpm: the epoch is a qualifier (purl spec), the version is version-release', () => {
    assert.equal(purlFor(pkg({ name: 'openssl-libs', version: '1:3.0.7-27.el9', type: 'rpm', arch: 'x86_64' }), rhel), 'pkg:rpm/rhel/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1');
    assert.equal(purlFor(pkg({ name: 'bash', version: '5.1.8-9.el9', type: 'rpm', arch: 'x86_64' }), rhel), 'pkg:rpm/rhel/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.4');
  });

  it('npm scope as an encoded namespace; pypi normalised; golang module path; maven group', () => {
    assert.equal(purlFor(pkg({ name: '@angular/animation', version: '12.3.1', type: 'npm' })), 'pkg:npm/%40angular/animation@12.3.1');
    assert.equal(purlFor(pkg({ name: 'left-pad', version: '1.3.0', type: 'npm' }), debian), 'pkg:npm/left-pad@1.3.0');
    assert.equal(purlFor(pkg({ name: 'Django_REST.framework', version: '3.14.0', type: 'pypi' })), 'pkg:pypi/django-rest-framework@3.14.0');
    assert.equal(purlFor(pkg({ name: 'github.com/BurntSushi/toml', version: 'v1.3.2', type: 'golang' })), 'pkg:golang/github.com/BurntSushi/toml@v1.3.2');
    assert.equal(purlFor(pkg({ name: 'stdlib', version: 'v1.19.8', type: 'golang' })), 'pkg:golang/stdlib@v1.19.8');
    assert.equal(purlFor(pkg({ name: 'org.apache.logging.log4j:log4j-core', version: '2.14.1', type: 'maven' })), 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1');
  });

  it('distro qualifier forms', () => {
    assert.equal(distroQualifier(debian), 'debian-12');
    assert.equal(distroQualifier({ id: 'debian', versionId: '', codename: 'trixie' }), 'debian-trixie');
    assert.equal(distroQualifier(undefined), undefined);
  });
});
