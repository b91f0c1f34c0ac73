// Content discovery (distribution-spec v1.1): tag lists and the catalog, sorted lexically, with
// `n`, `last` and a `Link: <...>; rel="next"` header. Distribution 2.8.2 ignores n/last on tags.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  berthOnly, call, expectError, expectStatus, MediaType, nextLink, parseErrors, pushImage, putManifest, repoName,
  startServer, type Server,
} from './helpers.ts';

// Lexical (byte) order: digits sort before letters, "v10" before "v2".
const TAGS = ['v2', 'latest', '1.0', 'v10', 'alpha', 'beta-1', 'beta_2', 'beta.3', '0'];
const SORTED = [...TAGS].sort();

interface Page { items: string[]; next: URL | undefined; res: Response }

async function tagsPage(srv: Server, url: string, repo: string): Promise<Page> {
  const res = await call(srv, 'GET', url);
  const body = JSON.parse((await expectStatus(res, 200, `GET ${url}`)).toString()) as { name: string; tags: string[] | null };
  assert.equal(body.name, repo, 'tags list "name"');
  assert.ok(Array.isArray(body.tags), `tags list "tags" is not an array: ${JSON.stringify(body.tags)}`);
  return { items: body.tags, next: nextLink(srv, res), res };
}

async function catalogPage(srv: Server, url: string): Promise<Page> {
  const res = await call(srv, 'GET', url);
  const body = JSON.parse((await expectStatus(res, 200, `GET ${url}`)).toString()) as { repositories: string[] };
  assert.ok(Array.isArray(body.repositories), 'catalog "repositories" is not an array');
  return { items: body.repositories, next: nextLink(srv, res), res };
}

/** Follows Link headers from `first`, checking each page, and returns everything listed. */
async function walk(srv: Server, first: string, n: number, path: string, page: (url: string) => Promise<Page>): Promise<string[]> {
  const all: string[] = [];
  let url: string | undefined = first;
  for (let i = 0; url; i++) {
    assert.ok(i < 50, 'pagination does not terminate');
    const p = await page(url);
    assert.ok(p.items.length <= n, `page of ${p.items.length} entries for n=${n}`);
    all.push(...p.items);
    if (p.next) {
      assert.equal(p.next.pathname, path, 'Link target path');
      assert.equal(p.next.searchParams.get('n'), String(n), 'Link carries n');
      assert.equal(p.next.searchParams.get('last'), p.items.at(-1), 'Link carries last = the last entry of the page');
      assert.equal(p.items.length, n, 'a page with a next Link is full');
      url = p.next.pathname + p.next.search;
    } else {
      url = undefined;
    }
  }
  return all;
}

describe('tags list', () => {
  let srv: Server;
  let repo: string;
  before(async () => {
    srv = await startServer();
    repo = repoName();
    const img = await pushImage(srv, repo, { tag: TAGS[0] });
    for (const tag of TAGS.slice(1)) await expectStatus(await putManifest(srv, repo, tag, img.manifest, MediaType.OciManifest), 201, `tag ${tag}`);
  });
  after(async () => { await srv?.stop(); });

  it('lists every tag, sorted lexically, with no Link header', async () => {
    const p = await tagsPage(srv, `/v2/${repo}/tags/list`, repo);
    assert.deepEqual(p.items, SORTED);
    assert.equal(p.next, undefined, 'no Link when everything was returned');
  });

  it('n limits the page and Link points to the next one', berthOnly('Distribution 2.8.2 ignores n on tags'), async () => {
    const p = await tagsPage(srv, `/v2/${repo}/tags/list?n=4`, repo);
    assert.deepEqual(p.items, SORTED.slice(0, 4));
    assert.ok(p.next, 'a Link header when more tags exist');
    const link = p.res.headers.get('link')!;
    assert.match(link, /^<[^>]+>;\s*rel="next"$/, 'Link header form');
    assert.equal(p.next.pathname, `/v2/${repo}/tags/list`);
    assert.equal(p.next.searchParams.get('n'), '4');
    assert.equal(p.next.searchParams.get('last'), SORTED[3]);
  });

  for (const n of [1, 2, 4, 9, 10]) {
    it(`following Link with n=${n} returns every tag once, in order`, berthOnly('Distribution 2.8.2 ignores n on tags'), async () => {
      const all = await walk(srv, `/v2/${repo}/tags/list?n=${n}`, n, `/v2/${repo}/tags/list`, (u) => tagsPage(srv, u, repo));
      assert.deepEqual(all, SORTED);
    });
  }

  it('a short last page has no Link header', berthOnly('Distribution 2.8.2 ignores n on tags'), async () => {
    const p = await tagsPage(srv, `/v2/${repo}/tags/list?n=4&last=${SORTED[5]}`, repo);
    assert.deepEqual(p.items, SORTED.slice(6));
    assert.equal(p.next, undefined);
  });

  it('last without n returns the tags after it', berthOnly('Distribution 2.8.2 ignores last on tags'), async () => {
    const p = await tagsPage(srv, `/v2/${repo}/tags/list?last=${encodeURIComponent('beta.3')}`, repo);
    assert.deepEqual(p.items, SORTED.slice(SORTED.indexOf('beta.3') + 1));
  });

  it('last that is not a tag starts after where it would sort', berthOnly('Distribution 2.8.2 ignores last on tags'), async () => {
    const p = await tagsPage(srv, `/v2/${repo}/tags/list?n=100&last=b`, repo);
    assert.deepEqual(p.items, SORTED.filter((t) => t > 'b'));
  });

  it('n=0 returns an empty list and no Link header', berthOnly('Distribution 2.8.2 ignores n on tags'), async () => {
    const p = await tagsPage(srv, `/v2/${repo}/tags/list?n=0`, repo);
    assert.deepEqual(p.items, []);
    assert.equal(p.next, undefined);
  });

  it('last beyond every tag returns an empty list', berthOnly('Distribution 2.8.2 ignores last on tags'), async () => {
    const p = await tagsPage(srv, `/v2/${repo}/tags/list?last=zzz`, repo);
    assert.deepEqual(p.items, []);
    assert.equal(p.next, undefined);
  });

  it('an invalid n answers 400 with an OCI error body, never 5xx', berthOnly('Distribution 2.8.2 ignores n on tags'), async () => {
    for (const n of ['-1', 'abc']) {
      const res = await call(srv, 'GET', `/v2/${repo}/tags/list?n=${n}`);
      const body = await expectStatus(res, 400, `GET tags/list?n=${n}`);
      parseErrors(body.toString(), `tags/list?n=${n}`);
    }
  });

  it('an unknown repository answers 404 NAME_UNKNOWN', async () => {
    await expectError(await call(srv, 'GET', `/v2/${repoName('none')}/tags/list`), 404, 'NAME_UNKNOWN', 'tags of an unknown repository');
  });

  it('HEAD on the tags list answers 200 (every GET has a HEAD)', berthOnly('Distribution answers HEAD tags/list with 405'), async () => {
    const res = await call(srv, 'HEAD', `/v2/${repo}/tags/list`);
    const body = await expectStatus(res, 200, 'HEAD tags/list');
    assert.equal(body.length, 0);
  });
});

describe('catalog', () => {
  let srv: Server;
  const repos = ['cat/b', 'cat/a', 'cat/c-1', 'cat/c.2', 'dog/a', 'cat/a/deep', 'cat/c_3'];
  const sorted = [...repos].sort();
  before(async () => {
    srv = await startServer(); // a server of its own, so the catalog holds exactly these repositories
    for (const r of repos) await pushImage(srv, r, { tag: 'v1', layers: 1 });
  });
  after(async () => { await srv?.stop(); });

  it('lists every repository, sorted lexically', async () => {
    const p = await catalogPage(srv, '/v2/_catalog');
    assert.deepEqual(p.items, sorted);
    assert.equal(p.next, undefined);
  });

  it('n limits the page and Link points to the next one', async () => {
    const p = await catalogPage(srv, '/v2/_catalog?n=3');
    assert.deepEqual(p.items, sorted.slice(0, 3));
    assert.ok(p.next, 'a Link header when more repositories exist');
    assert.match(p.res.headers.get('link')!, /^<[^>]+>;\s*rel="next"$/, 'Link header form');
    assert.equal(p.next.pathname, '/v2/_catalog');
    assert.equal(p.next.searchParams.get('n'), '3');
    assert.equal(p.next.searchParams.get('last'), sorted[2]);
  });

  for (const n of [1, 2, 3, 7, 8]) {
    it(`following Link with n=${n} returns every repository once, in order`, async () => {
      const all = await walk(srv, `/v2/_catalog?n=${n}`, n, '/v2/_catalog', (u) => catalogPage(srv, u));
      assert.deepEqual(all, sorted);
    });
  }

  it('last returns the repositories after it', async () => {
    const p = await catalogPage(srv, `/v2/_catalog?n=100&last=${encodeURIComponent('cat/c-1')}`);
    assert.deepEqual(p.items, sorted.filter((r) => r > 'cat/c-1'));
  });

  it('n=0 returns an empty list and no Link header', berthOnly('Distribution 2.8.2 treats n=0 as the default page size'), async () => {
    const p = await catalogPage(srv, '/v2/_catalog?n=0');
    assert.deepEqual(p.items, []);
    assert.equal(p.next, undefined);
  });

  it('HEAD on the catalog answers 200 (every GET has a HEAD)', berthOnly('Distribution answers HEAD _catalog with 405'), async () => {
    const res = await call(srv, 'HEAD', '/v2/_catalog');
    const body = await expectStatus(res, 200, 'HEAD /v2/_catalog');
    assert.equal(body.length, 0);
  });

  it('a repository whose only manifest was deleted does not break the catalog', async () => {
    const img = await pushImage(srv, 'zzz/tmp', { tag: 'v1', layers: 1 });
    await expectStatus(await call(srv, 'DELETE', `/v2/zzz/tmp/manifests/${img.digest}`), 202, 'DELETE');
    const p = await catalogPage(srv, '/v2/_catalog');
    for (const r of repos) assert.ok(p.items.includes(r), `catalog lost ${r}`);
    assert.deepEqual([...p.items].sort(), p.items, 'catalog stays sorted');
  });
});

// Single-component names (docs/protocol.md): Berth stores HOST/tiny as library/tiny, and lists it
// as "tiny", the name that was pushed and that Distribution lists, so a mirror script that walks
// the catalog copies HOST/tiny to DEST/tiny. On Berth both names pull the same image.
describe('catalog: single-component names', () => {
  let srv: Server;
  // Names around "library/" in byte order, so a listing sorted by canonical name would differ.
  const pushed = ['tiny', 'kit', 'kit/x', 'a/b', 'm/n', 'zz/top', 'library0/q'];
  const listed = [...pushed].sort();
  before(async () => {
    srv = await startServer();
    for (const r of pushed) await pushImage(srv, r, { tag: 'v1', layers: 1 });
  });
  after(async () => { await srv?.stop(); });

  it('lists a name pushed without a project as it was pushed, in lexical order', async () => {
    const p = await catalogPage(srv, '/v2/_catalog');
    assert.deepEqual(p.items, listed);
  });

  for (const n of [1, 2, 3]) {
    it(`pages of n=${n} walk the same list, with short names in Link's last`, async () => {
      const all = await walk(srv, `/v2/_catalog?n=${n}`, n, '/v2/_catalog', (u) => catalogPage(srv, u));
      assert.deepEqual(all, listed);
    });
  }

  it('last=kit continues after kit', async () => {
    const p = await catalogPage(srv, '/v2/_catalog?n=2&last=kit');
    assert.deepEqual(p.items, listed.filter((r) => r > 'kit').slice(0, 2));
    assert.equal(p.next?.searchParams.get('last'), listed.filter((r) => r > 'kit')[1]);
  });

  it('every listed name pulls, and HOST/library/tiny is HOST/tiny', berthOnly('Distribution has no library project: library/tiny is another repository there'), async () => {
    for (const name of listed) await expectStatus(await call(srv, 'GET', `/v2/${name}/tags/list`), 200, `tags of ${name}`);
    const short = await call(srv, 'GET', `/v2/tiny/manifests/v1`, { headers: { accept: MediaType.OciManifest } });
    const long = await call(srv, 'GET', `/v2/library/tiny/manifests/v1`, { headers: { accept: MediaType.OciManifest } });
    const a = await expectStatus(short, 200, 'GET tiny:v1');
    const b = await expectStatus(long, 200, 'GET library/tiny:v1');
    assert.ok(a.equals(b), 'the same manifest bytes');
    assert.equal(short.headers.get('docker-content-digest'), long.headers.get('docker-content-digest'));
    // A push through the long name lands in the same repository: still listed once, short.
    await pushImage(srv, 'library/tiny', { tag: 'v2', layers: 1 });
    const p = await catalogPage(srv, '/v2/_catalog');
    assert.deepEqual(p.items, listed);
    const tags = JSON.parse((await expectStatus(await call(srv, 'GET', '/v2/tiny/tags/list'), 200)).toString()) as { tags: string[] };
    assert.deepEqual(tags.tags, ['v1', 'v2']);
  });
});
