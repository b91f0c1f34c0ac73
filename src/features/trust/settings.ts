// Each project's trust policy: the mode (off, audit, enforce), the accounts it never refuses,
// and the trusted signers, each with a name. Members (anyone, for a public project) read it;
// owners and administrators change it, and every change is audited and bumps the policy's
// version, which makes every cached verdict of the project stale.
import { createHash, createPublicKey } from 'node:crypto';
import type { Kysely } from 'kysely';
import { requireOwnedProject, requireVisibleProject, type Actor } from '../../auth/directory/actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../../auth/directory/changes.ts';
import { RegistryError } from '../../core/errors.ts';
import { findProject } from '../../metadata/identity/projects.ts';
import type { Database } from '../../metadata/schema.ts';
import { deleteTrustSigner, findTrustPolicy, insertTrustSigner, saveTrustPolicy, trustSigners } from '../../metadata/trust.ts';
import { parseSigner, SignerError, type ParsedSigner, type SignerKind, type TrustedSigner } from './verify/index.ts';

export type TrustMode = 'off' | 'audit' | 'enforce';
export const TRUST_MODES: readonly TrustMode[] = ['off', 'audit', 'enforce'];
const SIGNER_KINDS: readonly SignerKind[] = ['key', 'pgp', 'x509', 'keyless'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,63}$/;
const MAX_SIGNERS = 100;
const MAX_MATERIAL = 256 * 1024;

export interface SignerView {
  readonly name: string;
  readonly kind: SignerKind;
  readonly fingerprint: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export interface TrustPolicy {
  readonly mode: TrustMode;
  readonly exempt: readonly string[];
  /** Changes with every change of the policy or its signers. */
  readonly version: number;
  readonly signers: readonly TrustedSigner[];
}

const OFF: TrustPolicy = { mode: 'off', exempt: [], version: 0, signers: [] };

/** The kind of signer this material is, from what it looks like. */
export function detectKind(material: string): SignerKind | undefined {
  // Private keys are routed to their kind's parser, which refuses them saying so ("must stay
  // secret"); left undetected they got the generic "give a PEM public key" instead.
  if (/-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----/.test(material)) return 'pgp';
  if (material.includes('-----BEGIN CERTIFICATE-----')) return 'x509';
  if (/-----BEGIN ((RSA |EC |ENCRYPTED )?PRIVATE|(RSA )?PUBLIC) KEY-----/.test(material)) return 'key';
  if (material.trimStart().startsWith('{')) return 'keyless';
  return undefined;
}

function fingerprintOf(parsed: ParsedSigner, material: string): string {
  switch (parsed.kind) {
    case 'pgp': return parsed.keys.map((k) => k.getFingerprint().toUpperCase()).join(',');
    case 'x509': return parsed.certificates.map((c) => c.fingerprint256.replace(/:/g, '').toLowerCase().slice(0, 40)).join(',');
    case 'key': return `sha256:${createHash('sha256').update(createPublicKey(material.trim()).export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 40)}`;
    case 'keyless': return `${parsed.identity.issuer} ${parsed.identity.subject ?? parsed.identity.subjectRegExp?.source ?? ''}`.slice(0, 200);
  }
}

export class TrustSettings {
  private readonly cache = new Map<string, { policy: TrustPolicy; until: number }>();

  constructor(private readonly db: Kysely<Database>, private readonly record: ChangeRecorder = IGNORE_CHANGES, private readonly now: () => number = Date.now) {}

  /** The project's policy with its signers (off when none was set); no access check: for the gate. */
  async of(project: string): Promise<TrustPolicy> {
    const hit = this.cache.get(project);
    if (hit && hit.until > this.now()) return hit.policy;
    const p = await findProject(this.db, project);
    const row = p ? await findTrustPolicy(this.db, p.id) : undefined;
    const policy: TrustPolicy = p && row ? {
      mode: (TRUST_MODES as readonly string[]).includes(row.mode) ? row.mode as TrustMode : 'off',
      exempt: JSON.parse(row.exempt) as string[],
      version: Number(row.version),
      signers: (await trustSigners(this.db, p.id)).map((s) => ({ name: s.name, kind: s.kind as SignerKind, material: s.material })),
    } : OFF;
    // Read on every gated pull: a moment's cache; changes on this instance are seen at once.
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(project, { policy, until: this.now() + 1000 });
    return policy;
  }

  async get(actor: Actor | undefined, project: string): Promise<{ mode: TrustMode; exempt: string[]; version: number; signers: SignerView[] }> {
    const p = await requireVisibleProject(this.db, actor, project);
    const policy = await this.of(project);
    const signers = (await trustSigners(this.db, p.id)).map((s) => ({
      name: s.name, kind: s.kind as SignerKind, fingerprint: s.fingerprint, createdAt: new Date(Number(s.created_at)).toISOString(), createdBy: s.created_by,
    }));
    return { mode: policy.mode, exempt: [...policy.exempt], version: policy.version, signers };
  }

  async update(actor: Actor, project: string, changes: { mode?: TrustMode; exempt?: readonly string[] }): Promise<{ mode: TrustMode; exempt: string[]; version: number; signers: SignerView[] }> {
    const p = await requireOwnedProject(this.db, actor, project);
    const current = await this.of(project);
    const mode = changes.mode ?? current.mode;
    const exempt = changes.exempt ?? current.exempt;
    if (!TRUST_MODES.includes(mode)) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'mode must be off, audit or enforce' });
    if (exempt.length > 1000 || exempt.some((a) => typeof a !== 'string' || !a || a.length > 200)) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'exempt accounts are up to 1000 user or robot names' });
    if (mode === 'enforce' && !(await trustSigners(this.db, p.id)).length) {
      throw new RegistryError('INVALID_REQUEST', undefined, { message: `enforcing needs a trusted signer first: add one with berth trust key add ${project} NAME --key FILE` });
    }
    await saveTrustPolicy(this.db, p.id, { mode, exempt: JSON.stringify(exempt) }, this.now());
    this.cache.delete(project);
    await this.record({ action: 'trust.policy', actor, project, detail: { ...(changes.mode ? { mode } : {}), ...(changes.exempt ? { exempt: [...exempt] } : {}) } });
    return this.get(actor, project);
  }

  async addSigner(actor: Actor, project: string, input: { name: string; kind?: SignerKind; material: string }): Promise<SignerView> {
    const p = await requireOwnedProject(this.db, actor, project);
    const invalid = (message: string) => new RegistryError('INVALID_REQUEST', undefined, { message });
    if (!NAME.test(input.name)) throw invalid('a signer\'s name is 1 to 64 letters, digits, spaces, ".", "_" and "-"');
    if (input.material.length > MAX_MATERIAL) throw invalid(`the key is larger than ${MAX_MATERIAL} bytes`);
    const kind = input.kind ?? detectKind(input.material);
    if (!kind || !SIGNER_KINDS.includes(kind)) throw invalid('give a PEM public key (cosign.pub), an armored OpenPGP public key (gpg --armor --export), a PEM certificate (a Notation trust store) or a keyless identity JSON');
    let parsed: ParsedSigner;
    try {
      parsed = await parseSigner(kind, input.material);
    } catch (error) {
      if (error instanceof SignerError) throw invalid(error.message);
      throw error;
    }
    const existing = await trustSigners(this.db, p.id);
    if (existing.some((s) => s.name === input.name)) throw new RegistryError('CONFLICT', undefined, { message: `project ${project} already trusts a signer named ${input.name}` });
    if (existing.length >= MAX_SIGNERS) throw invalid(`a project trusts at most ${MAX_SIGNERS} signers`);
    const now = this.now();
    const fingerprint = fingerprintOf(parsed, input.material);
    await this.db.transaction().execute(async (trx) => {
      await insertTrustSigner(trx, p.id, { name: input.name, kind, material: input.material.trim(), fingerprint, created_at: now, created_by: actor.name });
      const current = await findTrustPolicy(trx, p.id);
      await saveTrustPolicy(trx, p.id, { mode: current?.mode ?? 'off', exempt: current?.exempt ?? '[]' }, now);
    });
    this.cache.delete(project);
    await this.record({ action: 'trust.key.add', actor, project, target: input.name, detail: { kind, fingerprint } });
    return { name: input.name, kind, fingerprint, createdAt: new Date(now).toISOString(), createdBy: actor.name };
  }

  async removeSigner(actor: Actor, project: string, name: string): Promise<void> {
    const p = await requireOwnedProject(this.db, actor, project);
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      if (!(await deleteTrustSigner(trx, p.id, name))) throw new RegistryError('NOT_FOUND', undefined, { message: `project ${project} has no trusted signer named ${name}` });
      const current = await findTrustPolicy(trx, p.id);
      // update() refuses enforce without a signer; removing the last one while enforcing would
      // reach the same state by the back door (every pull refused, naming no signer).
      if (current?.mode === 'enforce' && !(await trustSigners(trx, p.id)).length) {
        throw new RegistryError('INVALID_REQUEST', undefined, { message: `${name} is the last trusted signer of project ${project}, which enforces its trust policy: trust another signer first, or set the mode to audit or off (berth trust policy ${project} --mode audit)` });
      }
      await saveTrustPolicy(trx, p.id, { mode: current?.mode ?? 'off', exempt: current?.exempt ?? '[]' }, now);
    });
    this.cache.delete(project);
    await this.record({ action: 'trust.key.remove', actor, project, target: name });
  }
}
