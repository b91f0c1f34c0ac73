import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMetadata } from '../../src/metadata/db.ts';
import { metadataContract } from './metadata.suite.ts';

metadataContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sqlite-contract-'));
  const meta = await openMetadata({ dialect: 'sqlite', location: join(dir, 'berth.db') });
  return { meta, cleanup: async () => { await meta.close(); await rm(dir, { recursive: true, force: true }); } };
});
