// An LDAP directory as a password provider (docs/access.md, LDAP), on ldapts: Berth binds as
// its service account (bindDN), finds the user with userFilter (values escaped, RFC 4515),
// checks the password by binding as the user on a connection of its own, and reads the user's
// groups with groupFilter. ldaps:// and StartTLS verify the directory's certificate against
// caFile (or the system's CAs). Every operation has a timeout; a directory that cannot be
// reached is "unavailable", never a crash, and nothing about it ends up in a client's answer.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError, type Entry } from 'ldapts';
import type { LdapProviderConfig } from '../../core/config.ts';
import type { ExternalCheck, ExternalUser, PasswordProvider } from '../external/provider.ts';
import { expandFilter, ldapUsernameProblem } from './filter.ts';

export class LdapProvider implements PasswordProvider {
  readonly type = 'ldap';
  readonly name: string;
  readonly displayName: string;
  readonly checkIntervalMs: number;
  private readonly bindPassword: string;
  private readonly tls: ConnectionOptions | undefined;

  constructor(private readonly config: LdapProviderConfig) {
    this.name = config.name;
    this.displayName = config.displayName || config.name;
    this.checkIntervalMs = config.checkIntervalSeconds * 1000;
    this.bindPassword = config.bindPasswordFile ? readFileSync(config.bindPasswordFile, 'utf8').replace(/\r?\n$/, '') : config.bindPassword;
    const secure = config.url.toLowerCase().startsWith('ldaps:') || config.startTLS;
    this.tls = secure ? { ...(config.caFile ? { ca: readFileSync(config.caFile) } : {}), minVersion: 'TLSv1.2' } : undefined;
  }

  async authenticate(username: string, password: string): Promise<ExternalCheck> {
    if (ldapUsernameProblem(username)) return { status: 'invalid' };
    // An empty password would be an "unauthenticated bind", which directories accept as anonymous.
    if (password === '') return { status: 'invalid' };
    return this.withService(async (client) => {
      const entry = await this.findUser(client, this.config.userBase, 'sub', username);
      if (!entry) return { status: 'invalid' };
      // The password goes only over a connection as protected as the service account's.
      const user = await this.open();
      try {
        await user.client.bind(entry.dn, password);
      } catch (error) {
        if (error instanceof InvalidCredentialsError) return { status: 'invalid' };
        throw error;
      } finally {
        await user.close();
      }
      return { status: 'ok', user: await this.userOf(client, entry, username) };
    });
  }

  async refresh(subject: string, username: string): Promise<ExternalCheck> {
    return this.withService(async (client) => {
      let entry: Entry | undefined;
      try {
        // The entry itself, still matching the user filter.
        entry = await this.findUser(client, subject, 'base', username);
      } catch (error) {
        if (error instanceof NoSuchObjectError) return { status: 'gone' };
        throw error;
      }
      if (!entry) return { status: 'gone' };
      return { status: 'ok', user: await this.userOf(client, entry, username) };
    });
  }

  private async withService(fn: (client: Client) => Promise<ExternalCheck>): Promise<ExternalCheck> {
    let conn: { client: Client; close: () => Promise<void> };
    try {
      conn = await this.open();
    } catch (error) {
      return { status: 'unavailable', reason: describe(error) };
    }
    try {
      if (this.config.bindDN) {
        try {
          await conn.client.bind(this.config.bindDN, this.bindPassword);
        } catch (error) {
          return { status: 'unavailable', reason: `the service account ${this.config.bindDN} could not bind: ${describe(error)}` };
        }
      }
      return await fn(conn.client);
    } catch (error) {
      return { status: 'unavailable', reason: describe(error) };
    } finally {
      await conn.close();
    }
  }

  /** A connection, upgraded with StartTLS when configured (before anything else is sent). */
  private async open(): Promise<{ client: Client; close: () => Promise<void> }> {
    const conn = this.connect();
    if (this.config.startTLS) {
      try {
        await conn.client.startTLS({ ...this.tls, host: this.host });
      } catch (error) {
        await conn.close();
        throw error;
      }
    }
    return conn;
  }

  private get host(): string {
    return new URL(this.config.url).hostname.replace(/^\[|\]$/g, '');
  }

  private connect(): { client: Client; close: () => Promise<void> } {
    const client = new Client({
      url: this.config.url,
      timeout: this.config.timeoutMs,
      connectTimeout: this.config.timeoutMs,
      // Only for ldaps://: given with ldap:// too, ldapts would speak TLS at once instead of after StartTLS.
      ...(this.tls && !this.config.startTLS ? { tlsOptions: this.tls } : {}),
      strictDN: false,
    });
    return { client, close: async () => { await client.unbind().catch(() => {}); } };
  }

  private async findUser(client: Client, base: string, scope: 'sub' | 'base', username: string): Promise<Entry | undefined> {
    const filter = expandFilter(this.config.userFilter, { username });
    const { searchEntries } = await client.search(base, {
      scope, filter, sizeLimit: 2,
      attributes: [this.config.usernameAttribute, this.config.emailAttribute, this.config.displayNameAttribute],
    });
    // Two entries for one name: the filter is too wide; refuse rather than pick one.
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  private async userOf(client: Client, entry: Entry, typed: string): Promise<ExternalUser> {
    const username = first(entry[this.config.usernameAttribute]) ?? typed;
    const email = first(entry[this.config.emailAttribute]);
    const displayName = first(entry[this.config.displayNameAttribute]);
    const groups: string[] = [];
    if (this.config.groupBase) {
      const filter = expandFilter(this.config.groupFilter, { dn: entry.dn, username });
      const { searchEntries } = await client.search(this.config.groupBase, { scope: 'sub', filter, attributes: [this.config.groupNameAttribute] });
      for (const g of searchEntries) {
        const name = first(g[this.config.groupNameAttribute]);
        if (name && !groups.includes(name)) groups.push(name);
      }
    }
    return { subject: entry.dn, username, ...(email ? { email } : {}), ...(displayName ? { displayName } : {}), groups: groups.sort() };
  }
}

function first(value: Entry[string] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('utf8');
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 300);
  return String(error).slice(0, 300);
}
