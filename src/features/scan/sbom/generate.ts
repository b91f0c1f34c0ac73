// SBOMs of an image's inventory: CycloneDX 1.6 JSON (made with @cyclonedx/cyclonedx-library,
// attached to the image as an OCI referrer) and SPDX 2.3 JSON (on request). Deterministic for a
// given image and inventory, so re-scanning does not make a new document. Pure.
import { createHash } from 'node:crypto';
// The CycloneDX library is loaded at the first SBOM: it adds about 10 MiB to the server's RSS.
import type * as CycloneDx from '@cyclonedx/cyclonedx-library';
import type { Inventory, Package } from '../inventory/types.ts';

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
export const SPDX_MEDIA_TYPE = 'application/spdx+json';
/** Annotation Berth puts on the SBOM referrers it makes (so it can tell them from users' SBOMs). */
export const GENERATOR_ANNOTATION = 'dev.berth.sbom.generator';

export interface SbomSubject {
  readonly repository: string;
  readonly digest: string;
  readonly platform?: string;
}

export interface SbomOptions {
  readonly tool: { readonly name: string; readonly version: string };
  /** When the inventory was made (the document's timestamp). */
  readonly created: Date;
}

/** A UUID derived from text, so the same image gets the same serial number. */
function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

function osComponentName(inv: Inventory): string | undefined {
  return inv.os ? inv.os.id : undefined;
}

/** CycloneDX 1.6 JSON: the image as the document's subject, each package a component. */
export async function cyclonedx(subject: SbomSubject, inventory: Inventory, options: SbomOptions): Promise<string> {
  const { Enums, Models, Serialize, Spec }: typeof CycloneDx = await import('@cyclonedx/cyclonedx-library');
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${uuidFrom(`${subject.repository}@${subject.digest}`)}`;
  bom.metadata.timestamp = options.created;
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, options.tool.name, { version: options.tool.version }));
  const image = new Models.Component(Enums.ComponentType.Container, subject.repository, { version: subject.digest, bomRef: subject.digest });
  if (subject.platform) image.properties.add(new Models.Property('berth:platform', subject.platform));
  bom.metadata.component = image;
  const osName = osComponentName(inventory);
  if (osName && inventory.os) {
    const os = new Models.Component(Enums.ComponentType.OperatingSystem, osName, { version: inventory.os.versionId, bomRef: `os:${osName}@${inventory.os.versionId}` });
    if (inventory.os.prettyName) os.description = inventory.os.prettyName;
    bom.components.add(os);
  }
  const seen = new Set<string>();
  for (const p of inventory.packages) {
    let ref = p.purl;
    for (let n = 2; seen.has(ref); n++) ref = `${p.purl}#${n}`; // one package found in two places
    seen.add(ref);
    const c = new Models.Component(Enums.ComponentType.Library, p.name, { version: p.version, purl: p.purl, bomRef: ref });
    for (const l of p.licenses ?? []) c.licenses.add(new Models.NamedLicense(l));
    c.properties.add(new Models.Property('berth:location', p.location));
    if (p.source) {
      c.properties.add(new Models.Property('berth:source:name', p.source.name));
      c.properties.add(new Models.Property('berth:source:version', p.source.version));
    }
    bom.components.add(c);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}

/** SPDX 2.3 JSON: the image as the described package, containing each package. */
export function spdx(subject: SbomSubject, inventory: Inventory, options: SbomOptions): string {
  const id = (n: number) => `SPDXRef-Package-${n}`;
  const packages = inventory.packages.map((p: Package, i) => ({
    SPDXID: id(i + 1),
    name: p.name,
    versionInfo: p.version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: p.licenses?.length ? p.licenses.join(' AND ') : 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    sourceInfo: `found in ${p.location}${p.source ? `; source package ${p.source.name} ${p.source.version}` : ''}`,
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }],
  }));
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${subject.repository}@${subject.digest}`,
    documentNamespace: `https://berth.invalid/spdx/${subject.digest.replace(':', '-')}/${uuidFrom(`${subject.repository}@${subject.digest}`)}`,
    creationInfo: { created: options.created.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: ${options.tool.name}-${options.tool.version}`] },
    documentDescribes: ['SPDXRef-Image'],
    packages: [
      {
        SPDXID: 'SPDXRef-Image', name: subject.repository, versionInfo: subject.digest, downloadLocation: 'NOASSERTION', filesAnalyzed: false,
        licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION', primaryPackagePurpose: 'CONTAINER',
        ...(inventory.os ? { comment: `${inventory.os.prettyName ?? `${inventory.os.id} ${inventory.os.versionId}`}` } : {}),
      },
      ...packages,
    ],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
      ...packages.map((p) => ({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
    ],
  };
  return JSON.stringify(doc, null, 2);
}
