#!/usr/bin/env bash
# Stop exactly the daemons s3-start.sh started, by their PID files (radosgw, then osd, then mon).
# A PID is only signalled if its command line still names this data dir's ceph.conf (no PID reuse
# accidents). S3_WIPE=1 also deletes the data dir.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
S3_DATA="${S3_DATA:-/tmp/berth-s3}"
CONF="$S3_DATA/ceph.conf"
RUN="$S3_DATA/run"

running() { # PID is alive, not a zombie awaiting reaping, and ours
  kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
ours() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$CONF"; }

stop_pid() { # NAME: stop the daemon whose PID is in run/NAME.pid
  local f="$RUN/$1.pid" pid
  [[ -f "$f" ]] || return 0
  pid=$(cat "$f")
  if [[ -n "$pid" ]] && running "$pid" && ours "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do running "$pid" || break; sleep 0.1; done
    if running "$pid"; then echo "[stop-s3] $1 ($pid) ignored SIGTERM for 15s, sending SIGKILL" >&2; kill -KILL "$pid"; fi
    echo "[stop-s3] stopped $1 ($pid)" >&2
  fi
  rm -f "$f"
}

stop_pid client.rgw
stop_pid osd.0
stop_pid mon.a
if [[ "${S3_WIPE:-0}" == 1 ]]; then rm -rf "$S3_DATA"; echo "[stop-s3] wiped $S3_DATA" >&2; fi
exit 0
