// cosign's legacy signature layout, made the way `cosign sign --key` makes it (Debian's clients
// cannot sign with sigstore, so the tests sign here): the simple-signing payload, byte for byte as
// cosign marshals it; a signature over those bytes (ECDSA P-256 with SHA-256 in ASN.1 DER, Ed25519
// over the message, RSA PKCS#1 v1.5 with SHA-256), base64 in the layer annotation
// dev.cosignproject.cosign/signature; the layer media type application/vnd.dev.cosign.simplesigning.v1+json;
// an OCI image manifest with an application/vnd.oci.image.config.v1+json config, tagged
// sha256-<hex>.sig. A second signature is added as cosign adds it: the current .sig manifest is
// read, a layer appended, and the manifest pushed again under the same tag.
// Only node:crypto and fetch, over plain HTTP with Basic credentials (or none).
import { constants, createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export const COSIGN_SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
const DOCKER_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';

export type CosignKeyKind = 'p256' | 'ed25519' | 'rsa';

export interface CosignKey {
  readonly kind: CosignKeyKind;
  /** The public key as `cosign generate-key-pair` writes cosign.pub (SPKI PEM): what a trust policy holds. */
  readonly publicPem: string;
  /** PKCS#8 PEM (unencrypted). */
  readonly privatePem: string;
  readonly privateKey: KeyObject;
}

/** Basic credentials [user, password]; undefined for an open registry. */
export type RegistryCreds = readonly [string, string] | undefined;

/** A new key of this kind (P-256 is what `cosign generate-key-pair` makes). */
export function cosignKey(kind: CosignKeyKind = 'p256'): CosignKey {
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  const pair = kind === 'ed25519'
    ? generateKeyPairSync('ed25519', { publicKeyEncoding, privateKeyEncoding })
    : kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('ec', { namedCurve: 'prime256v1', publicKeyEncoding, privateKeyEncoding });
  return { kind, publicPem: pair.publicKey, privatePem: pair.privateKey, privateKey: createPrivateKey(pair.privateKey) };
}

/**
 * The simple-signing payload cosign signs, byte for byte as cosign's payload.Cosign marshals it
 * (keys in this order, no spaces, "optional":null unless annotations are given).
 */
export function cosignPayload(manifestDigest: string, dockerReference: string, optional: Record<string, unknown> | null = null): Buffer {
  return Buffer.from(JSON.stringify({
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type: 'cosign container image signature',
    },
    optional,
  }));
}

/** base64 of the signature of these bytes with the key, as cosign's signer makes it. */
export function cosignSignBytes(key: CosignKey, data: Buffer): string {
  switch (key.kind) {
    case 'ed25519': return sign(null, data, key.privateKey).toString('base64');
    case 'rsa': return sign('sha256', data, { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING }).toString('base64');
    case 'p256': return sign('sha256', data, { key: key.privateKey, dsaEncoding: 'der' }).toString('base64');
  }
}

/** cosign's tag for the signatures of this image: sha256-<hex>.sig. */
export function cosignSigTag(manifestDigest: string): string {
  return `${manifestDigest.replace(':', '-')}.sig`;
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function headers(creds: RegistryCreds, more: Record<string, string> = {}): Record<string, string> {
  return { ...(creds ? { authorization: `Basic ${Buffer.from(`${creds[0]}:${creds[1]}`).toString('base64')}` } : {}), ...more };
}

async function expectOk(res: Response, what: string, ...statuses: number[]): Promise<Response> {
  if (!statuses.includes(res.status)) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

/** Uploads a blob unless the repository has it (HEAD, then POST and PUT ?digest=, as go-containerregistry does). */
export async function uploadCosignBlob(registryUrl: string, creds: RegistryCreds, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const head = await fetch(`${registryUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', headers: headers(creds) });
  if (head.status === 200) return digest;
  const start = await expectOk(await fetch(`${registryUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers(creds) }), `start an upload to ${repo}`, 202);
  const location = start.headers.get('location');
  if (!location) throw new Error(`the upload to ${repo} has no Location`);
  const put = new URL(location, registryUrl);
  put.searchParams.set('digest', digest);
  await expectOk(await fetch(put, { method: 'PUT', headers: headers(creds, { 'content-type': 'application/octet-stream' }), body: data }), `finish the upload of ${digest} to ${repo}`, 201);
  return digest;
}

export interface CosignLayer {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

export interface CosignSignatureManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly config: { mediaType: string; digest: string; size: number };
  readonly layers: CosignLayer[];
  readonly annotations?: Record<string, string>;
}

/** The current .sig manifest of the image, or undefined when it has none yet (404). */
export async function readCosignSignatures(registryUrl: string, creds: RegistryCreds, repo: string, manifestDigest: string): Promise<{ manifest: CosignSignatureManifest; digest: string } | undefined> {
  const res = await fetch(`${registryUrl}/v2/${repo}/manifests/${cosignSigTag(manifestDigest)}`, {
    headers: headers(creds, { accept: `${OCI_MANIFEST_MEDIA_TYPE}, ${DOCKER_MANIFEST_MEDIA_TYPE}` }),
  });
  if (res.status === 404) return undefined;
  await expectOk(res, `read ${repo}:${cosignSigTag(manifestDigest)}`, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { manifest: JSON.parse(bytes.toString('utf8')) as CosignSignatureManifest, digest: sha256(bytes) };
}

/** The config go-containerregistry writes for cosign's signature image (empty.Image plus one history entry and diff_id per layer). */
function configFor(layers: readonly CosignLayer[]): Buffer {
  return Buffer.from(JSON.stringify({
    architecture: '', created: '0001-01-01T00:00:00Z',
    history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
    os: '', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) }, config: {},
  }));
}

export interface SignCosignOptions {
  /** critical.identity.docker-reference; cosign writes the repository as named (host/repo, no tag). Default: <registry host>/<repo>. */
  readonly dockerReference?: string;
  /** The digest the payload names (default: the image's): another one makes a digest mismatch. */
  readonly signedDigest?: string;
  /** The payload bytes exactly (default: cosignPayload(signedDigest, dockerReference)). */
  readonly payload?: Buffer;
  /** Push these payload bytes instead of the signed ones (a payload changed after signing). */
  readonly tamperedPayload?: Buffer;
  /** The base64 signature to store instead of a real one. */
  readonly signature?: string;
  /** Other annotations of the layer (cosign's -a go into the payload's optional, not here). */
  readonly layerAnnotations?: Record<string, string>;
  /** Start a new .sig manifest instead of adding to the current one (cosign sign --replace-ish). */
  readonly replace?: boolean;
}

export interface CosignSignResult {
  readonly tag: string;
  /** The digest of the .sig manifest as pushed. */
  readonly manifestDigest: string;
  readonly manifest: CosignSignatureManifest;
  /** The payload bytes pushed, and the base64 signature in the annotation. */
  readonly payload: Buffer;
  readonly signature: string;
  /** How many signature layers the .sig manifest now has. */
  readonly signatures: number;
}

/**
 * Signs the image repo@digest with the key and pushes the signature in cosign's legacy layout,
 * adding a layer to the image's .sig manifest when it already has one (as a second `cosign sign`
 * does; the same payload and signature twice are stored once, as cosign dedupes them).
 */
export async function signCosign(registryUrl: string, creds: RegistryCreds, repo: string, digest: string, key: CosignKey, options: SignCosignOptions = {}): Promise<CosignSignResult> {
  const base = registryUrl.replace(/\/+$/, '');
  const dockerReference = options.dockerReference ?? `${new URL(base).host}/${repo}`;
  const signed = options.payload ?? cosignPayload(options.signedDigest ?? digest, dockerReference);
  const signature = options.signature ?? cosignSignBytes(key, signed);
  const payload = options.tamperedPayload ?? signed;
  return pushCosignLayer(base, creds, repo, digest, payload, { [COSIGN_SIGNATURE_ANNOTATION]: signature, ...options.layerAnnotations }, options.replace ?? false);
}

async function pushCosignLayer(base: string, creds: RegistryCreds, repo: string, digest: string, payload: Buffer, annotations: Record<string, string>, replace: boolean): Promise<CosignSignResult> {
  const signature = annotations[COSIGN_SIGNATURE_ANNOTATION] ?? '';
  const payloadDigest = await uploadCosignBlob(base, creds, repo, payload);
  const layer: CosignLayer = { mediaType: COSIGN_SIMPLESIGNING_MEDIA_TYPE, digest: payloadDigest, size: payload.length, annotations };
  const current = replace ? undefined : await readCosignSignatures(base, creds, repo, digest);
  const previous = current?.manifest.layers ?? [];
  const duplicate = previous.some((l) => l.digest === layer.digest && l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === signature);
  const layers = duplicate ? previous : [...previous, layer];
  const config = configFor(layers);
  const configDigest = await uploadCosignBlob(base, creds, repo, config);
  const mediaType = current?.manifest.mediaType ?? OCI_MANIFEST_MEDIA_TYPE;
  const manifest: CosignSignatureManifest = {
    schemaVersion: 2, mediaType,
    config: { mediaType: mediaType === DOCKER_MANIFEST_MEDIA_TYPE ? 'application/vnd.docker.container.image.v1+json' : OCI_CONFIG_MEDIA_TYPE, digest: configDigest, size: config.length },
    layers,
    ...(current?.manifest.annotations ? { annotations: current.manifest.annotations } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const tag = cosignSigTag(digest);
  await expectOk(await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: headers(creds, { 'content-type': mediaType }), body: bytes }), `push ${repo}:${tag}`, 201);
  return { tag, manifestDigest: sha256(bytes), manifest, payload, signature, signatures: layers.length };
}
