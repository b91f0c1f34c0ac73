// Tag immutability (docs/immutability.md): per-project rules of a repository pattern and a tag
// pattern; a tag they cover cannot be moved to another digest or deleted, by any client or any
// path through the registry (a push, a retag, a tag delete, a delete by digest that would take it
// along, retention, a rollback). cosign's signature tags may always gain signatures.
import type { ApiRoute } from '../../http/api/route.ts';
import type { Feature, FeatureContext } from '../feature.ts';
import { enforceImmutability } from './enforce.ts';
import { ImmutabilityRules } from './rules.ts';
import { immutabilityRoutes } from './routes.ts';

export interface ImmutabilityFeature extends Feature {
  readonly rules: ImmutabilityRules;
}

export function immutabilityServices(ctx: Pick<FeatureContext, 'db' | 'record'>): ImmutabilityRules {
  return new ImmutabilityRules(ctx.db, ctx.record);
}

export function enableImmutability(ctx: FeatureContext): ImmutabilityFeature {
  const rules = immutabilityServices(ctx);
  const routes: ApiRoute[] = ctx.identity ? immutabilityRoutes({ rules, registry: ctx.registry, authorizer: ctx.identity.authorizer }) : [];
  return {
    name: 'immutability',
    capabilities: ['immutability'],
    routes,
    rules,
    inTransaction: enforceImmutability,
  };
}
