// An error the CLI prints as "berth: <message>" followed by what to do next.
import type { RegistryError } from '../core/errors.ts';

export class CliError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** A hint for a refusal from the directory services (offline) or the API (with --url). */
export function hintFor(code: string, remote: boolean): string | undefined {
  switch (code) {
    case 'UNAUTHORIZED':
      return remote
        ? 'Check --user and the password or access token in BERTH_PASSWORD (or pipe it with --password-stdin).'
        : undefined;
    case 'TOOMANYREQUESTS':
      return 'Too many failed logins for this account: wait a few minutes, then check the password.';
    case 'DENIED':
      return remote ? 'Sign in (--user) as an administrator or an owner of the project, or run the command offline on the server with --data.' : undefined;
    case 'NOT_FOUND':
      return 'Check the name: "berth user list" and "berth project list" show what exists.';
    case 'CONFLICT':
      return 'Pick another name, or remove the existing one first.';
    case 'INVALID_REQUEST':
      return 'Run the command with --help to see what it accepts.';
    default:
      return undefined;
  }
}

export function fromRegistryError(error: RegistryError, remote: boolean): CliError {
  return new CliError(error.message, hintFor(error.code, remote));
}
