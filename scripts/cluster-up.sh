#!/usr/bin/env bash
# Starts a Berth cluster on loopback (issue 14, docs/scale-out.md): PostgreSQL (the machine's),
# Ceph radosgw (scripts/s3-start.sh), 3 `berth serve` instances on one database and one bucket,
# and haproxy in front, round-robin per request with no stickiness. All state lives in DIR:
# the config, logs, PID files, and DIR/admin-password. The last line of output is the load
# balancer's base URL. Stop everything with scripts/cluster-down.sh DIR.
#
#   CLUSTER_PORT        the load balancer's port (default 5400); instances take PORT+1..PORT+N,
#                       their metrics listeners PORT+11..PORT+10+N
#   CLUSTER_INSTANCES   how many Berth instances (default 3)
#   CLUSTER_S3_PORT     radosgw's port (default 5380; it also takes the next 19 ports)
#   CLUSTER_PG_URL      a PostgreSQL server to create the database on
#                       (default postgres://postgres@127.0.0.1:5432/postgres)
#   CLUSTER_AUTH        auth.mode of every instance: builtin (the default: admin's password in
#                       DIR/admin-password), none (an open registry, as the integration suite runs
#                       a single server: IT_TARGET=cluster) or htpasswd (CLUSTER_HTPASSWD names a
#                       bcrypt file, copied to DIR; as the e2e suites run: E2E_TARGET=cluster)
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: scripts/cluster-up.sh DIR   (DIR holds the cluster's state; stop it with scripts/cluster-down.sh DIR)" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$1"
DIR="$(cd "$1" && pwd)"
PORT="${CLUSTER_PORT:-5400}"
N="${CLUSTER_INSTANCES:-3}"
S3_PORT="${CLUSTER_S3_PORT:-5380}"
PG_URL="${CLUSTER_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
AUTH="${CLUSTER_AUTH:-builtin}"
log() { echo "[cluster-up $(date +%T)] $*" >&2; }
die() { trap - ERR; log "FAILED: $*"; "$ROOT/scripts/cluster-down.sh" "$DIR" >/dev/null 2>&1 || true; exit 1; }

case "$AUTH" in
  builtin|none) ;;
  htpasswd) [[ -r "${CLUSTER_HTPASSWD:-}" ]] || { echo "CLUSTER_AUTH=htpasswd needs CLUSTER_HTPASSWD, a readable bcrypt htpasswd file (htpasswd -Bbn USER PASSWORD)" >&2; exit 2; } ;;
  *) echo "CLUSTER_AUTH must be builtin (the default), none or htpasswd, not '$AUTH'" >&2; exit 2;;
esac
for tool in haproxy psql curl node; do
  command -v "$tool" >/dev/null || die "$tool is not installed (run scripts/install-tools.sh as root; psql comes with postgresql-client)"
done
mkdir -p "$DIR/run" "$DIR/log"
# Whatever fails stops what was started, so a failed start leaves nothing running.
trap 'die "line $LINENO: $BASH_COMMAND"' ERR
chmod 700 "$DIR"

# --- S3: a RAM-backed radosgw of the cluster's own, on its own ports.
log "starting Ceph radosgw on port $S3_PORT"
S3_DATA="$DIR/s3" S3_PORT="$S3_PORT" S3_OBJECTSTORE=memstore bash "$ROOT/scripts/s3-start.sh" || die "radosgw did not start (see $DIR/s3/log)"
# shellcheck disable=SC1091
source "$DIR/s3/env"

# --- PostgreSQL: one database for the cluster (kept across restarts of the same DIR).
if [[ ! -f "$DIR/database" ]]; then
  db="berth_cluster_$(date +%s)_$$"
  psql "$PG_URL" -qAtc "create database $db" >/dev/null || die "cannot create database $db on $PG_URL (is PostgreSQL running? pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start)"
  echo "$db" > "$DIR/database"
fi
DB_URL="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$PG_URL" "$(cat "$DIR/database")")"

# --- The admin password (generated once) and the shared configuration.
HTPASSWD_LINE=""
if [[ "$AUTH" == htpasswd ]]; then
  (umask 077; cp "$CLUSTER_HTPASSWD" "$DIR/htpasswd")
  HTPASSWD_LINE="  htpasswdFile: \"$DIR/htpasswd\""
fi
if [[ ! -f "$DIR/admin-password" ]]; then
  (umask 077; node -e 'console.log(require("crypto").randomBytes(18).toString("base64url"))' > "$DIR/admin-password")
fi
(umask 077; cat > "$DIR/berth.yaml" <<EOF
# Written by scripts/cluster-up.sh: every instance reads this file.
server:
  trustProxy: ["127.0.0.1"]
database:
  dialect: postgres
  url: "$DB_URL"
storage:
  driver: s3
  dataDir: "$DIR/data"
  s3:
    endpoint: "$S3_ENDPOINT"
    region: "$S3_REGION"
    bucket: berth-cluster
    accessKeyId: "$S3_ACCESS_KEY"
    secretAccessKey: "$S3_SECRET_KEY"
auth:
  mode: $AUTH
$HTPASSWD_LINE
EOF
)

# A process that is ours and running: not a zombie (a killed instance may not be reaped yet, and
# kill -0 succeeds on a zombie), and its command line still names this cluster's file.
ours() { # pid what-the-command-line-contains
  [[ -r "/proc/$1/stat" ]] || return 1
  [[ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# --- The instances: the first one alone (it runs the migrations and makes the administrator).
start_instance() {
  local i=$1
  local port=$((PORT + i)) metrics=$((PORT + 10 + i))
  local pidfile="$DIR/run/berth-$i.pid" logfile="$DIR/log/berth-$i.log"
  if [[ -f "$pidfile" ]] && ours "$(cat "$pidfile")" "$DIR/berth.yaml"; then log "berth-$i already runs"; return; fi
  BERTH_ADMIN_PASSWORD="$(cat "$DIR/admin-password")" BERTH_SERVER_METRICS_LISTEN="127.0.0.1:$metrics" BERTH_LOG_LEVEL="${BERTH_LOG_LEVEL:-info}" \
    MALLOC_ARENA_MAX=1 nohup node --max-semi-space-size=1 "$ROOT/bin/berth.mjs" serve --config "$DIR/berth.yaml" --listen "127.0.0.1:$port" </dev/null >>"$logfile" 2>&1 &
  echo $! > "$pidfile"
  for _ in $(seq 1 150); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; then log "berth-$i ready on 127.0.0.1:$port"; return; fi
    ours "$(cat "$pidfile")" "$DIR/berth.yaml" || die "berth-$i exited; its log: $logfile"$'\n'"$(tail -20 "$logfile")"
    sleep 0.2
  done
  die "berth-$i did not become ready within 30 s; its log: $logfile"
}
start_instance 1
starting=()
for i in $(seq 2 "$N"); do start_instance "$i" & starting+=($!); done
# Only those: a bare `wait` would also wait for the instances themselves.
for pid in "${starting[@]}"; do wait "$pid" || die "an instance did not start (logs in $DIR/log)"; done

# --- haproxy: round-robin for every request (keep-alive does not pin a client to an instance).
{
  cat <<EOF
global
    maxconn 4096
    pidfile $DIR/run/haproxy.pid

defaults
    mode http
    timeout connect 5s
    timeout client 900s
    timeout server 900s
    timeout http-request 30s
    option forwardfor
    retries 2
    option redispatch

frontend registry
    bind 127.0.0.1:$PORT
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    default_backend berth

backend berth
    balance roundrobin
    option httpchk GET /readyz
    default-server check inter 1s fall 2 rise 1
EOF
  for i in $(seq 1 "$N"); do echo "    server berth-$i 127.0.0.1:$((PORT + i))"; done
} > "$DIR/haproxy.cfg"
if [[ -f "$DIR/run/haproxy.pid" ]] && ours "$(cat "$DIR/run/haproxy.pid")" "$DIR/haproxy.cfg"; then
  log "haproxy already runs"
else
  haproxy -D -f "$DIR/haproxy.cfg" -p "$DIR/run/haproxy.pid" >>"$DIR/log/haproxy.log" 2>&1 || die "haproxy did not start: $(tail -5 "$DIR/log/haproxy.log")"
fi
for _ in $(seq 1 50); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" && break
  sleep 0.2
done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz" || die "the load balancer does not answer on $PORT"
log "cluster up: $N instances behind haproxy (auth $AUTH); admin password in $DIR/admin-password"
echo "http://127.0.0.1:$PORT"
