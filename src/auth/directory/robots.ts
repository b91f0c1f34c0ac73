// Robot accounts for CI: robot$<project>+<name> with chosen permissions on one project (or,
// created by an admin, on several: robot$<name>). The secret is shown once and stored hashed.
import { RegistryError } from '../../core/errors.ts';
import { parseDuration, robotAccountName, robotNameProblem } from '../../core/account-names.ts';
import type { Kysely } from 'kysely';
import type { Database } from '../../metadata/schema.ts';
import { deleteRobot, findRobot, insertRobot, listRobots, robotPermissions, robotsOfProject, setRobotPermission, updateRobot, type RobotRow } from '../../metadata/identity/robots.ts';
import { findProject } from '../../metadata/identity/projects.ts';
import { hashSecret, newSecret } from '../passwords.ts';
import { parsePermissions } from '../principal.ts';
import { canSeeProject, isAdmin, requireAdmin, requireOwnedProject, requireProjectOwner, type Actor } from './actor.ts';
import { IGNORE_CHANGES, type ChangeRecorder } from './changes.ts';

export interface RobotView {
  readonly name: string;
  readonly description: string;
  readonly permissions: { project: string; actions: string[] }[];
  readonly expiresAt: string | null;
  readonly disabled: boolean;
  readonly expired: boolean;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface CreateRobot {
  /** Projects with the actions the robot gets on each. One project: robot$<project>+<name>. */
  readonly permissions: { project: string; actions: string }[];
  readonly name: string;
  readonly description?: string;
  /** e.g. "30d"; undefined means no expiry. */
  readonly expiresIn?: string;
}

export class RobotService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
    private readonly record: ChangeRecorder = IGNORE_CHANGES,
  ) {}

  /** Creates the robot and returns its secret, which is never shown again. */
  async create(actor: Actor, req: CreateRobot): Promise<{ robot: RobotView; secret: string }> {
    const problem = robotNameProblem(req.name);
    if (problem) throw new RegistryError('INVALID_REQUEST', { name: req.name }, { message: `robot name ${problem}` });
    if (!req.permissions.length) throw new RegistryError('INVALID_REQUEST', undefined, { message: 'a robot needs permissions on at least one project' });
    if (req.permissions.length > 1) requireAdmin(actor);
    const projects: { id: number; actions: string }[] = [];
    for (const p of req.permissions) {
      const parsed = parsePermissions(p.actions);
      if ('problem' in parsed) throw new RegistryError('INVALID_REQUEST', { actions: p.actions.slice(0, 200) }, { message: parsed.problem });
      const project = await requireOwnedProject(this.db, actor, p.project);
      const actions = [...parsed.actions];
      // Official images: only admins hand out push or delete on library.
      if (project.name === 'library' && actions.some((a) => a !== 'pull') && !isAdmin(actor)) requireAdmin(actor);
      projects.push({ id: project.id, actions: actions.join(',') });
    }
    let expiresAt: number | null = null;
    if (req.expiresIn !== undefined) {
      const ms = parseDuration(req.expiresIn);
      if (!ms) throw new RegistryError('INVALID_REQUEST', { expiresIn: req.expiresIn }, { message: 'expiresIn must look like 30d, 12h or 3600s' });
      expiresAt = this.now() + ms;
    }
    const name = robotAccountName(req.permissions.length === 1 ? req.permissions[0]!.project : undefined, req.name);
    if (await findRobot(this.db, name)) throw new RegistryError('CONFLICT', { name }, { message: `robot ${name} already exists` });
    const secret = newSecret();
    const now = this.now();
    await this.db.transaction().execute(async (trx) => {
      const id = await insertRobot(trx, { name, secretHash: hashSecret(secret), description: req.description ?? '', expiresAt, createdBy: actor.name }, now);
      for (const p of projects) await setRobotPermission(trx, id, p.id, p.actions);
    });
    const robot = await this.view((await findRobot(this.db, name))!);
    await this.record({
      action: 'robot.create', actor, target: name, ...(req.permissions.length === 1 ? { project: req.permissions[0]!.project } : {}),
      detail: { permissions: robot.permissions, expiresAt: robot.expiresAt },
    });
    return { robot, secret };
  }

  async list(actor: Actor, project?: string): Promise<RobotView[]> {
    if (project === undefined) {
      requireAdmin(actor);
      return Promise.all((await listRobots(this.db)).map((r) => this.view(r)));
    }
    const p = await requireOwnedProject(this.db, actor, project);
    return Promise.all((await robotsOfProject(this.db, p.id)).map((r) => this.view(r)));
  }

  /** Disabling ends at once every token minted from the robot's secret; enabling revives none. */
  async setDisabled(actor: Actor, name: string, disabled: boolean): Promise<RobotView> {
    const robot = await this.manageable(actor, name);
    await updateRobot(this.db, robot.id, { disabled: disabled ? 1 : 0 });
    await this.record({ action: disabled ? 'robot.disable' : 'robot.enable', actor, target: name, ...(await this.projectOf(robot)) });
    return this.view((await findRobot(this.db, name))!);
  }

  /** A new secret; the old one, and every token minted from it, stop working at once. */
  async rotate(actor: Actor, name: string): Promise<{ robot: RobotView; secret: string }> {
    const robot = await this.manageable(actor, name);
    const secret = newSecret();
    await updateRobot(this.db, robot.id, { secret_hash: hashSecret(secret) });
    await this.record({ action: 'robot.rotate', actor, target: name, ...(await this.projectOf(robot)) });
    return { robot: await this.view(robot), secret };
  }

  async remove(actor: Actor, name: string): Promise<void> {
    const robot = await this.manageable(actor, name);
    const project = await this.projectOf(robot);
    await deleteRobot(this.db, robot.id);
    await this.record({ action: 'robot.delete', actor, target: name, ...project });
  }

  /**
   * Owners of every project the robot touches, or admins, may manage it. To anyone who may not
   * see one of those projects, the robot does not exist (its name carries the project's).
   */
  private async manageable(actor: Actor, name: string): Promise<RobotRow> {
    const missing = () => new RegistryError('NOT_FOUND', { robot: name }, { message: `no robot named ${name}` });
    const robot = await findRobot(this.db, name);
    if (!robot) throw missing();
    if (!isAdmin(actor)) {
      const perms = await robotPermissions(this.db, robot.id);
      if (!perms.length) throw missing();
      for (const p of perms) {
        const project = await findProject(this.db, p.project);
        if (!project || !(await canSeeProject(this.db, actor, project))) throw missing();
        await requireProjectOwner(this.db, actor, project);
      }
    }
    return robot;
  }

  /** The project a robot was made for, for its audit entries. */
  private async projectOf(robot: RobotRow): Promise<{ project?: string }> {
    const m = /^robot\$([^+]+)\+/.exec(robot.name);
    if (m) return { project: m[1]! };
    const perms = await robotPermissions(this.db, robot.id);
    return perms.length === 1 ? { project: perms[0]!.project } : {};
  }

  private async view(r: RobotRow): Promise<RobotView> {
    const perms = await robotPermissions(this.db, r.id);
    return {
      name: r.name,
      description: r.description,
      permissions: perms.map((p) => ({ project: p.project, actions: p.actions.split(',') })),
      expiresAt: r.expires_at === null ? null : new Date(r.expires_at).toISOString(),
      disabled: r.disabled === 1,
      expired: r.expires_at !== null && r.expires_at <= this.now(),
      createdBy: r.created_by,
      createdAt: new Date(r.created_at).toISOString(),
    };
  }
}
