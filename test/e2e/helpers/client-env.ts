// A private client environment per test: containers storage, containers.conf, registries.conf,
// auth files, docker config and TMPDIR all live under one temp dir, so tests never read or
// write the machine's client state and never see each other's logins or images.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, run, type RunOptions, type RunResult } from './run.ts';

export interface ClientEnv {
  /** The temp dir that holds everything below. */
  readonly dir: string;
  /** Environment for every client command (pass as RunOptions.env). */
  readonly env: Record<string, string>;
  readonly storageConf: string;
  readonly containersConf: string;
  readonly registriesConf: string;
  /** The containers tools' auth file (REGISTRY_AUTH_FILE). */
  readonly authFile: string;
  /** The docker CLI's config dir (DOCKER_CONFIG). */
  readonly dockerConfig: string;
  /** A fresh directory under dir, for layouts and other scratch files. */
  scratch(name: string): Promise<string>;
  /** run() with this environment. */
  run(cmd: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** exec() with this environment (does not throw on a non-zero exit). */
  exec(cmd: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Removes the temp dir. */
  cleanup(): Promise<void>;
}

const toml = (s: string) => JSON.stringify(s);

/** `registryHost` is host:port; it gets an `insecure = true` entry so plain HTTP is allowed. */
export async function createClientEnv(registryHost: string): Promise<ClientEnv> {
  // Lowercase on purpose: podman names an image pulled from `oci:DIR` after DIR, and image
  // names must be lowercase (mkdtemp's suffix is mixed case).
  const dir = join(tmpdir(), `berth-e2e-client-${randomBytes(6).toString('hex')}`);
  await mkdir(dir, { mode: 0o700 });
  const paths = {
    graphroot: join(dir, 'storage', 'graph'),
    runroot: join(dir, 'storage', 'run'),
    libpodTmp: join(dir, 'libpod-tmp'),
    tmp: join(dir, 'tmp'),
    dockerConfig: join(dir, 'docker'),
    scratch: join(dir, 'scratch'),
  };
  for (const p of Object.values(paths)) await mkdir(p, { recursive: true });

  const storageConf = join(dir, 'storage.conf');
  await writeFile(
    storageConf,
    `[storage]\ndriver = "vfs"\ngraphroot = ${toml(paths.graphroot)}\nrunroot = ${toml(paths.runroot)}\n`,
  );
  const containersConf = join(dir, 'containers.conf');
  await writeFile(
    containersConf,
    '[engine]\n' +
      'cgroup_manager = "cgroupfs"\n' +
      'events_logger = "file"\n' +
      `events_logfile_path = ${toml(join(dir, 'events.log'))}\n` +
      `tmp_dir = ${toml(paths.libpodTmp)}\n` +
      'runtime = "runc"\n',
  );
  const registriesConf = join(dir, 'registries.conf');
  await writeFile(
    registriesConf,
    'unqualified-search-registries = []\n\n' +
      `[[registry]]\nlocation = ${toml(registryHost)}\ninsecure = true\n`,
  );
  // buildah refuses to start when REGISTRY_AUTH_FILE names a file that does not exist.
  const authFile = join(dir, 'auth.json');
  await writeFile(authFile, '{"auths":{}}\n', { mode: 0o600 });

  const env: Record<string, string> = {
    CONTAINERS_STORAGE_CONF: storageConf,
    CONTAINERS_CONF: containersConf,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    REGISTRY_AUTH_FILE: authFile,
    DOCKER_CONFIG: paths.dockerConfig,
    TMPDIR: paths.tmp,
    // buildah's default (oci) isolation needs a runtime setup this sandbox lacks (clients.md).
    BUILDAH_ISOLATION: 'chroot',
  };

  let scratchCount = 0;
  return {
    dir,
    env,
    storageConf,
    containersConf,
    registriesConf,
    authFile,
    dockerConfig: paths.dockerConfig,
    async scratch(name) {
      const p = join(paths.scratch, `${++scratchCount}-${name}`);
      await mkdir(p, { recursive: true });
      return p;
    },
    run: (cmd, args, options = {}) => run(cmd, args, { ...options, env: { ...env, ...options.env } }),
    exec: (cmd, args, options = {}) => exec(cmd, args, { ...options, env: { ...env, ...options.env } }),
    async cleanup() {
      // vfs layers are plain directories (no overlay mounts), so removing the tree is enough.
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}
