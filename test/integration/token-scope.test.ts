// A bearer token that lacks a grant its holder could get is answered 401 insufficient_scope,
// naming the scope, so the client fetches a new token; an anonymous token too. containers/image
// (podman search's catalog listing) first asks /auth/token for no scope at all, then lists
// /v2/_catalog, and retries with the challenged scope only on that error.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BerthProcess } from '../helpers/berth-process.ts';
import { ADMIN, addUser, basic, call, expectStatus, startApiServer } from './api-helpers.ts';
import { pushTinyImage } from './search-helpers.ts';

describe('anonymous bearer tokens and insufficient_scope', () => {
  let server: BerthProcess;
  const token = async (query: string, auth?: string) => {
    const res = await fetch(`${server.url}/auth/token?${query}`, { headers: auth ? { authorization: auth } : {} });
    assert.equal(res.status, 200);
    return `Bearer ${((await res.json()) as { token: string }).token}`;
  };
  before(async () => {
    server = await startApiServer();
    await addUser(server, 'tess');
    expectStatus(await call(server, 'POST', '/projects', { as: ADMIN, body: { name: 'priv', visibility: 'private' } }), 201);
    await pushTinyImage(server.url, 'library/open', 'v1', basic(ADMIN));
    await pushTinyImage(server.url, 'priv/app', 'v1', basic(ADMIN));
  });
  after(async () => { await server?.stop(); });

  it('an anonymous token without scope: the catalog answers insufficient_scope, and the challenged token lists it', async () => {
    const bare = await token('service=berth');
    const res = await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: bare } });
    assert.equal(res.status, 401, await res.text());
    const challenge = res.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /scope="registry:catalog:\*"/);
    assert.match(challenge, /error="insufficient_scope"/);
    const listed = await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: await token('service=berth&scope=registry:catalog:*') } });
    assert.equal(listed.status, 200);
    assert.deepEqual(((await listed.json()) as { repositories: string[] }).repositories, ['open']);
  });

  it('an anonymous token: a public pull it lacks is insufficient_scope; a private one is a plain 401 (nothing to obtain)', async () => {
    const bare = await token('service=berth');
    const open = await fetch(`${server.url}/v2/library/open/tags/list`, { headers: { authorization: bare } });
    assert.equal(open.status, 401);
    assert.match(open.headers.get('www-authenticate') ?? '', /scope="repository:library\/open:pull",error="insufficient_scope"/);
    const priv = await fetch(`${server.url}/v2/priv/app/tags/list`, { headers: { authorization: bare } });
    assert.equal(priv.status, 401);
    assert.doesNotMatch(priv.headers.get('www-authenticate') ?? '', /insufficient_scope/, 'an anonymous caller cannot obtain a private pull');
    // Nor can the anonymous token push anywhere.
    const push = await fetch(`${server.url}/v2/library/open/blobs/uploads/`, { method: 'POST', headers: { authorization: bare } });
    assert.equal(push.status, 401);
    assert.doesNotMatch(push.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  });

  it('a signed-in token without scope is insufficient_scope for what the account may do, 403 otherwise', async () => {
    const bare = await token('service=berth', basic(['tess', 'tess-password']));
    const catalog = await fetch(`${server.url}/v2/_catalog`, { headers: { authorization: bare } });
    assert.equal(catalog.status, 401);
    assert.match(catalog.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    const priv = await fetch(`${server.url}/v2/priv/app/tags/list`, { headers: { authorization: bare } });
    assert.equal(priv.status, 403);
  });
});
