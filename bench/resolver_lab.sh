#!/usr/bin/env bash
# vigild and Unbound resolving the test lab, in the same run, configured
# the same way (one worker thread, the lab's root hints, QNAME minimisation
# on, no prefetch), inside a private network namespace (nothing leaves
# loopback):
#
#   bench/resolver_lab.sh BUILD_DIR [SECONDS] [ZONES]
#
# For each resolver:
#   cold   every manifest name of a lab with ZONES zones per kind (default
#          50), once, 8 clients at once, from an empty cache: wall time,
#          rcodes (SERVFAIL counted), and the upstream queries it sent
#          (counted on the wire by count_upstream.py: UDP queries + TCP
#          connections to the lab's servers) per name
#   hits   the NOERROR A names again for SECONDS (default 10), all cached:
#          queries per second, server CPU per query
#   latency  the same names three times, one query in flight (latency.py):
#          p50 / p99 of the server's turnaround
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(cd "${1:?usage: resolver_lab.sh BUILD_DIR [SECONDS] [ZONES]}" && pwd)
SECS=${2:-10}
ZONES=${3:-50}
LAB="$HERE/../tests/lab/lab.sh"

if [ "${IN_NETNS:-}" != 1 ]; then
  IN_NETNS=1 exec "$LAB" netns "$0" "$BUILD" "$SECS" "$ZONES"
fi

WORK=$(mktemp -d /tmp/vigil-resolver-bench.XXXXXX)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  "$LAB" stop "$WORK/lab" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$LAB" start "$WORK/lab" --zones "$ZONES" >/dev/null
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
entries = [json.loads(l) for l in open(w + "/lab/manifest.jsonl")]
with open(w + "/q-all", "w") as f:
    for e in entries:
        f.write("%s %s\n" % (e["qname"], e["qtype"]))
with open(w + "/q-hit", "w") as f:
    for e in entries:
        if e["rcode"] == "NOERROR" and e["qtype"] == "A" and e["answer"] and len(e["answer"]) < 10:
            f.write("%s A\n" % e["qname"])
PY
NAMES=$(wc -l <"$WORK/q-all")

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

wait_up() {
  for _ in $(seq 100); do
    dig +time=1 +tries=1 @127.0.0.1 . NS >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "resolver did not come up" >&2
  return 1
}

measure() {  # label pid
  local label=$1 pid=$2 out
  # cold
  python3 "$HERE/count_upstream.py" "$WORK/count.json" &
  local counter=$!
  for _ in $(seq 50); do [ -e "$WORK/count.json.ready" ] && break; sleep 0.05; done
  out=$(dnsperf -s 127.0.0.1 -d "$WORK/q-all" -n 1 -c 8 -q "${COLD_IN_FLIGHT:-50}" -t 10 2>&1)
  kill -TERM $counter
  wait $counter || true
  rm -f "$WORK/count.json.ready"
  local secs codes servfail upstream
  secs=$(echo "$out" | awk '/Run time \(s\)/ {print $4}')
  codes=$(echo "$out" | sed -n 's/.*Response codes: *//p')
  servfail=$(echo "$codes" | { grep -o 'SERVFAIL [0-9]*' || true; } | awk '{print $2}')
  upstream=$(python3 -c "import json; c = json.load(open('$WORK/count.json')); print(c['udp'] + c['tcp_connections'])")
  printf '%-8s cold: %d names in %.2f s, %s SERVFAIL, %d upstream queries (%.2f per name); rcodes %s\n' \
    "$label" "$NAMES" "$secs" "${servfail:-0}" "$upstream" "$(echo "scale=4; $upstream / $NAMES" | bc)" "$codes"
  # hits
  local before after done qps us
  before=$(cpu_ticks "$pid")
  out=$(dnsperf -s 127.0.0.1 -d "$WORK/q-hit" -l "$SECS" -c 8 -T 1 -q 200 2>&1)
  after=$(cpu_ticks "$pid")
  qps=$(echo "$out" | awk '/Queries per second/ {printf "%.0f", $4}')
  done=$(echo "$out" | awk '/Queries completed/ {print $3}')
  us=$(echo "scale=2; ($after - $before) * 1000000 / $(getconf CLK_TCK) / $done" | bc)
  printf '%-8s hits: %8s qps, %s us server CPU per query\n' "$label" "$qps" "$us"
  # latency: one query at a time, every cached name three times
  local n p50 p99
  read -r _ n _ p50 _ p99 < <(python3 "$HERE/latency.py" 127.0.0.1 "$WORK/q-hit" 3)
  printf '%-8s latency (one query in flight, %d answers): p50 %s us, p99 %s us\n' "$label" "$n" "$p50" "$p99"
}

echo "lab: $ZONES zones per kind, $NAMES manifest names; $(nproc) cores"
cat >"$WORK/vigil.yaml" <<EOC
server:
  listen: ["127.0.0.1:53"]
  threads: 1
resolver:
  root_hints: $WORK/lab/root.hints
  do_not_query: []
  qname_minimisation: relaxed
cache:
  prefetch: false
EOC
echo "== vigild $("$BUILD/server/vigild" --version | cut -d' ' -f2-) (1 worker thread)"
"$BUILD/server/vigild" -c "$WORK/vigil.yaml" 2>"$WORK/vigild.log" &
VPID=$!
wait_up
sleep 0.5  # priming done
measure vigild $VPID
kill -TERM $VPID
wait $VPID || true

if command -v unbound >/dev/null; then
  cat >"$WORK/unbound.conf" <<EOC
server:
  interface: 127.0.0.1
  port: 53
  num-threads: 1
  username: ""
  chroot: ""
  directory: "$WORK"
  pidfile: "$WORK/unbound.pid"
  do-daemonize: no
  use-syslog: no
  verbosity: 0
  access-control: 127.0.0.0/8 allow
  root-hints: "$WORK/lab/root.hints"
  do-not-query-localhost: no
  qname-minimisation: yes
  qname-minimisation-strict: no
  prefetch: no
  module-config: "iterator"
  do-ip6: no
  # Unbound serves test. itself (RFC 6761 default); the lab delegates it.
  local-zone: "test." nodefault
remote-control:
  control-enable: no
EOC
  echo "== $(unbound -V | head -1) (1 thread)"
  unbound -c "$WORK/unbound.conf" 2>"$WORK/unbound.log" &
  UPID=$!
  wait_up
  sleep 0.5
  measure unbound $UPID
  kill -TERM $UPID
  wait $UPID || true
else
  echo "(unbound not installed: no comparison)"
fi
