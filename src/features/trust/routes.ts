// /api/v1 routes of the trust feature: a project's trust policy and trusted signers (members, or
// anyone for a public project, read them; owners and administrators change them, audited), and
// an image's signature verdict (whoever may pull it). Unknown or unreadable repositories are 404.
import { z } from 'zod';
import type { Authorizer } from '../../auth/authorizer.ts';
import type { Principal } from '../../auth/principal.ts';
import { RegistryError } from '../../core/errors.ts';
import { isValidRepositoryName, projectOf } from '../../core/reference.ts';
import { route, type ApiRoute } from '../../http/api/route.ts';
import type { Registry } from '../../registry/registry.ts';
import type { TrustSettings } from './settings.ts';
import type { TrustVerdicts } from './verdicts.ts';
import { SignerSchema, summaryView, TrustPolicySchema, TrustSummarySchema, verdictView, VerdictSchema } from './views.ts';

export interface TrustRouteDeps {
  readonly settings: TrustSettings;
  readonly verdicts: TrustVerdicts;
  readonly registry: Registry;
  readonly authorizer: Authorizer;
}

const PolicyPatch = z.strictObject({
  mode: z.enum(['off', 'audit', 'enforce']).optional(),
  exempt: z.array(z.string().min(1).max(200)).max(1000).optional().describe('replaces the list: accounts never refused (the replication and scanning robots)'),
});
const NewSigner = z.strictObject({
  name: z.string().min(1).max(64),
  key: z.string().min(1).max(256 * 1024).describe('a PEM public key (cosign.pub), an armored OpenPGP public key (gpg --armor --export), PEM certificates of a Notation trust store, or a keyless identity JSON {issuer, subject | subjectRegExp, trustedRoot}'),
  kind: z.enum(['key', 'pgp', 'x509', 'keyless']).optional().describe('found from the key when left out'),
});
const SummaryQuery = z.object({ digests: z.string().max(100 * 80).describe('comma-separated manifest digests (at most 100)') });

async function readable(authorizer: Authorizer, actor: Principal | undefined, params: Record<string, string>): Promise<string> {
  const name = `${params.project}/${params.repository}`;
  if (!isValidRepositoryName(name) || !(await authorizer.allows(actor, name, 'pull'))) {
    throw new RegistryError('NOT_FOUND', { repository: name.slice(0, 300) }, { message: `no repository ${name.slice(0, 300)}` });
  }
  return name;
}

export function trustRoutes(deps: TrustRouteDeps): ApiRoute[] {
  const { settings, verdicts, registry, authorizer } = deps;
  const policyView = async (actor: Principal | undefined, project: string) => ({ project, ...(await settings.get(actor, project)) });
  return [
    route({
      method: 'GET', path: '/projects/{name}/trust-policy', resource: 'trust_policy', auth: 'optional',
      summary: "A project's trust policy: its mode, exempt accounts and trusted signers",
      status: 200, response: TrustPolicySchema, errors: [404],
      handler: async ({ actor, params }) => policyView(actor, params.name!),
    }),
    route({
      method: 'PATCH', path: '/projects/{name}/trust-policy', resource: 'trust_policy', auth: 'required', body: PolicyPatch,
      summary: "Change a project's trust mode (off, audit, enforce) or exempt accounts (owners and administrators)",
      status: 200, response: TrustPolicySchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => {
        await settings.update(actor, params.name!, { ...(body.mode ? { mode: body.mode } : {}), ...(body.exempt ? { exempt: body.exempt } : {}) });
        return policyView(actor, params.name!);
      },
    }),
    route({
      method: 'GET', path: '/projects/{name}/trust-keys', resource: 'trust_keys', auth: 'optional',
      summary: "The project's trusted signers (keys and identities), each with its name",
      status: 200, response: z.object({ signers: z.array(SignerSchema) }), errors: [404],
      handler: async ({ actor, params }) => ({ signers: (await settings.get(actor, params.name!)).signers }),
    }),
    route({
      method: 'POST', path: '/projects/{name}/trust-keys', resource: 'trust_keys', auth: 'required', body: NewSigner,
      summary: 'Trust one more signer (owners and administrators); the key is checked before it is stored',
      status: 201, response: SignerSchema, errors: [403, 404, 409],
      handler: async ({ actor, params, body }) => settings.addSigner(actor, params.name!, { name: body.name, material: body.key, ...(body.kind ? { kind: body.kind } : {}) }),
    }),
    route({
      method: 'DELETE', path: '/projects/{name}/trust-keys/{key}', resource: 'trust_keys', auth: 'required',
      summary: 'Stop trusting a signer (owners and administrators); images only it signed are unsigned from now on',
      status: 204, errors: [403, 404],
      handler: async ({ actor, params }) => { await settings.removeSigner(actor, params.name!, params.key!); },
    }),
    route({
      method: 'GET', path: '/repositories/{project}/{repository}/trust/{reference}', resource: 'trust_verdicts', auth: 'optional',
      summary: "Whether an image is signed by a signer its project trusts: each signature found, and why those that fail do",
      status: 200, response: VerdictSchema, errors: [404],
      handler: async ({ actor, params }) => {
        const name = await readable(authorizer, actor, params);
        const info = await registry.manifests.resolve(name, params.reference!);
        const policy = await settings.of(projectOf(name));
        return verdictView(name, params.reference!, policy.mode, await verdicts.of(name, info.digest));
      },
    }),
    route({
      method: 'GET', path: '/repositories/{project}/{repository}/trust-summaries', resource: 'trust_verdicts', query: SummaryQuery, auth: 'optional',
      summary: 'Signature verdicts of several images at once (the tags view)',
      status: 200, response: z.object({ mode: z.enum(['off', 'audit', 'enforce']), summaries: z.record(z.string(), TrustSummarySchema) }), errors: [404],
      handler: async ({ actor, params, query }) => {
        const name = await readable(authorizer, actor, params);
        const digests = [...new Set(query.digests.split(',').map((d) => d.trim()).filter(Boolean))];
        if (digests.length > 100) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'at most 100 digests at once' });
        if (digests.some((d) => !/^sha(256|512):[0-9a-f]{64,128}$/.test(d))) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'digests are sha256:<hex>' });
        const found = await verdicts.many(name, digests);
        return { mode: (await settings.of(projectOf(name))).mode, summaries: Object.fromEntries([...found].map(([d, v]) => [d, summaryView(v)])) };
      },
    }),
  ];
}
