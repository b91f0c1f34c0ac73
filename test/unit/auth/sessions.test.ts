// SessionService on an in-memory SQLite with a fake clock: secrets are hashed, the expiry slides
// at most once a minute, expired sessions are refused and removed, disabled and deleted users end
// their sessions, forged secrets are refused without a query, and sign-ins sweep expired rows.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SESSION_TTL_MS, SessionService } from '../../../src/auth/sessions.ts';
import { openMetadata, type MetadataDb } from '../../../src/metadata/db.ts';
import { insertUser, updateUser, deleteUser } from '../../../src/metadata/identity/users.ts';

describe('SessionService', () => {
  let m: MetadataDb;
  let now = 1_700_000_000_000;
  let sessions: SessionService;
  let userId: number;
  before(async () => {
    m = await openMetadata({ dialect: 'sqlite', location: ':memory:' });
    sessions = new SessionService(m.db, () => now);
    userId = await insertUser(m.db, 'sam', 'x', false, now);
  });
  after(async () => { await m?.close(); });

  const row = async (secret: string) => m.db.selectFrom('sessions').selectAll().where('id_hash', '=', createHash('sha256').update(secret).digest('hex')).executeTakeFirst();

  it('stores only the SHA-256 of the secret and resolves it to the user', async () => {
    const { secret, expiresAt } = await sessions.create(userId);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(expiresAt, now + SESSION_TTL_MS);
    assert.ok(await row(secret));
    assert.equal((await m.db.selectFrom('sessions').select('id_hash').where('id_hash', '=', secret).execute()).length, 0);
    const found = await sessions.resolve(secret);
    assert.deepEqual(found, { principal: { kind: 'user', id: userId, name: 'sam', admin: false }, refreshed: false });
  });

  it('slides the expiry at most once a minute; an unused session expires after 12 h and its row goes', async () => {
    const { secret } = await sessions.create(userId);
    now += 30_000;
    assert.equal((await sessions.resolve(secret))?.refreshed, false);
    now += 31_000;
    assert.equal((await sessions.resolve(secret))?.refreshed, true);
    assert.equal(Number((await row(secret))!.expires_at), now + SESSION_TTL_MS);
    now += SESSION_TTL_MS - 1;
    assert.ok(await sessions.resolve(secret), 'still alive one ms before the slid expiry');
    now += SESSION_TTL_MS;
    assert.equal(await sessions.resolve(secret), undefined);
    assert.equal(await row(secret), undefined);
  });

  it('disabled users are anonymous while disabled; deleted users lose their sessions', async () => {
    const { secret } = await sessions.create(userId);
    await updateUser(m.db, userId, { disabled: 1 }, now);
    assert.equal(await sessions.resolve(secret), undefined);
    await updateUser(m.db, userId, { disabled: 0 }, now);
    assert.ok(await sessions.resolve(secret));
    const other = await insertUser(m.db, 'gone', 'x', false, now);
    const s2 = await sessions.create(other);
    await deleteUser(m.db, other);
    assert.equal(await sessions.resolve(s2.secret), undefined);
  });

  it('forged and malformed secrets are refused; destroy ends a session once', async () => {
    for (const forged of ['', 'x', 'A'.repeat(43), `${'A'.repeat(42)}=`, 'A'.repeat(44)]) assert.equal(await sessions.resolve(forged), undefined, forged);
    const { secret } = await sessions.create(userId);
    assert.equal(await sessions.destroy(secret), true);
    assert.equal(await sessions.destroy(secret), false);
    assert.equal(await sessions.resolve(secret), undefined);
  });

  it('a sign-in sweeps expired sessions (at most once an hour)', async () => {
    const stale = await sessions.create(userId);
    now += SESSION_TTL_MS + 1;
    await sessions.create(userId);
    assert.equal(await row(stale.secret), undefined);
    assert.equal(await sessions.purgeExpired(), 0);
  });
});
