#!/usr/bin/env bash
# Vigil's test lab: real authoritative servers (NSD) on 127.x addresses.
#
#   lab.sh netns CMD [ARGS...]        run CMD in a private network namespace
#                                     (loopback up, nothing else): the lab and
#                                     everything that talks to it live there
#   lab.sh start RUNDIR [--zones N] [--seed S] [--delay MS]
#                                     generate zones into RUNDIR, start every
#                                     server, wait until each one answers
#   lab.sh stop RUNDIR                stop the lab's processes by PID
#   lab.sh status RUNDIR              list the servers and whether they run
#
# All state (zones, configs, PID files, logs) lives in RUNDIR, so two labs
# never collide; binding 127.x:53 needs root, which the netns provides.
# --delay adds tc-netem delay to every packet on the namespace's loopback.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python3}
START_TIMEOUT=${LAB_START_TIMEOUT:-30}

die() { echo "lab: $*" >&2; exit 1; }

cmd_netns() {
  [ $# -gt 0 ] || die "netns needs a command"
  # Exit 77 = "skipped" for CTest (SKIP_RETURN_CODE) when we cannot do it.
  if [ "$(id -u)" -ne 0 ]; then echo "lab: netns needs root (unshare -n); skipping" >&2; exit 77; fi
  # A fresh network namespace has only a down loopback: bring it up, then run.
  exec unshare --net -- bash -c 'ip link set lo up && exec "$@"' lab-netns "$@"
}

write_nsd_conf() {  # dir addr zone...
  local dir=$1 addr=$2; shift 2
  mkdir -p "$dir"
  {
    echo "server:"
    echo "  ip-address: $addr"
    echo "  port: 53"
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  zonesdir: \"$RUN/zones\""
    echo "  database: \"\""
    echo "  zonelistfile: \"$dir/zone.list\""
    echo "  xfrdfile: \"$dir/xfrd.state\""
    echo "  xfrdir: \"$dir\""
    echo "  pidfile: \"$dir/nsd.pid\""
    echo "  logfile: \"$dir/nsd.log\""
    echo "  server-count: 1"
    echo "  do-ip6: no"
    echo "  hide-version: no"
    echo "  identity: \"lab-$addr\""
    echo "  tcp-count: 64"
    echo "  verbosity: 1"
    echo "remote-control:"
    echo "  control-enable: no"
    for zone in "$@"; do
      local file
      if [ "$zone" = "." ]; then file=root.zone; else file="${zone%.}.zone"; fi
      echo "zone:"
      echo "  name: \"$zone\""
      echo "  zonefile: \"$file\""
    done
  } > "$dir/nsd.conf"
}

# dig wrapper: one try, short timeout, no recursion.
q() { dig +norecurse +tries=1 +time=1 "$@"; }

wait_ready() {  # addr zone...
  local addr=$1; shift
  local deadline=$((SECONDS + START_TIMEOUT))
  local probe=${1:-.}
  while :; do
    if [ $# -eq 0 ]; then
      # A server with no zones (the lame one) is up when it answers at all.
      q @"$addr" . SOA 2>/dev/null | grep -q "status: REFUSED" && return 0
    else
      local ok=1 z
      for z in "$@"; do
        q @"$addr" "$z" SOA 2>/dev/null | grep -q "flags: qr aa" || { ok=0; break; }
      done
      [ $ok -eq 1 ] && return 0
    fi
    [ $SECONDS -lt $deadline ] || die "server $addr did not answer for ${probe} within ${START_TIMEOUT}s (see $RUN/servers/$addr/nsd.log)"
    sleep 0.1
  done
}

cmd_start() {
  RUN=${1:?usage: lab.sh start RUNDIR [--zones N] [--seed S] [--delay MS]}; shift
  local zones=6 seed=1 delay=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --zones) zones=$2; shift 2 ;;
      --seed) seed=$2; shift 2 ;;
      --delay) delay=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [ "$(id -u)" -eq 0 ] || die "start needs root to bind port 53 (run it under: lab.sh netns ...)"
  mkdir -p "$RUN"
  RUN=$(cd "$RUN" && pwd)
  [ ! -e "$RUN/pids" ] || die "$RUN already holds a lab (stop it first)"
  "$PYTHON" "$HERE/gen_lab.py" --out "$RUN" --seed "$seed" --zones "$zones"
  mkdir -p "$RUN/pids" "$RUN/servers"

  # One NSD per server address, each with the zones servers.json gives it.
  local addr
  while read -r addr zonelist; do
    # shellcheck disable=SC2086
    write_nsd_conf "$RUN/servers/$addr" "$addr" $zonelist
    nsd-checkconf "$RUN/servers/$addr/nsd.conf" || die "bad NSD config for $addr"
    nsd -d -c "$RUN/servers/$addr/nsd.conf" > "$RUN/servers/$addr/stdout.log" 2>&1 &
    echo $! > "$RUN/pids/nsd-$addr.pid"
  done < <("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for a,z in sorted(d["servers"].items()): print(a, " ".join(z))' "$RUN/servers.json")

  local hole
  hole=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["blackhole"])' "$RUN/servers.json")
  "$PYTHON" "$HERE/blackhole.py" "$hole" > "$RUN/blackhole.log" 2>&1 &
  echo $! > "$RUN/pids/blackhole.pid"
  local aa_listen aa_upstream
  read -r aa_listen aa_upstream < <("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1]))["aa_referral"]
print(d["listen"], d["upstream"])' "$RUN/servers.json")
  "$PYTHON" "$HERE/aa_referral.py" "$aa_listen" "$aa_upstream" > "$RUN/aa_referral.log" 2>&1 &
  echo $! > "$RUN/pids/aa_referral.pid"

  if [ -n "$delay" ]; then
    tc qdisc add dev lo root netem delay "${delay}ms" || die "tc netem failed (needs the sch_netem kernel module)"
    echo "$delay" > "$RUN/delay"
  fi

  # Readiness: NSD loads every zone before it serves, so the first and the
  # last zone of each server answering authoritatively means all are loaded.
  while read -r addr zonelist; do
    # shellcheck disable=SC2086
    set -- $zonelist
    if [ $# -gt 1 ]; then wait_ready "$addr" "$1" "${!#}"; else wait_ready "$addr" "$@"; fi
  done < <("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1]))
for a,z in sorted(d["servers"].items()): print(a, " ".join(z))' "$RUN/servers.json")
  wait_ready "$aa_listen" aaref.test.
  echo "lab: up in $RUN ($(ls "$RUN/pids" | wc -l) processes, $(wc -l < "$RUN/manifest.jsonl") manifest entries)"
}

cmd_stop() {
  RUN=${1:?usage: lab.sh stop RUNDIR}
  [ -d "$RUN/pids" ] || return 0
  local f pid
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || true
  done
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
  if [ -e "$RUN/delay" ]; then tc qdisc del dev lo root 2>/dev/null || true; rm -f "$RUN/delay"; fi
  rmdir "$RUN/pids"
}

cmd_status() {
  RUN=${1:?usage: lab.sh status RUNDIR}
  local f
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] || continue
    if kill -0 "$(cat "$f")" 2>/dev/null; then echo "running $(basename "$f" .pid)"; else echo "dead    $(basename "$f" .pid)"; fi
  done
}

cmd=${1:-}; [ $# -gt 0 ] && shift
case "$cmd" in
  netns) cmd_netns "$@" ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
