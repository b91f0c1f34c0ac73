// Signatures and trust policies (docs/trust.md): cosign signatures (the legacy .sig tag and
// Sigstore bundles), Notation signatures and the GPG signatures skopeo and podman store through
// the signature API extension, verified against each project's trusted signers; per-project
// modes off, audit and enforce, the last refusing the pull of an image no trusted signer signed.
// The checks are pure (verify/); enable(ctx) wires the stored policy, the verdicts, the pull gate
// and the API routes.
import type { ApiRoute } from '../../http/api/route.ts';
import type { Feature, FeatureContext } from '../feature.ts';
import { SignatureFinder } from './finder.ts';
import { TrustPullGate } from './gate.ts';
import { trustRoutes } from './routes.ts';
import { TrustSettings } from './settings.ts';
import { TrustVerdicts } from './verdicts.ts';

export interface TrustServices {
  readonly settings: TrustSettings;
  readonly verdicts: TrustVerdicts;
}

export function trustServices(ctx: Pick<FeatureContext, 'db' | 'registry' | 'storage' | 'record'>): TrustServices {
  const settings = new TrustSettings(ctx.db, ctx.record);
  const verdicts = new TrustVerdicts(ctx.db, ctx.registry.repositories, settings, new SignatureFinder(ctx.registry, ctx.storage));
  return { settings, verdicts };
}

export interface TrustFeature extends Feature {
  readonly services: TrustServices;
}

export function enableTrust(ctx: FeatureContext): TrustFeature {
  const services = trustServices(ctx);
  const routes: ApiRoute[] = ctx.identity
    ? trustRoutes({ ...services, registry: ctx.registry, authorizer: ctx.identity.authorizer })
    : [];
  return {
    name: 'trust',
    capabilities: ['trust'],
    routes,
    services,
    pullGates: [new TrustPullGate(ctx.db, services.settings, services.verdicts, ctx.record)],
  };
}
