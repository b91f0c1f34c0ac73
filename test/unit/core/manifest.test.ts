import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from '../../../src/core/errors.ts';
import { parseManifest } from '../../../src/core/manifest.ts';
import { isNonDistributableLayer, layerMayBeAbsent, MediaType } from '../../../src/core/mediatypes.ts';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const CONFIG = { mediaType: MediaType.OciConfig, digest: D('a'), size: 100 };
const LAYER = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('b'), size: 2000 };
const DOCKER_CONFIG = { mediaType: MediaType.DockerConfig, digest: D('c'), size: 300 };
const DOCKER_LAYER = { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: D('d'), size: 4000 };
const CHILD = { mediaType: MediaType.OciManifest, digest: D('e'), size: 500, platform: { architecture: 'amd64', os: 'linux' } };
const SUBJECT = { mediaType: MediaType.OciManifest, digest: D('f'), size: 600 };

function bytes(doc: unknown): Uint8Array {
  return new TextEncoder().encode(typeof doc === 'string' ? doc : JSON.stringify(doc));
}

function parse(doc: unknown, contentType?: string) {
  return parseManifest(bytes(doc), contentType);
}

/** Asserts the document is rejected as MANIFEST_INVALID, with a reason matching `reason`. */
function assertInvalid(doc: unknown, contentType: string | undefined, reason: RegExp): void {
  assert.throws(() => parse(doc, contentType), (error: unknown) => {
    assert.ok(error instanceof RegistryError, `expected RegistryError, got ${String(error)}`);
    assert.equal(error.code, 'MANIFEST_INVALID');
    assert.equal(error.status, 400);
    const detail = error.detail as { reason: string };
    assert.match(detail.reason, reason);
    return true;
  });
}

const ociImage = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: CONFIG, layers: [LAYER] };

describe('parseManifest: the four manifest types', () => {
  it('OCI image manifest', () => {
    const f = parse({ ...ociImage, annotations: { 'org.example': 'x' } }, MediaType.OciManifest);
    assert.equal(f.mediaType, MediaType.OciManifest);
    assert.equal(f.isIndex, false);
    assert.deepEqual(f.config, CONFIG);
    assert.deepEqual(f.layers, [LAYER]);
    assert.deepEqual(f.manifests, []);
    assert.equal(f.artifactType, undefined, 'an image without subject or artifactType has no artifactType');
    assert.equal(f.subject, undefined);
    assert.deepEqual(f.annotations, { 'org.example': 'x' });
  });

  it('OCI image index', () => {
    const f = parse({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [CHILD] }, MediaType.OciIndex);
    assert.equal(f.mediaType, MediaType.OciIndex);
    assert.equal(f.isIndex, true);
    assert.deepEqual(f.manifests, [CHILD]);
    assert.deepEqual(f.layers, []);
    assert.equal(f.config, undefined);
  });

  it('Docker v2 schema 2', () => {
    const f = parse({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config: DOCKER_CONFIG, layers: [DOCKER_LAYER] }, MediaType.DockerManifest);
    assert.equal(f.mediaType, MediaType.DockerManifest);
    assert.equal(f.isIndex, false);
    assert.deepEqual(f.config, DOCKER_CONFIG);
    assert.deepEqual(f.layers, [DOCKER_LAYER]);
  });

  it('Docker manifest list', () => {
    const child = { ...CHILD, mediaType: MediaType.DockerManifest, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } };
    const f = parse({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [child] }, MediaType.DockerManifestList);
    assert.equal(f.mediaType, MediaType.DockerManifestList);
    assert.equal(f.isIndex, true);
    assert.deepEqual(f.manifests[0]?.platform, { architecture: 'arm', os: 'linux', variant: 'v7' });
  });

  it('a Docker image manifest needs at least one layer; an OCI one may have none', () => {
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config: DOCKER_CONFIG, layers: [] }, undefined, /at least one layer/);
    assert.deepEqual(parse({ ...ociImage, layers: [] }).layers, []);
  });

  it('accepts sha512 descriptors', () => {
    const layer = { ...LAYER, digest: `sha512:${'0'.repeat(128)}` };
    assert.equal(parse({ ...ociImage, layers: [layer] }).layers[0]?.digest, layer.digest);
  });

  it('ignores Content-Type parameters and case', () => {
    assert.equal(parse(ociImage, `${MediaType.OciManifest.toUpperCase()}; charset=utf-8`).mediaType, MediaType.OciManifest);
  });

  it('accepts a body given as a subarray of a larger buffer', () => {
    const inner = bytes(ociImage);
    const outer = new Uint8Array(inner.length + 20).fill(0x7b);
    outer.set(inner, 10);
    assert.equal(parseManifest(outer.subarray(10, 10 + inner.length), undefined).mediaType, MediaType.OciManifest);
  });
});

describe('parseManifest: artifacts', () => {
  it('an explicit artifactType wins', () => {
    const f = parse({ ...ociImage, artifactType: 'application/vnd.example.sbom', config: { ...CONFIG, mediaType: MediaType.OciEmpty }, subject: SUBJECT });
    assert.equal(f.artifactType, 'application/vnd.example.sbom');
    assert.deepEqual(f.subject, SUBJECT);
  });

  it('artifactType falls back to config.mediaType when a subject is present', () => {
    const f = parse({ ...ociImage, config: { ...CONFIG, mediaType: 'application/vnd.example.signature.config' }, subject: SUBJECT });
    assert.equal(f.artifactType, 'application/vnd.example.signature.config');
  });

  it('artifactType is set without a subject when given explicitly', () => {
    assert.equal(parse({ ...ociImage, artifactType: 'application/vnd.example.x' }).artifactType, 'application/vnd.example.x');
  });

  it('an index keeps artifactType and subject, without fallback', () => {
    const withType = parse({ schemaVersion: 2, mediaType: MediaType.OciIndex, artifactType: 'application/vnd.example.bundle', subject: SUBJECT, manifests: [] });
    assert.equal(withType.artifactType, 'application/vnd.example.bundle');
    assert.deepEqual(withType.subject, SUBJECT);
    const without = parse({ schemaVersion: 2, mediaType: MediaType.OciIndex, subject: SUBJECT, manifests: [] });
    assert.equal(without.artifactType, undefined);
  });

  it('rejects a non-string artifactType and a bad subject', () => {
    assertInvalid({ ...ociImage, artifactType: 5 }, undefined, /artifactType must be a string/);
    assertInvalid({ ...ociImage, subject: { ...SUBJECT, digest: 'sha256:nope' } }, undefined, /subject\.digest/);
    assertInvalid({ ...ociImage, subject: 'sha256:abc' }, undefined, /subject must be a descriptor/);
  });
});

describe('parseManifest: media type and Content-Type', () => {
  it('rejects a mediaType that disagrees with a manifest Content-Type', () => {
    assertInvalid(ociImage, MediaType.DockerManifest, /does not match Content-Type/);
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }, MediaType.DockerManifestList, /does not match/);
  });

  it('a non-manifest Content-Type does not conflict with the declared mediaType', () => {
    assert.equal(parse(ociImage, 'application/json').mediaType, MediaType.OciManifest);
  });

  it('infers a missing mediaType from a manifest Content-Type', () => {
    const doc = { schemaVersion: 2, config: DOCKER_CONFIG, layers: [DOCKER_LAYER] };
    assert.equal(parse(doc, MediaType.DockerManifest).mediaType, MediaType.DockerManifest);
  });

  it('infers a missing mediaType from the shape without a Content-Type', () => {
    assert.equal(parse({ schemaVersion: 2, config: CONFIG, layers: [LAYER] }).mediaType, MediaType.OciManifest);
    const index = parse({ schemaVersion: 2, manifests: [CHILD] });
    assert.equal(index.mediaType, MediaType.OciIndex);
    assert.equal(index.isIndex, true);
  });

  it('rejects an unsupported or non-string mediaType', () => {
    assertInvalid({ ...ociImage, mediaType: 'application/vnd.example+json' }, undefined, /unsupported manifest media type/);
    assertInvalid({ ...ociImage, mediaType: 7 }, undefined, /mediaType must be a string/);
  });

  it('rejects mixing index and image fields', () => {
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [], layers: [] }, undefined, /an index has manifests/);
    assertInvalid({ ...ociImage, manifests: [CHILD] }, undefined, /an image manifest has config and layers/);
  });
});

describe('parseManifest: rejections are MANIFEST_INVALID', () => {
  it('schemaVersion 1 and a missing schemaVersion', () => {
    assertInvalid({ ...ociImage, schemaVersion: 1 }, undefined, /schemaVersion must be 2/);
    assertInvalid({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }, 'application/vnd.docker.distribution.manifest.v1+prettyjws', /schemaVersion/);
    assertInvalid({ mediaType: MediaType.OciManifest, config: CONFIG, layers: [] }, undefined, /schemaVersion/);
  });

  it('a bad digest', () => {
    assertInvalid({ ...ociImage, layers: [{ ...LAYER, digest: 'sha256:abc' }] }, undefined, /layers\[0\]\.digest/);
    assertInvalid({ ...ociImage, config: { ...CONFIG, digest: `md5:${'a'.repeat(32)}` } }, undefined, /config\.digest/);
    assertInvalid({ ...ociImage, config: { ...CONFIG, digest: `sha256:${'A'.repeat(64)}` } }, undefined, /config\.digest/);
  });

  it('a negative, fractional or missing size', () => {
    assertInvalid({ ...ociImage, layers: [LAYER, { ...LAYER, size: -1 }] }, undefined, /layers\[1\]\.size/);
    assertInvalid({ ...ociImage, layers: [{ ...LAYER, size: 1.5 }] }, undefined, /layers\[0\]\.size/);
    assertInvalid({ ...ociImage, config: { mediaType: CONFIG.mediaType, digest: CONFIG.digest } }, undefined, /config\.size/);
    assertInvalid({ ...ociImage, config: { ...CONFIG, size: '100' } }, undefined, /config\.size/);
  });

  it('a missing or empty descriptor mediaType', () => {
    assertInvalid({ ...ociImage, layers: [{ digest: LAYER.digest, size: 1 }] }, undefined, /layers\[0\]\.mediaType/);
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...CHILD, mediaType: '' }] }, undefined, /manifests\[0\]\.mediaType/);
  });

  it('a missing config or layers, or layers that is not an array', () => {
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciManifest, layers: [] }, undefined, /config must be a descriptor/);
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: CONFIG }, undefined, /layers must be an array/);
    assertInvalid({ ...ociImage, layers: LAYER }, undefined, /layers must be an array/);
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciIndex }, undefined, /manifests must be an array/);
  });

  it('bad annotations and platform', () => {
    assertInvalid({ ...ociImage, annotations: { a: 1 } }, undefined, /annotations\.a must be a string/);
    assertInvalid({ ...ociImage, annotations: ['x'] }, undefined, /annotations must be an object/);
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...CHILD, platform: { os: 'linux' } }] }, undefined, /platform/);
  });

  it('a body that is not JSON', () => {
    assertInvalid('{"schemaVersion": 2,', undefined, /not valid JSON/);
    assertInvalid('', undefined, /not valid JSON/);
  });

  it('JSON that is not an object', () => {
    assertInvalid([ociImage], undefined, /must be a JSON object/);
    assertInvalid('null', undefined, /must be a JSON object/);
    assertInvalid('"manifest"', undefined, /must be a JSON object/);
  });
});

describe('non-distributable layers', () => {
  const ND = 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip';
  it('keeps a layer descriptor\'s urls, and refuses urls that are not an array of strings', () => {
    const urls = ['https://mcr.example.com/blob'];
    const facts = parse({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: CONFIG, layers: [{ ...LAYER, mediaType: ND, urls }] });
    assert.deepEqual(facts.layers[0]!.urls, urls);
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: CONFIG, layers: [{ ...LAYER, urls: 'https://x' }] }, undefined, /urls must be an array/);
    assertInvalid({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: CONFIG, layers: [{ ...LAYER, urls: [1] }] }, undefined, /urls must be an array/);
  });

  it('names the media types a registry need not hold, and layers with urls', () => {
    for (const t of [
      'application/vnd.oci.image.layer.nondistributable.v1.tar',
      'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
      'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
      'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
      'application/vnd.docker.image.rootfs.foreign.diff.tar',
    ]) {
      assert.equal(isNonDistributableLayer(t), true, t);
      assert.equal(layerMayBeAbsent({ mediaType: t }), true, t);
    }
    for (const t of ['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip', 'application/vnd.oci.image.layer.nondistributable.v1.tar+bzip2', 'application/foreign']) {
      assert.equal(isNonDistributableLayer(t), false, t);
      assert.equal(layerMayBeAbsent({ mediaType: t }), false, t);
    }
    assert.equal(layerMayBeAbsent({ mediaType: LAYER.mediaType, urls: ['https://x'] }), true);
    assert.equal(layerMayBeAbsent({ mediaType: LAYER.mediaType, urls: [] }), false);
  });
});
