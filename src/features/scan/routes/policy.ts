// /api/v1/projects/{name}/scan-policy: a project's scan on push and vulnerability policy. Members
// (anyone, for a public project) read it; owners and administrators change it, and the change is
// audited.
import { z } from 'zod';
import { route, type ApiRoute } from '../../../http/api/route.ts';
import { PREVENT_SEVERITIES, type PreventSeverity, type ScanPolicy } from '../policy.ts';
import type { ScanRouteDeps } from './deps.ts';
import { ScanPolicySchema } from '../views.ts';

const Allow = z.strictObject({
  id: z.string().min(3).max(100).describe('an advisory id or alias: CVE-2024-1234, GHSA-..., DSA-...'),
  expiresAt: z.string().max(40).optional().describe('ISO 8601; the entry stops counting after it'),
  reason: z.string().max(500).optional(),
});
const PolicyPatch = z.strictObject({
  scanOnPush: z.boolean().optional(),
  preventSeverity: z.enum(PREVENT_SEVERITIES as [PreventSeverity, ...PreventSeverity[]]).optional(),
  fixableOnly: z.boolean().optional(),
  preventUnscanned: z.boolean().optional(),
  graceSeconds: z.number().int().min(0).max(30 * 86400).optional(),
  allowlist: z.array(Allow).max(1000).optional().describe('replaces the list'),
  exempt: z.array(z.string().min(1).max(200)).max(1000).optional().describe('replaces the list'),
});

export function policyRoutes(deps: ScanRouteDeps): ApiRoute[] {
  const resource = 'scan_policy';
  const view = (p: ScanPolicy): z.infer<typeof ScanPolicySchema> => ({ ...p, allowlist: [...p.allowlist], exempt: [...p.exempt] });
  return [
    route({
      method: 'GET', path: '/projects/{name}/scan-policy', resource, auth: 'optional', summary: "A project's scan on push setting and vulnerability policy",
      status: 200, response: ScanPolicySchema, errors: [404],
      handler: async ({ actor, params }) => view(await deps.services.settings.get(actor, params.name!)),
    }),
    route({
      method: 'PATCH', path: '/projects/{name}/scan-policy', resource, auth: 'required', body: PolicyPatch,
      summary: "Change a project's scan on push setting and vulnerability policy (owners and administrators)",
      status: 200, response: ScanPolicySchema, errors: [403, 404],
      handler: async ({ actor, params, body }) => {
        const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
        return view(await deps.services.settings.update(actor, params.name!, changes));
      },
    }),
  ];
}
