#!/usr/bin/env bash
# Installs the Debian packages the e2e suites drive (real registry clients, Distribution for
# side-by-side runs, htpasswd, a static busybox for test images) and Debian's chromium, which the
# web UI tests drive through playwright-core. Idempotent: on a machine that already has them it
# changes nothing and does not touch the network. Needs root to install.
set -euo pipefail

PACKAGES=(
  skopeo podman buildah umoci uidmap fuse-overlayfs slirp4netns runc jq apache2-utils
  docker-registry busybox-static ca-certificates chromium fonts-dejavu-core rpm zip debootstrap zstd golang-go python3-packaging gnupg openssl
  nginx haproxy
  slapd ldap-utils
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update
    apt_updated=1
  fi
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-tools: installing ${missing[*]}"
  apt_update_once
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "install-tools: all Debian packages present"
fi

# The docker CLI (no daemon is needed: login, logout and `manifest inspect` talk to the
# registry directly). When it is missing, take only the CLI binary out of Debian's docker.io
# package: installing the package itself would pull in and try to start the daemon.
if ! command -v docker >/dev/null 2>&1; then
  echo "install-tools: docker CLI missing; extracting it from Debian's docker.io package"
  apt_update_once
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  chmod 0755 "$work" # apt-get download writes as _apt when it can
  if ! (cd "$work" && apt-get download docker.io >/dev/null); then
    echo "install-tools: error: cannot download Debian's docker.io package (apt-get download docker.io)." >&2
    echo "install-tools: install a docker CLI by hand so that 'docker' is on PATH (no daemon needed)." >&2
    exit 1
  fi
  dpkg-deb -x "$work"/docker.io_*.deb "$work/root"
  cli="$work/root/usr/bin/docker"
  if [ ! -x "$cli" ]; then
    echo "install-tools: error: Debian's docker.io package has no usr/bin/docker." >&2
    exit 1
  fi
  as_root install -m 0755 "$cli" /usr/local/bin/docker
fi

# `docker manifest inspect` reads OCI manifests and indexes only from CLI 23.0 on
# (docker/cli#3990); bookworm's docker.io is 20.10 and answers "no such manifest" for them.
docker_major="$(docker --version | sed -n 's/^Docker version \([0-9]*\)\..*/\1/p')"
if [ -z "$docker_major" ] || [ "$docker_major" -lt 23 ]; then
  echo "install-tools: warning: $(docker --version) cannot inspect OCI manifests; the docker CLI e2e" >&2
  echo "install-tools: warning: suite needs docker CLI >= 23 on PATH (docker/cli#3990) and will fail without it." >&2
fi

for cmd in skopeo podman buildah umoci runc htpasswd docker-registry busybox docker chromium; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    echo "install-tools: error: '$cmd' is still not on PATH after installing." >&2
    exit 1
  fi
done
echo "install-tools: ready ($(skopeo --version), $(podman --version), $(docker --version))"
