import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseOciPath, splitUrl } from '../../../src/http/oci/paths.ts';

const D = `sha256:${'ab'.repeat(32)}`;
const D_ENCODED = D.replace(':', '%3A');

describe('parseOciPath: route kinds', () => {
  it('base, with and without the trailing slash', () => {
    assert.deepEqual(parseOciPath('/v2/'), { kind: 'base' });
    assert.deepEqual(parseOciPath('/v2'), { kind: 'base' });
  });

  it('catalog', () => {
    assert.deepEqual(parseOciPath('/v2/_catalog'), { kind: 'catalog' });
  });

  it('upload start, with and without a trailing slash', () => {
    assert.deepEqual(parseOciPath('/v2/a/blobs/uploads/'), { kind: 'upload_start', name: 'a' });
    assert.deepEqual(parseOciPath('/v2/a/blobs/uploads'), { kind: 'upload_start', name: 'a' });
    assert.deepEqual(parseOciPath('/v2/library/ubuntu/blobs/uploads/'), { kind: 'upload_start', name: 'library/ubuntu' });
  });

  it('an upload session', () => {
    assert.deepEqual(parseOciPath('/v2/a/b/blobs/uploads/0f1e2d-3c4b'), { kind: 'upload', name: 'a/b', id: '0f1e2d-3c4b' });
  });

  it('a blob', () => {
    assert.deepEqual(parseOciPath(`/v2/a/b/c/blobs/${D}`), { kind: 'blob', name: 'a/b/c', digest: D });
  });

  it('a manifest by tag and by digest', () => {
    assert.deepEqual(parseOciPath('/v2/a/manifests/latest'), { kind: 'manifest', name: 'a', reference: 'latest' });
    assert.deepEqual(parseOciPath(`/v2/org/app/manifests/${D}`), { kind: 'manifest', name: 'org/app', reference: D });
  });

  it('tags', () => {
    assert.deepEqual(parseOciPath('/v2/a/b/tags/list'), { kind: 'tags', name: 'a/b' });
  });

  it('referrers', () => {
    assert.deepEqual(parseOciPath(`/v2/a/referrers/${D}`), { kind: 'referrers', name: 'a', digest: D });
  });
});

describe('parseOciPath: names that contain route words', () => {
  it('a name with a "blobs" component', () => {
    assert.deepEqual(parseOciPath('/v2/a/blobs/b/manifests/latest'), { kind: 'manifest', name: 'a/blobs/b', reference: 'latest' });
    assert.deepEqual(parseOciPath(`/v2/foo/blobs/blobs/${D}`), { kind: 'blob', name: 'foo/blobs', digest: D });
    assert.deepEqual(parseOciPath('/v2/blobs/tags/list'), { kind: 'tags', name: 'blobs' });
  });

  it('a name with a "manifests" component', () => {
    assert.deepEqual(parseOciPath(`/v2/a/manifests/blobs/${D}`), { kind: 'blob', name: 'a/manifests', digest: D });
    assert.deepEqual(parseOciPath('/v2/manifests/manifests/v1'), { kind: 'manifest', name: 'manifests', reference: 'v1' });
    assert.deepEqual(parseOciPath('/v2/x/manifests/y/blobs/uploads/'), { kind: 'upload_start', name: 'x/manifests/y' });
  });

  it('a name ending in blobs/uploads', () => {
    assert.deepEqual(parseOciPath('/v2/a/blobs/uploads/blobs/uploads/'), { kind: 'upload_start', name: 'a/blobs/uploads' });
    assert.deepEqual(parseOciPath('/v2/a/blobs/uploads/tags/list'), { kind: 'tags', name: 'a/blobs/uploads' });
    assert.deepEqual(parseOciPath('/v2/a/blobs/uploads/manifests/latest'), { kind: 'manifest', name: 'a/blobs/uploads', reference: 'latest' });
  });

  it('names containing "tags" and "referrers"', () => {
    assert.deepEqual(parseOciPath('/v2/tags/list/tags/list'), { kind: 'tags', name: 'tags/list' });
    assert.deepEqual(parseOciPath(`/v2/referrers/x/referrers/${D}`), { kind: 'referrers', name: 'referrers/x', digest: D });
  });
});

describe('parseOciPath: encoding', () => {
  it('decodes a percent-encoded digest colon in blobs, manifests and referrers', () => {
    assert.deepEqual(parseOciPath(`/v2/a/blobs/${D_ENCODED}`), { kind: 'blob', name: 'a', digest: D });
    assert.deepEqual(parseOciPath(`/v2/a/manifests/${D_ENCODED}`), { kind: 'manifest', name: 'a', reference: D });
    assert.deepEqual(parseOciPath(`/v2/a/referrers/${D.replace(':', '%3a')}`), { kind: 'referrers', name: 'a', digest: D });
  });

  it('leaves an undecodable segment as it is', () => {
    assert.deepEqual(parseOciPath('/v2/a/manifests/%zz'), { kind: 'manifest', name: 'a', reference: '%zz' });
  });

  it('never decodes the name, so an encoded slash cannot become a path', () => {
    assert.deepEqual(parseOciPath('/v2/a%2Fb/manifests/x'), { kind: 'manifest', name: 'a%2Fb', reference: 'x' });
    assert.deepEqual(parseOciPath('/v2/a/manifests/x%2Fy'), { kind: 'manifest', name: 'a', reference: 'x/y' });
  });
});

describe('parseOciPath: unknown paths', () => {
  it('are undefined', () => {
    for (const p of [
      '/', '', '/v1/', '/v3/', '/v2x', '/v2/_catalog/', '/v2/a', '/v2/a/foo', '/v2/a/blobs/', '/v2/a/blobs',
      '/v2/a/manifests/', '/v2/a/tags/list/', '/v2/a/tags', '/v2/a/referrers/', '/v2//blobs/x',
      `/v2/a/blobs/uploads/id/extra`, '/v2/a/manifests/x/y/z/extra/tags', 'v2/a/tags/list',
    ]) {
      assert.equal(parseOciPath(p), undefined, p);
    }
  });

  it('an over-long path is undefined before any matching', () => {
    assert.equal(parseOciPath(`/v2/${'a/'.repeat(2100)}tags/list`), undefined);
    assert.deepEqual(parseOciPath(`/v2/${'a/'.repeat(100)}tags/list`), { kind: 'tags', name: `${'a/'.repeat(99)}a` });
  });
});

describe('splitUrl', () => {
  it('splits the path from the query', () => {
    const { path, query } = splitUrl('/v2/a/tags/list?n=10&last=v1');
    assert.equal(path, '/v2/a/tags/list');
    assert.equal(query.get('n'), '10');
    assert.equal(query.get('last'), 'v1');
  });

  it('a URL without a query has an empty query', () => {
    const { path, query } = splitUrl('/v2/');
    assert.equal(path, '/v2/');
    assert.equal([...query].length, 0);
  });
});
