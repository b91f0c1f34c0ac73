#!/usr/bin/env bash
# Start a real S3-compatible server: Ceph RADOS Gateway (radosgw) from Debian bookworm's Ceph 16.2.15
# "pacific", on http://127.0.0.1:${S3_PORT:-5280}, backed by a single-node Ceph cluster (1 mon, 1 osd,
# no mgr, auth none) whose data lives under ${S3_DATA:-<script dir>/data}. Loopback only, no systemd;
# needs root (apt-get). Idempotent: installs packages only if missing, reuses an existing bluestore
# cluster in S3_DATA, and does nothing if the gateway already answers. Stop with s3-stop.sh. The tests read $S3_DATA/env (test/helpers/s3.ts).
#
#   S3_PORT             S3 endpoint port                                   (default 5280)
#   S3_MON_PORT         ceph-mon msgr2 port                                (default S3_PORT+1)
#   S3_OSD_PORT_MIN/MAX ports the OSD may bind (it takes 4)                (default S3_PORT+2 .. S3_PORT+19)
#   S3_DATA             data dir                                           (default /tmp/berth-s3)
#   S3_OBJECTSTORE      bluestore: sparse file-backed, persistent (default)
#                       memstore:  in RAM, ~2 s start, always starts empty (data dir wiped each start)
#   S3_OSD_SIZE_GB      bluestore block file size (sparse) / memstore capacity  (default 10)
#   S3_ACCESS_KEY, S3_SECRET_KEY, S3_USER   the S3 user that is created
#   S3_FRESH=1          wipe the data dir first
#   S3_KEEP_ON_FAIL=1   leave the daemons running if start fails (default: stop them)
# On success prints nothing on stdout and writes $S3_DATA/env (S3_ENDPOINT=..., keys, region).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
S3_PORT="${S3_PORT:-5280}"
S3_MON_PORT="${S3_MON_PORT:-$((S3_PORT + 1))}"
S3_OSD_PORT_MIN="${S3_OSD_PORT_MIN:-$((S3_PORT + 2))}"
S3_OSD_PORT_MAX="${S3_OSD_PORT_MAX:-$((S3_PORT + 19))}"
S3_DATA="${S3_DATA:-/tmp/berth-s3}"
S3_OBJECTSTORE="${S3_OBJECTSTORE:-bluestore}"
S3_OSD_SIZE_GB="${S3_OSD_SIZE_GB:-10}"
S3_ACCESS_KEY="${S3_ACCESS_KEY:-registrytestkey}"
S3_SECRET_KEY="${S3_SECRET_KEY:-registrytestsecret0123456789abcdefABCDEF}"
S3_USER="${S3_USER:-registry}"
export S3_DATA

log() { echo "[start-s3 $(date +%T)] $*" >&2; }
t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
die() {
  log "FAILED: $*"
  if [[ "${S3_KEEP_ON_FAIL:-0}" != 1 ]]; then "$HERE/s3-stop.sh" || true; fi
  exit 1
}

# ---------------------------------------------------------------- install (idempotent)
need_pkgs=()
for p in ceph-mon ceph-osd radosgw ceph-common curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
  log "apt-get installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  APT=(apt-get -o DPkg::Lock::Timeout=600 -q)
  if ! "${APT[@]}" install -y --no-install-recommends "${need_pkgs[@]}" >/tmp/start-s3-apt.log 2>&1; then
    "${APT[@]}" update >>/tmp/start-s3-apt.log 2>&1
    "${APT[@]}" install -y --no-install-recommends "${need_pkgs[@]}" >>/tmp/start-s3-apt.log 2>&1 \
      || { tail -20 /tmp/start-s3-apt.log >&2; log "apt-get failed"; exit 1; }
  fi
  log "installed in $(elapsed)s"
fi

CONF="$S3_DATA/ceph.conf"
RUN="$S3_DATA/run"
CEPH=(ceph -c "$CONF" --connect-timeout 20)

s3_answers() { curl -s -o /dev/null -m 2 "http://127.0.0.1:$S3_PORT/" 2>/dev/null; }
# alive PIDFILE: the PID in it is a live (non-zombie) daemon started with this data dir's ceph.conf
alive() { local pid; [[ -f "$1" ]] && pid=$(cat "$1") && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
  && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null \
  && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF"; }
# spawn NAME CMD...: run a daemon in the foreground (-f) in its own session, in the background of this
# script, so a daemon that hangs in its init can never hang the script; its PID goes to run/NAME.pid
spawn() { local name=$1; shift
  setsid "$@" </dev/null >>"$S3_DATA/log/$name.out" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

if alive "$RUN/client.rgw.pid" && s3_answers; then
  log "already running on http://127.0.0.1:$S3_PORT"
  exit 0
fi
if ! alive "$RUN/client.rgw.pid" && s3_answers; then
  log "port $S3_PORT is taken by something else"; exit 1
fi

if [[ "$S3_OBJECTSTORE" == memstore || "${S3_FRESH:-0}" == 1 ]] && [[ -d "$S3_DATA" ]]; then
  "$HERE/s3-stop.sh" 2>/dev/null || true
  rm -rf "$S3_DATA"
fi
mkdir -p "$S3_DATA" "$RUN" "$S3_DATA/log"

# ---------------------------------------------------------------- config
if [[ ! -f "$CONF" ]]; then
  FSID=$(cat /proc/sys/kernel/random/uuid)
  cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$S3_MON_PORT]
public addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind msgr1 = false
ms bind msgr2 = true
ms bind port min = $S3_OSD_PORT_MIN
ms bind port max = $S3_OSD_PORT_MAX
auth cluster required = none
auth service required = none
auth client required = none
# radosgw defaults to a "secure" mon connection, which auth none cannot give
ms mon client mode = crc secure
run dir = $RUN
pid file = $RUN/\$name.pid
admin socket = $RUN/\$name.asok
log file = $S3_DATA/log/\$name.log
log to stderr = false
err to stderr = false
mon cluster log file = $S3_DATA/log/cluster.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# every mon command (pool create, crush update) otherwise waits ~1 s for a paxos round
paxos propose interval = 0.05
mon data avail warn = 2
mon data avail crit = 1

[mon]
mon data = $S3_DATA/mon.\$id

[osd]
osd data = $S3_DATA/osd.\$id
osd objectstore = $S3_OBJECTSTORE
osd memory target = 1073741824
bluestore block create = true
bluestore block size = $((S3_OSD_SIZE_GB * 1024 * 1024 * 1024))
bluestore fsck on mount = false
bluestore fsck on mkfs = false
memstore device bytes = $((S3_OSD_SIZE_GB * 1024 * 1024 * 1024))

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT
rgw data = $S3_DATA/rgw
rgw enable usage log = false
# reclaim the space of deleted/overwritten objects after 60 s instead of 2 h
rgw gc obj min wait = 60
rgw gc processor period = 60
EOF
fi
FSID=$(awk -F' = ' '/^fsid/{print $2}' "$CONF")

# ---------------------------------------------------------------- mon
if [[ ! -f "$S3_DATA/mon.a/ready" ]]; then
  log "creating mon"
  rm -rf "$S3_DATA/mon.a"
  ceph-authtool --create-keyring "$S3_DATA/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$S3_MON_PORT]" "$S3_DATA/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$S3_DATA/monmap" --keyring "$S3_DATA/mon.keyring" \
    || die "ceph-mon --mkfs"
  touch "$S3_DATA/mon.a/ready"
fi
if ! alive "$RUN/mon.a.pid"; then
  log "starting ceph-mon"
  spawn mon.a ceph-mon -c "$CONF" -i a -f
fi

# ---------------------------------------------------------------- osd
if [[ ! -f "$S3_DATA/osd.0/ready" ]]; then
  log "creating osd.0 ($S3_OBJECTSTORE)"
  OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
  OSD_ID=$("${CEPH[@]}" osd new "$OSD_UUID") || die "ceph osd new (mon not reachable?)"
  [[ "$OSD_ID" == 0 ]] || die "unexpected osd id $OSD_ID"
  rm -rf "$S3_DATA/osd.0"; mkdir -p "$S3_DATA/osd.0"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$S3_DATA/log/osd-mkfs.log" 2>&1 \
    || { tail -20 "$S3_DATA/log/osd-mkfs.log" >&2; die "ceph-osd --mkfs"; }
  touch "$S3_DATA/osd.0/ready"
fi
if ! alive "$RUN/osd.0.pid"; then
  log "starting ceph-osd"
  spawn osd.0 ceph-osd -c "$CONF" -i 0 -f
fi
up=0
for _ in $(seq 1 120); do
  if "${CEPH[@]}" osd dump 2>/dev/null | grep -q "^osd.0 up"; then up=1; break; fi
  alive "$RUN/osd.0.pid" || die "ceph-osd died; see $S3_DATA/log/osd.0.log"
  sleep 0.5
done
((up)) || die "osd.0 not up after 60 s; see $S3_DATA/log/osd.0.log"

# ---------------------------------------------------------------- rgw
if ! alive "$RUN/client.rgw.pid"; then
  log "starting radosgw"
  mkdir -p "$S3_DATA/rgw"
  spawn client.rgw radosgw -c "$CONF" -n client.rgw -f
fi
for _ in $(seq 1 120); do
  s3_answers && break
  alive "$RUN/client.rgw.pid" || { tail -5 "$S3_DATA/log/client.rgw.log" >&2; die "radosgw died; see $S3_DATA/log/client.rgw.log"; }
  sleep 0.5
done
s3_answers || die "radosgw does not answer after 60 s; see $S3_DATA/log/client.rgw.log"

# ---------------------------------------------------------------- S3 user
if ! radosgw-admin -c "$CONF" user info --uid="$S3_USER" >/dev/null 2>&1; then
  radosgw-admin -c "$CONF" user create --uid="$S3_USER" --display-name="$S3_USER" \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null || die "radosgw-admin user create"
fi

cat >"$S3_DATA/env" <<EOF
S3_ENDPOINT=http://127.0.0.1:$S3_PORT
S3_ACCESS_KEY=$S3_ACCESS_KEY
S3_SECRET_KEY=$S3_SECRET_KEY
S3_REGION=us-east-1
S3_FORCE_PATH_STYLE=true
EOF
log "ready on http://127.0.0.1:$S3_PORT after $(elapsed)s ($S3_OBJECTSTORE; credentials in $S3_DATA/env)"
