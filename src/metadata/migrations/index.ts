// Versioned migrations, in order. Each has a numbered file; never edit one that has shipped.
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as m001 from './001-registry.ts';
import * as m002 from './002-identity.ts';
import * as m003 from './003-webhooks.ts';
import * as m004 from './004-discovery.ts';
import * as m005 from './005-webhook-safety.ts';
import * as m006 from './006-jobs.ts';
import * as m007 from './007-scan.ts';
import * as m008 from './008-signatures.ts';
import * as m009 from './009-trust.ts';
import * as m010 from './010-lifecycle.ts';
import * as m011 from './011-scan-package-keys.ts';
import * as m012 from './012-name-substrings.ts';
import * as m013 from './013-upload-hash-state.ts';
import * as m014 from './014-proxy.ts';
import * as m016 from './016-identity-providers.ts';
import * as m015 from './015-replication.ts';
import * as m018 from './018-oidc-logins.ts';
import * as m017 from './017-short-description.ts';
import * as m019 from './019-replication-prefix.ts';

export interface MigrationContext {
  readonly dialect: 'sqlite' | 'postgres';
}

type Step = { up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void> };

const steps: Record<string, Step> = {
  '001-registry': m001,
  '002-identity': m002,
  '003-webhooks': m003,
  '004-discovery': m004,
  '005-webhook-safety': m005,
  '006-jobs': m006,
  '007-scan': m007,
  '008-signatures': m008,
  '009-trust': m009,
  '010-lifecycle': m010,
  '011-scan-package-keys': m011,
  '012-name-substrings': m012,
  '013-upload-hash-state': m013,
  '014-proxy': m014,
  '016-identity-providers': m016,
  '015-replication': m015,
  '018-oidc-logins': m018,
  '017-short-description': m017,
  '019-replication-prefix': m019,
};

export class BerthMigrations implements MigrationProvider {
  constructor(private readonly ctx: MigrationContext) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, step] of Object.entries(steps)) out[name] = { up: (db) => step.up(db, this.ctx) };
    return out;
  }
}
