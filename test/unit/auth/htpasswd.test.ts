import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { HtpasswdAccess } from '../../../src/auth/htpasswd.ts';
import type { Authentication } from '../../../src/auth/provider.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-htpasswd-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A bcrypt line as `htpasswd -B` writes it: $2y$ prefix (bcryptjs writes $2b$). */
function line(user: string, password: string): string {
  const hash = bcrypt.hashSync(password, 4);
  assert.match(hash, /^\$2[ab]\$04\$/);
  return `${user}:${hash.replace(/^\$2[ab]\$/, '$2y$')}`;
}

let n = 0;
function htpasswdFile(lines: string[]): string {
  const file = join(dir, `htpasswd-${n++}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The logged-in account name, or undefined for anonymous; fails on a refused login. */
function loggedIn(result: Authentication): string | undefined {
  assert.equal(result.ok, true, result.ok ? '' : result.reason);
  return result.ok ? result.identity?.name : undefined;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const alice = line('alice', 's3cret');
const bob = line('bob', 'hunter2');

describe('HtpasswdAccess', () => {
  it('no Authorization header is anonymous, which may do nothing', async () => {
    const access = new HtpasswdAccess(htpasswdFile([alice]), 'Test');
    const result = await access.authenticate(undefined);
    assert.equal(loggedIn(result), undefined);
    assert.equal(await access.authorize(undefined), false);
    assert.equal(access.loginRequired, true);
    assert.equal(access.mode, 'htpasswd');
  });

  it('the right password gives the identity, which is authorized', async () => {
    const access = new HtpasswdAccess(htpasswdFile([alice, bob]), 'Test');
    const a = await access.authenticate(basic('alice', 's3cret'));
    assert.equal(loggedIn(a), 'alice');
    assert.equal(loggedIn(await access.authenticate(basic('bob', 'hunter2'))), 'bob');
    // In htpasswd mode any logged-in user may pull, push and delete.
    assert.ok(a.ok && a.identity);
    assert.equal(await access.authorize(a.identity), true);
  });

  it('a remembered login still needs the right password', async () => {
    const access = new HtpasswdAccess(htpasswdFile([alice]), 'Test');
    assert.equal((await access.authenticate(basic('alice', 's3cret'))).ok, true);
    assert.equal((await access.authenticate(basic('alice', 's3cret'))).ok, true);
    assert.equal((await access.authenticate(basic('alice', 's3cret!'))).ok, false);
  });

  it('a wrong password, an unknown user or a password of another user is refused', async () => {
    const access = new HtpasswdAccess(htpasswdFile([alice, bob]), 'Test');
    for (const header of [basic('alice', 'wrong'), basic('alice', ''), basic('carol', 's3cret'), basic('bob', 's3cret'), basic('Alice', 's3cret')]) {
      const r = await access.authenticate(header);
      assert.equal(r.ok, false, header);
      assert.ok(!r.ok && /invalid username or password/.test(r.reason));
    }
  });

  it('a malformed or non-Basic header is refused', async () => {
    const access = new HtpasswdAccess(htpasswdFile([alice]), 'Test');
    for (const header of [
      'Bearer abc.def.ghi',
      'Basic',
      'Basic !!!notbase64',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(':s3cret').toString('base64')}`,
      '',
    ]) {
      const r = await access.authenticate(header);
      if (header === '') {
        // An empty header is the same as none.
        assert.equal(loggedIn(r), undefined);
        continue;
      }
      assert.equal(r.ok, false, header);
      assert.ok(!r.ok && /malformed/.test(r.reason), header);
    }
  });

  it('ignores comments, blank lines and non-bcrypt entries', async () => {
    const file = htpasswdFile(['# a comment', '', 'plain:password', `md5:$apr1$abc$def`, '  ', alice]);
    const access = new HtpasswdAccess(file, 'Test');
    assert.equal((await access.authenticate(basic('plain', 'password'))).ok, false);
    assert.equal((await access.authenticate(basic('alice', 's3cret'))).ok, true);
  });

  it('accepts $2a$ and $2b$ hashes too, and CRLF line endings', async () => {
    const b = line('b', 'pw-b').replace('$2y$', '$2b$');
    const a = line('a', 'pw-a').replace('$2y$', '$2a$');
    const file = join(dir, 'crlf');
    writeFileSync(file, `${b}\r\n${a}\r\n`);
    const access = new HtpasswdAccess(file, 'Test');
    assert.equal((await access.authenticate(basic('a', 'pw-a'))).ok, true);
    assert.equal((await access.authenticate(basic('b', 'pw-b'))).ok, true);
  });

  it('picks up file changes (checked at most once a second)', async () => {
    const file = htpasswdFile([alice]);
    const access = new HtpasswdAccess(file, 'Test');
    assert.equal((await access.authenticate(basic('alice', 's3cret'))).ok, true);
    assert.equal((await access.authenticate(basic('bob', 'hunter2'))).ok, false);

    // Replace alice's password and add bob. Move the mtime forward so the change is visible even
    // on a file system with coarse timestamps.
    writeFileSync(file, `${line('alice', 'changed')}\n${bob}\n`);
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    await sleep(1100);

    assert.equal(loggedIn(await access.authenticate(basic('bob', 'hunter2'))), 'bob');
    assert.equal((await access.authenticate(basic('alice', 's3cret'))).ok, false, 'the old password (and its remembered login) no longer works');
    assert.equal(loggedIn(await access.authenticate(basic('alice', 'changed'))), 'alice');

    // Removing a user takes effect too.
    writeFileSync(file, `${line('alice', 'changed')}\n`);
    const later2 = new Date(Date.now() + 10_000);
    utimesSync(file, later2, later2);
    await sleep(1100);
    assert.equal((await access.authenticate(basic('bob', 'hunter2'))).ok, false);
  });

  it('the challenge names the realm, without quotes that would break the header', () => {
    assert.equal(new HtpasswdAccess(htpasswdFile([alice]), 'Berth Registry').challenge(), 'Basic realm="Berth Registry"');
    assert.equal(new HtpasswdAccess(htpasswdFile([alice]), 'My "quoted" realm').challenge(), 'Basic realm="My quoted realm"');
  });

  it('constructing without a file explains how to make one', () => {
    assert.throws(() => new HtpasswdAccess('', 'Test'), /htpasswd -Bbn/);
  });

  it('constructing with a missing file fails', () => {
    assert.throws(() => new HtpasswdAccess(join(dir, 'missing'), 'Test'), /ENOENT/);
  });
});
