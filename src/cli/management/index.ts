// Picks where identity commands act: a running server (--url) or the local store (--data/--config).
import { CliError } from '../cli-error.ts';
import { openLocal } from './local.ts';
import { openRemote } from './remote.ts';
import type { Management } from './types.ts';

export type { Management } from './types.ts';

export interface TargetFlags {
  readonly data?: string;
  readonly config?: string;
  readonly url?: string;
  readonly user?: string;
}

/**
 * With --url, signs in as --user with BERTH_PASSWORD, or with the line read by `readLoginPassword`
 * (when --password-stdin carries the login password rather than a new one).
 */
export async function openManagement(flags: TargetFlags, readLoginPassword?: () => Promise<string>): Promise<Management> {
  if (flags.url) {
    if (flags.data || flags.config) {
      process.stderr.write('berth: note: --url given, so --data and --config are ignored\n');
    }
    let password = process.env.BERTH_PASSWORD;
    if (flags.user && readLoginPassword) password = await readLoginPassword();
    if (flags.user && (password === undefined || password === '')) {
      throw new CliError(`--user ${flags.user} needs a password or access token`, 'Set BERTH_PASSWORD, or pipe it with --password-stdin.');
    }
    return openRemote({ url: flags.url, ...(flags.user ? { user: flags.user } : {}), ...(password !== undefined ? { password } : {}) });
  }
  return openLocal({ ...(flags.config ? { config: flags.config } : {}), ...(flags.data ? { data: flags.data } : {}) });
}
