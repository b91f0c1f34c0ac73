// The trust feature's answers as the API and the CLI give them (zod schemas: the OpenAPI document
// and the CLI's types come from the same place).
import { z } from 'zod';
import type { TrustVerdict } from './verdicts.ts';

export const SignerSchema = z.object({
  name: z.string(),
  kind: z.enum(['key', 'pgp', 'x509', 'keyless']).describe('key: a PEM public key (cosign); pgp: an OpenPGP key (skopeo, podman --sign-by); x509: a Notation trust store certificate; keyless: a Sigstore identity'),
  fingerprint: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type SignerViewOut = z.infer<typeof SignerSchema>;

export const TrustPolicySchema = z.object({
  project: z.string(),
  mode: z.enum(['off', 'audit', 'enforce']).describe('audit records unsigned pulls; enforce refuses them'),
  exempt: z.array(z.string()).describe('accounts never refused (replication and scanning robots)'),
  version: z.number().int().describe('changes with every change of the policy or its signers'),
  signers: z.array(SignerSchema),
});
export type TrustPolicyView = z.infer<typeof TrustPolicySchema>;

const SignatureSchema = z.object({
  format: z.enum(['cosign', 'sigstore-bundle', 'notation', 'gpg']),
  source: z.object({ kind: z.string(), ref: z.string() }).describe('where it is: the .sig manifest, a referrer, or an extension signature'),
  ok: z.boolean(),
  signer: z.string().nullable().describe('the trusted signer whose key verifies it'),
  problem: z.object({ code: z.string(), message: z.string() }).nullable().describe('why it does not verify: wrong-key, digest-mismatch, expired-certificate, expired-signature, identity-mismatch, untrusted-chain, malformed, unsupported'),
  claims: z.record(z.string(), z.unknown()).nullable(),
});

export const VerdictSchema = z.object({
  repository: z.string(),
  reference: z.string(),
  digest: z.string(),
  signed: z.boolean().describe('a trusted signer signed it (or an index listing it)'),
  signers: z.array(z.string()),
  problems: z.array(z.string()),
  signatures: z.array(SignatureSchema),
  signedVia: z.string().optional().describe('the index whose signature covers this platform manifest'),
  mode: z.enum(['off', 'audit', 'enforce']),
  policyVersion: z.number().int(),
  computedAt: z.string(),
});
export type VerdictView = z.infer<typeof VerdictSchema>;

export const TrustSummarySchema = z.object({
  signed: z.boolean(),
  signers: z.array(z.string()),
  /** How many signatures were found (0: unsigned), verified or not. */
  signatures: z.number().int(),
  problems: z.array(z.string()),
  /** The problem codes of the signatures that do not verify (wrong-key, digest-mismatch, ...), for a badge. */
  problemCodes: z.array(z.string()),
});
export type TrustSummaryView = z.infer<typeof TrustSummarySchema>;

export function verdictView(repository: string, reference: string, mode: VerdictView['mode'], v: TrustVerdict): VerdictView {
  return {
    repository, reference, digest: v.digest, signed: v.signed, signers: [...v.signers], problems: [...v.problems],
    signatures: v.signatures.map((s) => ({ format: s.format, source: { ...s.source }, ok: s.ok, signer: s.signer, problem: s.problem ? { ...s.problem } : null, claims: s.claims ? { ...s.claims } : null })),
    ...(v.signedVia ? { signedVia: v.signedVia } : {}),
    mode, policyVersion: v.policyVersion, computedAt: v.computedAt,
  };
}

export function summaryView(v: TrustVerdict): TrustSummaryView {
  const problemCodes = [...new Set(v.signatures.flatMap((s) => (!s.ok && s.problem ? [s.problem.code] : [])))];
  return { signed: v.signed, signers: [...v.signers], signatures: v.signatures.length, problems: [...v.problems], problemCodes };
}
