// `berth config check FILE` and `berth config schema`.
import { z } from 'zod';
import { configSchema, ConfigError, parseConfig } from '../core/config.ts';
import { applyEnvironment, readConfigFile } from './config-loader.ts';

export function checkConfig(file: string): number {
  try {
    parseConfig(applyEnvironment(readConfigFile(file), process.env));
    process.stdout.write(`${file}: ok\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${file}: invalid configuration\n${error.message.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
    return 1;
  }
}

export function printSchema(): void {
  const schema = z.toJSONSchema(configSchema, { io: 'input' });
  process.stdout.write(`${JSON.stringify({ title: 'Berth configuration', ...schema }, null, 2)}\n`);
}
