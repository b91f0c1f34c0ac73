// Each project's immutability rules: members read them; owners, maintainers and administrators
// add and remove them, and every change is audited. The enforcement (enforce.ts) reads the rules
// inside the change's own transaction, so a rule applies from the moment it is committed, on every
// instance.
import type { Kysely } from 'kysely';
import { isAdmin, requireVisibleProject, type Actor } from '../../auth/directory/actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from '../../auth/directory/changes.ts';
import { RegistryError } from '../../core/errors.ts';
import { projectOf } from '../../core/reference.ts';
import { immutableRuleFor, patternProblem } from '../../core/tag-rules.ts';
import type { Executor } from '../../metadata/executor.ts';
import type { ProjectRow } from '../../metadata/identity/projects.ts';
import { memberRole } from '../../metadata/identity/projects.ts';
import { deleteImmutableRule, immutableRules, immutableRulesOfProject, insertImmutableRule, type ImmutableRuleRow } from '../../metadata/immutable-rules.ts';
import type { Database } from '../../metadata/schema.ts';
import type { ImmutableRuleView, ImmutableRulesView } from './views.ts';

export const MAX_RULES = 100;

export function ruleView(r: ImmutableRuleRow): ImmutableRuleView {
  return { id: r.id, repos: r.repos, tags: r.tags, createdAt: new Date(r.created_at).toISOString(), createdBy: r.created_by };
}

export class ImmutabilityRules {
  constructor(private readonly db: Kysely<Database>, private readonly record: ChangeRecorder = IGNORE_CHANGES, private readonly now: () => number = Date.now) {}

  /** The rules of a project (for members, robots with access and administrators). */
  async list(actor: Actor | undefined, project: string): Promise<ImmutableRulesView> {
    const p = await requireVisibleProject(this.db, actor, project);
    if (!(await this.isMember(actor, p))) {
      throw new RegistryError('DENIED', { project }, { message: `only members of ${project} may read its immutability rules` });
    }
    return { project, rules: (await immutableRules(this.db, p.id)).map(ruleView), editable: actor !== undefined && (await this.canChange(actor, p)) };
  }

  async add(actor: Actor, project: string, input: { repos: string; tags: string }): Promise<ImmutableRuleView> {
    const p = await this.requireChanger(actor, project);
    const repos = input.repos.trim();
    const tags = input.tags.trim();
    for (const [flag, value] of [['repos', repos], ['tags', tags]] as const) {
      const problem = patternProblem(value);
      if (problem) throw new RegistryError('INVALID_REQUEST', { [flag]: value.slice(0, 300) }, { message: `--${flag} ${value.slice(0, 100)}: ${problem}` });
    }
    if (repos.startsWith('/')) {
      throw new RegistryError('INVALID_REQUEST', { repos }, { message: `--repos ${repos}: the pattern is matched against the repository's path inside the project (app, app/api), which never starts with "/"` });
    }
    if (repos === project || repos.startsWith(`${project}/`)) {
      // "team/app" in project team would never match: the project is not part of the path.
      throw new RegistryError('INVALID_REQUEST', { repos }, { message: `--repos ${repos}: the pattern is matched against the repository's path inside ${project}, without "${project}/" (for ${project}/app write app; for every repository **)` });
    }
    const existing = await immutableRules(this.db, p.id);
    const same = existing.find((r) => r.repos === repos && r.tags === tags);
    if (same) throw new RegistryError('CONFLICT', { id: same.id }, { message: `project ${project} already has this rule (rule ${same.id}: repos ${repos} tags ${tags})` });
    if (existing.length >= MAX_RULES) throw new RegistryError('INVALID_REQUEST', undefined, { message: `a project has at most ${MAX_RULES} immutability rules` });
    const row = await insertImmutableRule(this.db, p.id, { repos, tags, createdBy: actor.name }, this.now());
    await this.record({ action: 'immutable.add', actor, project, target: String(row.id), detail: { repos, tags } });
    return ruleView(row);
  }

  /** Removes rule `id` (`shown`: the id as the caller gave it, for the message when there is none). */
  async remove(actor: Actor, project: string, id: number, shown: string = String(id)): Promise<void> {
    const p = await this.requireChanger(actor, project);
    const rules = await immutableRules(this.db, p.id);
    const rule = rules.find((r) => r.id === id);
    if (!rule || !(await deleteImmutableRule(this.db, p.id, id))) {
      throw new RegistryError('NOT_FOUND', { id: shown }, { message: `project ${project} has no immutability rule ${shown}${rules.length ? ` (its rules: ${rules.map((r) => r.id).join(', ')})` : ''}` });
    }
    await this.record({ action: 'immutable.remove', actor, project, target: String(id), detail: { repos: rule.repos, tags: rule.tags } });
  }

  /**
   * Which of these tags of the repository are immutable, and by which rule. Only tags that exist
   * are answered: an untagged digest (or a tag not pushed yet) is never shown as immutable.
   */
  async tagsOf(db: Executor, repository: string, repositoryId: number | undefined, tags: readonly string[]): Promise<Map<string, ImmutableRuleRow | undefined>> {
    const out = new Map<string, ImmutableRuleRow | undefined>();
    if (repositoryId === undefined || !tags.length) return out;
    const present = await db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId).where('name', 'in', [...tags]).execute();
    if (!present.length) return out;
    const rules = await immutableRulesOfProject(db, projectOf(repository));
    for (const { name } of present) out.set(name, immutableRuleFor(rules, repository, name));
    return out;
  }

  private async isMember(actor: Actor | undefined, p: ProjectRow): Promise<boolean> {
    if (!actor) return false;
    if (isAdmin(actor)) return true;
    if (actor.kind === 'robot') return actor.permissions.has(p.name);
    if (actor.kind === 'user') return (await memberRole(this.db, p.id, actor.id)) !== undefined;
    return false;
  }

  private async canChange(actor: Actor, p: ProjectRow): Promise<boolean> {
    if (isAdmin(actor)) return true;
    if (actor.kind !== 'user' || actor.limit) return false;
    const role = await memberRole(this.db, p.id, actor.id);
    return role === 'owner' || role === 'maintainer';
  }

  private async requireChanger(actor: Actor, project: string): Promise<ProjectRow> {
    const p = await requireVisibleProject(this.db, actor, project);
    if (!(await this.canChange(actor, p))) {
      throw new RegistryError('DENIED', { project }, { message: `only owners and maintainers of ${project} and administrators may change its immutability rules` });
    }
    return p;
  }
}
