// Changes to users, projects, members, robots, access tokens and badges, as the directory
// services report them for the audit log. The services report every change they make, whoever
// asks (the API as a signed-in account, the offline CLI as the local system), so no caller can
// make one unrecorded. Secrets never appear in a change.
import type { Actor } from './actor.ts';

export interface DirectoryChange {
  /** e.g. user.create, project.delete, member.set, robot.rotate, token.revoke, project.badge */
  readonly action: string;
  readonly actor: Actor;
  /** The project the change concerns, if any (owners read their project's entries). */
  readonly project?: string;
  /** What was changed: a user, robot or token name, a member. */
  readonly target?: string;
  /** Further non-secret facts (a role, a visibility, the badges set). */
  readonly detail?: Record<string, unknown>;
}

export type ChangeRecorder = (change: DirectoryChange) => void | Promise<void>;

export const IGNORE_CHANGES: ChangeRecorder = () => {};
