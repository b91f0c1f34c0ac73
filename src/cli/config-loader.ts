// Builds the effective configuration: defaults < config file < BERTH_<SECTION>_<KEY>
// environment variables < command-line flags. Unknown keys anywhere are errors naming the key.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configSchema, ConfigError, parseConfig, type Config } from '../core/config.ts';

type Json = Record<string, unknown>;

export function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file}: the top level must be a mapping of sections`);
  return doc as Json;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
}

/** The schema's leaf type (number, string, boolean, enum) under defaults and optionals. */
function leafType(schema: unknown): string {
  let s = schema as { def: { type: string; innerType?: unknown } };
  while (s.def.innerType && ['default', 'prefault', 'optional', 'nullable'].includes(s.def.type)) s = s.def.innerType as typeof s;
  return s.def.type;
}

/** The schema under defaults and optionals. */
function unwrap(schema: unknown): { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } } {
  let s = schema as { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } };
  while (s.def.innerType && ['default', 'prefault', 'optional', 'nullable'].includes(s.def.type)) s = s.def.innerType as typeof s;
  return s;
}

interface EnvTarget { section: string; key: string; type: string; /** A key one level down (server.tls.certFile). */ sub?: string }

/**
 * Every environment variable the schema accepts, e.g. BERTH_SERVER_LISTEN -> [server, listen],
 * BERTH_SERVER_TLS_CERT_FILE -> [server, tls, certFile]. Lists take comma-separated values.
 */
export function environmentKeys(): Map<string, EnvTarget> {
  const out = new Map<string, EnvTarget>();
  for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
    let inner = sectionSchema as unknown as { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } };
    while (inner.def.innerType) inner = inner.def.innerType as typeof inner;
    for (const [key, leaf] of Object.entries(inner.def.shape ?? {})) {
      const type = leafType(leaf);
      if (type === 'object') {
        for (const [sub, subLeaf] of Object.entries(unwrap(leaf).def.shape ?? {})) {
          out.set(`BERTH_${snake(section)}_${snake(key)}_${snake(sub)}`, { section, key, sub, type: leafType(subLeaf) });
        }
        continue;
      }
      out.set(`BERTH_${snake(section)}_${snake(key)}`, { section, key, type });
    }
  }
  return out;
}

export function applyEnvironment(doc: Json, env: NodeJS.ProcessEnv): Json {
  const out: Json = structuredClone(doc);
  const keys = environmentKeys();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('BERTH_') || value === undefined) continue;
    const target = keys.get(name);
    if (!target) continue; // BERTH_ADMIN_PASSWORD and friends are not config keys.
    let parsed: unknown = value;
    if (target.type === 'number') {
      parsed = Number(value);
      if (!Number.isFinite(parsed as number)) throw new ConfigError(`${name}: expected a number, got ${JSON.stringify(value)}`);
    } else if (target.type === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(value)) throw new ConfigError(`${name}: expected true or false`);
      parsed = value === 'true' || value === '1';
    }
    if (target.type === 'array') parsed = value.split(',').map((v) => v.trim()).filter(Boolean);
    const section = (out[target.section] ?? {}) as Json;
    if (typeof section !== 'object' || section === null) throw new ConfigError(`${target.section}: must be a mapping`);
    if (target.sub) {
      const nested = (section[target.key] ?? {}) as Json;
      if (typeof nested !== 'object' || nested === null) throw new ConfigError(`${target.section}.${target.key}: must be a mapping`);
      nested[target.sub] = parsed;
      section[target.key] = nested;
    } else {
      section[target.key] = parsed;
    }
    out[target.section] = section;
  }
  return out;
}

export interface ServeFlags {
  config?: string;
  listen?: string;
  data?: string;
  auth?: string;
  htpasswd?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function loadConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Config {
  let doc: Json = flags.config ? readConfigFile(flags.config) : {};
  doc = applyEnvironment(doc, env);
  const set = (section: string, key: string, value: unknown) => {
    if (value === undefined) return;
    const s = (doc[section] ?? {}) as Json;
    s[key] = value;
    doc[section] = s;
  };
  set('server', 'listen', flags.listen);
  set('storage', 'dataDir', flags.data);
  set('auth', 'mode', flags.auth);
  set('auth', 'htpasswdFile', flags.htpasswd);
  if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    const server = (doc.server ?? {}) as Json;
    server.tls = { ...((server.tls ?? {}) as Json), ...(flags.tlsCert !== undefined ? { certFile: flags.tlsCert } : {}), ...(flags.tlsKey !== undefined ? { keyFile: flags.tlsKey } : {}) };
    doc.server = server;
  }
  return parseConfig(doc);
}
