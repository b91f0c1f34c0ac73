// Which files the layer reader selects, and with which limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { couldHoldFinding, READ_LIMITS, selectFile } from '../../../../../src/features/scan/inventory/select.ts';

const file = (path: string, mode = 0o644, size = 100) => ({ path, type: 'file' as const, mode, size });
const kindOf = (path: string, mode?: number, size?: number): string | undefined => {
  const s = selectFile(file(path, mode, size));
  return s ? `${s.action}:${s.kind}` : undefined;
};

describe('selectFile', () => {
  it('selects package databases and metadata by path', () => {
    const cases: [string, string | undefined][] = [
      ['etc/os-release', 'read:os-release'],
      ['usr/lib/os-release', 'read:os-release'],
      ['var/lib/dpkg/status', 'read:dpkg-status'],
      ['var/lib/dpkg/status-old', undefined],
      ['var/lib/dpkg/status.d/libssl3', 'read:dpkg-status-d'],
      ['var/lib/dpkg/status.d/libssl3.md5sums', undefined],
      ['var/lib/dpkg/status.d/sub/x', undefined],
      ['lib/apk/db/installed', 'read:apk-installed'],
      ['var/lib/rpm/rpmdb.sqlite', 'read:rpmdb-sqlite'],
      ['usr/lib/sysimage/rpm/rpmdb.sqlite', 'read:rpmdb-sqlite'],
      ['var/lib/rpm/Packages', 'unsupported:rpmdb-sqlite'],
      ['app/package-lock.json', 'read:npm-lock'],
      ['package-lock.json', 'read:npm-lock'],
      ['app/npm-shrinkwrap.json', 'read:npm-lock'],
      ['app/node_modules/x/package-lock.json', undefined],
      ['app/node_modules/.package-lock.json', undefined],
      ['app/node_modules/lodash/package.json', 'read:npm-package'],
      ['node_modules/@types/node/package.json', 'read:npm-package'],
      ['app/node_modules/a/node_modules/b/package.json', 'read:npm-package'],
      ['app/node_modules/lodash/fp/package.json', undefined],
      ['app/node_modules/@scope/package.json', undefined],
      ['app/package.json', undefined],
      ['usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA', 'read:python-metadata'],
      ['usr/lib/python3/dist-packages/PyJWT-2.6.0.egg-info', 'read:python-metadata'],
      ['usr/lib/python3/dist-packages/x.egg-info/PKG-INFO', 'read:python-metadata'],
      ['usr/lib/python3/dist-packages/x.egg/EGG-INFO/PKG-INFO', 'read:python-metadata'],
      ['usr/lib/python3/dist-packages/x.dist-info/RECORD', undefined],
      ['usr/share/doc/readme', undefined],
    ];
    for (const [p, want] of cases) assert.equal(kindOf(p), want, p);
  });

  it('stream-scans executables and files in bin folders of at least 1 KiB, nothing else', () => {
    assert.equal(kindOf('usr/bin/skopeo', 0o755, 16_000_000), 'stream-scan:go-binary');
    assert.equal(kindOf('app/server', 0o700, 5000), 'stream-scan:go-binary');
    assert.equal(kindOf('usr/local/bin/tool', 0o644, 5000), 'stream-scan:go-binary');
    assert.equal(kindOf('sbin/init', 0o644, 5000), 'stream-scan:go-binary');
    assert.equal(kindOf('usr/bin/tiny.sh', 0o755, 100), undefined);
    assert.equal(kindOf('usr/lib/libc.so.6', 0o644, 2_000_000), undefined);
    assert.equal(selectFile({ path: 'usr/bin/x', type: 'symlink', mode: 0o777, size: 0 }), undefined);
  });

  it('limits: dpkg status 64 MiB, package.json 1 MiB', () => {
    const s = selectFile(file('var/lib/dpkg/status'));
    assert.equal(s?.action === 'read' && s.max, 64 * 1024 * 1024);
    assert.equal(READ_LIMITS['npm-package'], 1024 * 1024);
  });

  it('couldHoldFinding: database paths and bin folders', () => {
    assert.equal(couldHoldFinding('etc/os-release'), true);
    assert.equal(couldHoldFinding('usr/bin/app'), true);
    assert.equal(couldHoldFinding('usr/share/zoneinfo/UTC'), false);
  });
});
