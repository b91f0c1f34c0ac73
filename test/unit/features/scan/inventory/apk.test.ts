// The apk installed-db parser, on a database in Alpine's format (P:, V:, A:, o:, L:, file lists).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseApkInstalled } from '../../../../../src/features/scan/inventory/apk.ts';

const DB = `C:Q1kBMY3K9hNG8k1NRFQCJ6l7xwYxQ=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407859
I:667648
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1703256213
c:fd3cf8bb1e8f3e5c6dc66e4d1a7f3a9a0b2d7f6e
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1S6N9pKkB0x3Cg0dPG2u4lDK9n5o=

P:libcrypto3
V:3.1.4-r2
A:x86_64
L:Apache-2.0
o:openssl
F:usr/lib
R:libcrypto.so.3

P:broken-no-version
A:x86_64

P:busybox-binsh
V:1.36.1-r15
A:x86_64
L:GPL-2.0-only
o:busybox
`;

describe('parseApkInstalled', () => {
  it('reads name, version, arch, origin (as the source) and license of each record', () => {
    assert.deepEqual(parseApkInstalled(Buffer.from(DB), 'lib/apk/db/installed'), [
      { name: 'musl', version: '1.2.4_git20230717-r4', type: 'apk', location: 'lib/apk/db/installed', arch: 'x86_64', licenses: ['MIT'] },
      { name: 'libcrypto3', version: '3.1.4-r2', type: 'apk', location: 'lib/apk/db/installed', arch: 'x86_64', source: { name: 'openssl', version: '3.1.4-r2' }, licenses: ['Apache-2.0'] },
      { name: 'busybox-binsh', version: '1.36.1-r15', type: 'apk', location: 'lib/apk/db/installed', arch: 'x86_64', source: { name: 'busybox', version: '1.36.1-r15' }, licenses: ['GPL-2.0-only'] },
    ]);
  });

  it('handles CRLF, a missing final newline and an empty database', () => {
    assert.deepEqual(parseApkInstalled('P:a\r\nV:1\r\n\r\nP:b\r\nV:2', 'x').map((p) => `${p.name}=${p.version}`), ['a=1', 'b=2']);
    assert.deepEqual(parseApkInstalled('', 'x'), []);
  });
});
