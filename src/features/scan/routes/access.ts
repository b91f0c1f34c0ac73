// Who may see and do what in the scan routes, in the API's usual terms: a repository the caller
// may not pull is answered 404 as if missing; scanning needs push; the feed is the administrators'.
import type { Authorizer } from '../../../auth/authorizer.ts';
import { isAdmin } from '../../../auth/directory/actor.ts';
import type { Principal } from '../../../auth/principal.ts';
import { RegistryError } from '../../../core/errors.ts';
import { isValidRepositoryName } from '../../../core/reference.ts';
import type { ManifestInfo } from '../../../registry/manifests.ts';
import type { Registry } from '../../../registry/registry.ts';

export const notFound = (name: string): RegistryError => new RegistryError('NOT_FOUND', { repository: name.slice(0, 300) }, { message: `no repository ${name.slice(0, 300)}` });

export function requireAdministrator(actor: Principal | undefined): void {
  if (!actor || !isAdmin(actor)) throw new RegistryError('DENIED', undefined, { message: 'only system administrators manage the vulnerability feed' });
}

/** The repository name of /repositories/{project}/{repository}, if the caller may pull it (else 404). */
export async function readableRepository(authorizer: Authorizer, actor: Principal | undefined, params: Record<string, string>): Promise<string> {
  const name = `${params.project}/${params.repository}`;
  if (!isValidRepositoryName(name) || !(await authorizer.allows(actor, name, 'pull'))) throw notFound(name);
  return name;
}

/** A tag or digest of the repository, resolved (404 MANIFEST_UNKNOWN when it is not there). */
export async function resolveReference(registry: Registry, repository: string, reference: string): Promise<ManifestInfo> {
  return registry.manifests.resolve(repository, reference);
}

/**
 * Answers a project-by-project visibility question once per project: the registry-wide queries
 * name many images, and the caller sees those of projects they may pull from.
 */
export function projectFilter(authorizer: Authorizer, actor: Principal | undefined): (place: { project: string; repository: string }) => Promise<boolean> {
  const seen = new Map<string, Promise<boolean>>();
  return (place) => {
    let ok = seen.get(place.project);
    if (!ok) seen.set(place.project, (ok = authorizer.allows(actor, place.repository, 'pull')));
    return ok;
  };
}
