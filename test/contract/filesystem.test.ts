import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemDriver } from '../../src/storage/filesystem.ts';
import { storageDriverContract } from './storage-driver.suite.ts';

storageDriverContract('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-fs-contract-'));
  return { driver: new FilesystemDriver(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});
