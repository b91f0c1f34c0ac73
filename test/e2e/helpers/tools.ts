// Checks that the real client tools the e2e suites drive are installed. A missing tool is a
// failure (never a skip) whose message names the tool and how to install it (DESIGN.md, Tests).
import { spawnSync } from 'node:child_process';

/** The Debian package that provides each command the e2e suites run. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  skopeo: 'skopeo',
  podman: 'podman',
  buildah: 'buildah',
  umoci: 'umoci',
  runc: 'runc',
  htpasswd: 'apache2-utils',
  'docker-registry': 'docker-registry',
  busybox: 'busybox-static',
  tar: 'tar',
  gpg: 'gnupg',
  gpgconf: 'gnupg',
  nginx: 'nginx',
  haproxy: 'haproxy',
  openssl: 'openssl',
  docker: 'docker.io (the CLI only; scripts/install-tools.sh extracts it)',
};

function onPath(command: string): boolean {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

export function installHint(command: string): string {
  const pkg = TOOL_PACKAGES[command] ?? command;
  return `run scripts/install-tools.sh as root (it does: apt-get install -y --no-install-recommends ${pkg})`;
}

/** Throws one error naming every missing tool and the install command. */
export function requireTools(...commands: string[]): void {
  const missing = commands.filter((c) => !onPath(c));
  if (missing.length === 0) return;
  throw new Error(
    `e2e needs these tools, which are not installed: ${missing.join(', ')}.\n` +
      missing.map((c) => `  ${c}: ${installHint(c)}`).join('\n'),
  );
}

/** The static busybox binary the fixture images are built from (Debian's busybox-static). */
export const BUSYBOX_STATIC = '/bin/busybox';
