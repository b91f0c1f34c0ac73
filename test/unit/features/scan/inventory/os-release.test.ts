// os-release parsing: quoting rules of os-release(5), and the fields Berth keeps.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseOsRelease, parseOsReleaseFields } from '../../../../../src/features/scan/inventory/os-release.ts';

describe('parseOsRelease', () => {
  it('reads this machine\'s os-release (Debian 12)', () => {
    const os = parseOsRelease(readFileSync('/etc/os-release'));
    assert.equal(os?.id, 'debian');
    assert.equal(os?.versionId, '12');
    assert.equal(os?.codename, 'bookworm');
  });

  it('reads Alpine, RHEL-style and Debian testing files; quotes and escapes', () => {
    assert.deepEqual(parseOsRelease('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n'), { id: 'alpine', versionId: '3.19.1', prettyName: 'Alpine Linux v3.19' });
    assert.deepEqual(parseOsRelease("ID='rhel'\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.4\"\n"), { id: 'rhel', versionId: '9.4' });
    assert.deepEqual(parseOsRelease('PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\nVERSION_CODENAME=trixie\n'), { id: 'debian', versionId: '', codename: 'trixie', prettyName: 'Debian GNU/Linux trixie/sid' });
    assert.equal(parseOsReleaseFields('X="a \\"b\\" \\$c"\n# ID=no\n  Y = z\n').get('X'), 'a "b" $c');
    assert.equal(parseOsRelease('NAME=nothing\n'), undefined);
  });
});
