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

/** Every environment variable the schema accepts, e.g. BERTH_SERVER_LISTEN -> [server, listen]. */
export function environmentKeys(): Map<string, { section: string; key: string; type: string }> {
  const out = new Map<string, { section: string; key: string; type: string }>();
  for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
    let inner = sectionSchema as unknown as { def: { type: string; innerType?: unknown; shape?: Record<string, unknown> } };
    while (inner.def.innerType) inner = inner.def.innerType as typeof inner;
    for (const [key, leaf] of Object.entries(inner.def.shape ?? {})) {
      out.set(`BERTH_${snake(section)}_${snake(key)}`, { section, key, type: leafType(leaf) });
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
    const section = (out[target.section] ?? {}) as Json;
    if (typeof section !== 'object' || section === null) throw new ConfigError(`${target.section}: must be a mapping`);
    section[target.key] = parsed;
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
  return parseConfig(doc);
}
