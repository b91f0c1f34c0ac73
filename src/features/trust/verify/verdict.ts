// Building verdicts, and choosing the most telling problem when every trusted signer failed. Pure.
import type { ProblemCode, SignatureClaims, SignatureFormat, SignatureProblem, SignatureVerdict } from './types.ts';

// Most specific first: "a trusted signer signed another image" says more than "no key matched".
const SPECIFICITY: readonly ProblemCode[] = [
  'malformed', 'digest-mismatch', 'expired-signature', 'expired-certificate', 'identity-mismatch', 'untrusted-chain', 'wrong-key', 'unsupported',
];

export function mostSpecific(problems: readonly SignatureProblem[]): SignatureProblem | undefined {
  let best: SignatureProblem | undefined;
  for (const p of problems) {
    if (!best || SPECIFICITY.indexOf(p.code) < SPECIFICITY.indexOf(best.code)) best = p;
  }
  return best;
}

const withClaims = (claims: SignatureClaims | undefined) => (claims && Object.keys(claims).length ? { claims } : {});

export function pass(format: SignatureFormat, signer: string, claims?: SignatureClaims): SignatureVerdict {
  return { format, ok: true, signer, ...withClaims(claims) };
}

export function fail(format: SignatureFormat, problem: SignatureProblem, claims?: SignatureClaims): SignatureVerdict {
  return { format, ok: false, problem, ...withClaims(claims) };
}

export function problem(code: ProblemCode, message: string): SignatureProblem {
  return { code, message };
}

export const names = (signers: readonly { name: string }[]) => signers.map((s) => JSON.stringify(s.name)).join(', ');
