// Media types Berth understands (OCI image-spec and Docker's image manifest v2 schema 2).
export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
]);

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

/**
 * Layers the image-spec marks as not to be distributed (licensed content such as Windows base
 * layers): OCI's ...layer.nondistributable.v1.tar[+gzip|+zstd] (deprecated in image-spec 1.1,
 * still pushed) and Docker's ...rootfs.foreign.diff.tar[.gzip]. A registry need not hold them.
 */
const NON_DISTRIBUTABLE_LAYER = /^application\/vnd\.(?:oci\.image\.layer\.nondistributable\.v1\.tar(?:\+gzip|\+zstd)?|docker\.image\.rootfs\.foreign\.diff\.tar(?:\.gzip)?)$/;

export function isNonDistributableLayer(mediaType: string): boolean {
  return NON_DISTRIBUTABLE_LAYER.test(mediaType);
}

/**
 * Whether a manifest's layer may be absent from the registry: a non-distributable layer, or one
 * whose descriptor names `urls` to fetch it from (clients such as containers/image do not upload
 * a layer that has urls; they fetch it from there). The config never may.
 */
export function layerMayBeAbsent(layer: { readonly mediaType: string; readonly urls?: readonly string[] }): boolean {
  return isNonDistributableLayer(layer.mediaType) || (layer.urls !== undefined && layer.urls.length > 0);
}
