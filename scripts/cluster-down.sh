#!/usr/bin/env bash
# Stops what scripts/cluster-up.sh DIR started, by its PID files: haproxy, the Berth instances
# (SIGTERM, so they finish what is in flight), then radosgw. The database and DIR stay, so
# cluster-up.sh DIR starts the same registry again; CLUSTER_WIPE=1 drops both (the S3 data is in
# RAM and goes with radosgw).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: scripts/cluster-down.sh DIR" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$(cd "$1" 2>/dev/null && pwd)" || { echo "[cluster-down] no cluster in $1" >&2; exit 0; }
PG_URL="${CLUSTER_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

stop_pid() { # name pidfile what-the-command-line-must-contain
  local pidfile=$2 pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  # Only a process that is still the one we started (PIDs are reused).
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$3"; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "[cluster-down] $1 ($pid) ignored SIGTERM for 10 s: killed" >&2; fi
    echo "[cluster-down] stopped $1 ($pid)" >&2
  fi
  rm -f "$pidfile"
}

stop_pid haproxy "$DIR/run/haproxy.pid" "$DIR/haproxy.cfg"
for pidfile in "$DIR"/run/berth-*.pid; do
  [[ -e "$pidfile" ]] || continue
  name="$(basename "$pidfile" .pid)"
  stop_pid "$name" "$pidfile" "$DIR/berth.yaml" &
done
wait
if [[ -d "$DIR/s3" ]]; then S3_DATA="$DIR/s3" bash "$ROOT/scripts/s3-stop.sh" || true; fi
if [[ "${CLUSTER_WIPE:-0}" == 1 && -f "$DIR/database" ]]; then
  # Not in an && list: set -e would let a failed drop pass unnoticed (and leave the database).
  if ! psql "$PG_URL" -qAtc "drop database if exists $(cat "$DIR/database") with (force)" >/dev/null; then
    echo "[cluster-down] FAILED to drop the cluster's database $(cat "$DIR/database") on $PG_URL" >&2
    exit 1
  fi
  rm -f "$DIR/database"
  echo "[cluster-down] dropped the cluster's database" >&2
fi
