#!/usr/bin/env bash
# vigild (three configurations), Unbound, PowerDNS Recursor and Knot Resolver
# side by side on the test lab, in one run, inside a private network
# namespace (nothing leaves loopback; every resolver uses the lab's root
# hints), for issue 24:
#
#   bench/compare_resolvers.sh BUILD_DIR [SECONDS]
#
# The configurations: "Vigil defaults" (intent detection on, query log off),
# "Vigil image config" (as docker/vigil.yaml: the query log on stdout, here
# a file, /metrics scraped every SCRAPE seconds), "Vigil monitoring off"
# (intent: enabled: false), Unbound, PowerDNS Recursor, Knot Resolver; each
# with WORKERS worker threads (default 1), DNSSEC validation off, QNAME
# minimisation on (relaxed), no prefetch or serve-stale, no IPv6 upstream.
# The lab has ZONES zones of each kind (default 10000: 40,000 second-level
# zones); NAMES of them (default 5000) are asked, one name each. For each
# configuration, one after the other:
#   cold      the NAMES names once from an empty cache (dnsperf, 8 sockets,
#             COLD_IN_FLIGHT queries in flight): wall time, rcodes, SERVFAILs,
#             upstream queries per name (count_upstream.py), server CPU per name
#   warm      an AAAA and a nonexistent name in each of those zones (cached
#             NODATA / NXDOMAIN for the hits), not counted in "cold"
#   check     every cold and warm name once more: rcode and addresses as the
#             lab's zones say (the manifest's answer where it has the name)
#   hits      CLIENTS dnsperf processes (default 8) from 127.0.1.1..CLIENTS
#             for SECONDS (default 10), Zipf-like popularity over the zones
#             (ZIPF, default 1), 80 % A, 15 % AAAA, 5 % NXDOMAIN, all cached:
#             QPS, server CPU per query (vigild: worker / query-log writer)
#   latency   paced-latency at LAT_RATE qps (default 10000) for LAT_SECONDS
#             (default 20) from 64 sockets over the CLIENTS addresses, open
#             loop: p50 / p99 / p99.9
#   saturation  dnsperf -c SAT_CLIENTS -q SAT_IN_FLIGHT (100, 20000) for
#             SAT_SECONDS (default 10): lost queries and QPS
# Upstream queries during hits, latency and saturation are counted too
# (iptables counters; 0 = every answer came from the cache). The end is a
# markdown table of the six. Knobs (environment): ZONES NAMES SECONDS
# CLIENTS ZIPF SEED WORKERS SCRAPE COLD_IN_FLIGHT LAT_RATE LAT_SECONDS
# SAT_SECONDS SAT_CLIENTS SAT_IN_FLIGHT ONLY (configurations to run, of:
# vigil-defaults vigil-image vigil-off unbound pdns kresd) KEEP=1 (keep the
# run's directory) PERF=DIR (perf record -g of each resolver during hits,
# or PERF_PHASE=cold, to DIR/KEY.data; perf's own CPU makes that run's
# numbers incomparable)
# VIGIL_YAML (top-level sections appended to every vigild configuration,
# e.g. 'intent: {who_resolved_entries: 0}'; not one the script writes). See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(cd "${1:?usage: compare_resolvers.sh BUILD_DIR [SECONDS]}" && pwd)
SECS=${2:-10}
LAB="$HERE/../tests/lab/lab.sh"

if [ "${IN_NETNS:-}" != 1 ]; then
  IN_NETNS=1 exec "$LAB" netns "$0" "$BUILD" "$SECS"
fi

ZONES=${ZONES:-10000}
NAMES=${NAMES:-5000}
CLIENTS=${CLIENTS:-8}
ZIPF=${ZIPF:-1}
SEED=${SEED:-1}
WORKERS=${WORKERS:-1}
SCRAPE=${SCRAPE:-15}
COLD_IN_FLIGHT=${COLD_IN_FLIGHT:-50}
LAT_RATE=${LAT_RATE:-10000}
LAT_SECONDS=${LAT_SECONDS:-20}
SAT_SECONDS=${SAT_SECONDS:-10}
SAT_CLIENTS=${SAT_CLIENTS:-100}
SAT_IN_FLIGHT=${SAT_IN_FLIGHT:-20000}
ONLY=${ONLY:-vigil-defaults vigil-image vigil-off unbound pdns kresd}
TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/vigil-compare.XXXXXX)
cleanup() {
  # shellcheck disable=SC2046
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  "$LAB" stop "$WORK/lab" >/dev/null 2>&1 || true
  if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

started=$SECONDS
"$LAB" start "$WORK/lab" --zones "$ZONES" >"$WORK/lab.log"
echo "lab: $((4 * ZONES)) second-level zones (ZONES=$ZONES of each kind), up in $((SECONDS - started)) s; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The queries. Every name is in a different second-level zone (its own
# registered domain), picked from all four kinds (zone-I.test, sib-I.test,
# site-I.example with NS names in hosting-K.lab, hosting-K.lab) with a
# deterministic seed; names whose records live under 300 s are avoided so
# nothing expires during a configuration's turn (negative answers live 300 s:
# the lab's SOA minimum).
python3 - "$WORK" "$NAMES" "$CLIENTS" "$ZIPF" "$SEED" "$((SECS * 15000 / CLIENTS + 1000))" <<'PY'
import bisect, itertools, json, os, random, sys
work, names, clients, zipf, seed, per_client = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
MIN_TTL = 300
zdir = os.path.join(work, "lab", "zones")
zones = []
for fname in sorted(os.listdir(zdir)):
    if not any(fname.startswith(k) for k in ("zone-", "sib-", "site-", "hosting-")):
        continue
    rrs = {}
    for line in open(os.path.join(zdir, fname)):
        f = line.split()
        if len(f) >= 5 and f[2] == "IN" and f[3] in ("A", "AAAA"):
            rrs.setdefault((f[0], f[3]), []).append((int(f[1]), f[4]))
    zones.append((fname[:-len("zone")], rrs))
rng = random.Random(seed)
rng.shuffle(zones)
manifest = {}
for line in open(os.path.join(work, "lab", "manifest.jsonl")):
    e = json.loads(line)
    manifest[(e["qname"], e["qtype"])] = e
picked = []  # (apex, a name, aaaa name, expected aaaa answer)
for apex, rrs in zones:
    if len(picked) == names:
        break
    ok = lambda owner, t: (owner, t) in rrs and min(ttl for ttl, _ in rrs[(owner, t)]) >= MIN_TTL
    owners = [o for pre in ("www.", "mail.", "ns1.") for o in [pre + apex] if ok(o, "A")]
    if not owners:
        continue
    a = owners[0]
    # AAAA: the name's own address, or NODATA from a name without one.
    if ok(a, "AAAA"):
        aaaa, six = a, sorted(r for _, r in rrs[(a, "AAAA")])
    else:
        nodata = [o for o in owners if (o, "AAAA") not in rrs]
        if not nodata:
            continue
        aaaa, six = nodata[0], []
    picked.append((apex, a, aaaa, six))
if len(picked) < names:
    sys.exit(f"compare: only {len(picked)} zones have names with TTLs of {MIN_TTL} s or more; NAMES={names} needs a bigger lab (ZONES)")
expect = []  # qname qtype rcode answer
with open(work + "/q-cold", "w") as cold, open(work + "/q-warm", "w") as warm:
    for apex, a, aaaa, six in picked:
        # The zones' truth, cross-checked against the lab's manifest.
        rrs = dict(zones)[apex]
        four = sorted(r for _, r in rrs[(a, "A")])
        nx = "nonexistent." + apex
        for q, t, rc, ans in ((a, "A", "NOERROR", four), (aaaa, "AAAA", "NOERROR", six), (nx, "A", "NXDOMAIN", [])):
            m = manifest.get((q, t))
            if m is not None and (m["rcode"], sorted(m["answer"])) != (rc, ans):
                sys.exit(f"compare: {q} {t}: manifest says {m['rcode']} {m['answer']}, the zone {rc} {ans}")
            expect.append({"qname": q, "qtype": t, "rcode": rc, "answer": ans})
        cold.write(f"{a} A\n")
        warm.write(f"{aaaa} AAAA\n{nx} A\n")
json.dump(expect, open(work + "/expect.json", "w"))
# Zipf-like popularity over the zones (weight 1/rank^s, rank = order picked),
# then the type: 80 % A, 15 % AAAA (answer or NODATA), 5 % NXDOMAIN.
cum = list(itertools.accumulate(1.0 / (r ** zipf) for r in range(1, len(picked) + 1)))
def query(r):
    apex, a, aaaa, _ = picked[bisect.bisect_right(cum, r.random() * cum[-1])]
    t = r.random()
    return f"{a} A" if t < 0.80 else f"{aaaa} AAAA" if t < 0.95 else f"nonexistent.{apex} A"
for k in range(1, clients + 1):
    r = random.Random(seed * 1000 + k)
    with open(f"{work}/q-hit-{k}", "w") as f:
        f.write("".join(query(r) + "\n" for _ in range(per_client)))
r = random.Random(seed * 1000)
with open(work + "/q-lat", "w") as f:
    f.write("".join(query(r) + "\n" for _ in range(200000)))
print(f"queries: {len(picked)} names (one per zone), {len(picked) * 2} warm-up AAAA and NXDOMAIN names, "
      f"{clients} clients x {per_client} Zipf (s={zipf}) hit queries, seed {seed}")
PY

# Upstream queries counted by the kernel: iptables counters on the way out to
# any lab server (UDP datagrams and TCP SYNs to port 53 of any address but
# 127.0.0.1, as count_upstream.py counts them), in the namespace only.
if iptables -w -A OUTPUT -p udp --dport 53 ! -d 127.0.0.1 2>/dev/null &&
  iptables -w -A OUTPUT -p tcp --syn --dport 53 ! -d 127.0.0.1 2>/dev/null; then
  upstream_zero() { iptables -w -Z OUTPUT; }
  upstream_count() { iptables -w -L OUTPUT -v -x -n | awk '$2 ~ /^[0-9]+$/ && /dpt:53/ {n += $1} END {print n + 0}'; }
else
  upstream_zero() { :; }
  upstream_count() { echo n/a; }
fi

cpu_ticks() {  # pid... : user + system of every thread of each
  local p sum=0
  for p in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo $sum
}
kernel_ticks() {  # pid... : system time alone of every thread of each
  local p sum=0
  for p in "$@"; do sum=$((sum + $(awk '{print $15}' "/proc/$p/stat"))); done
  echo $sum
}
thread_ticks() {  # pid prefix : the threads whose name starts with prefix
  local t sum=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in "$2"*) sum=$((sum + $(awk '{print $14 + $15}' "$t/stat"))) ;; esac
  done
  echo $sum
}
per() {  # ticks count -> microseconds each
  printf '%.2f' "$(echo "scale=4; $1 * 1000000 / $TCK / $2" | bc)"
}

# vigild's counters (vigilctl status), nothing for the others.
vstatus() {  # key
  [ "${1%%-*}" != vigil ] || "$VIGILCTL" -s "$WORK/control.sock" status
}
# Datagrams the kernel dropped at the server's sockets (127.0.0.1:53, every
# SO_REUSEPORT socket): the "drops" column of /proc/net/udp.
udp_drops() {
  awk '$2 == "0100007F:0035" {n += $NF} END {print n + 0}' /proc/net/udp
}

wait_up() {
  for _ in $(seq 150); do
    dig +time=1 +tries=1 @127.0.0.1 . NS >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "resolver did not come up" >&2
  return 1
}

# The query check: every cold and warm name once, rcode and A/AAAA addresses
# as expected. Prints "checked N, M differ" and the first differences.
check_answers() {
  python3 - "$WORK/expect.json" <<'PY'
import ipaddress, json, select, socket, struct, sys, time
expect = json.load(open(sys.argv[1]))
TYPES = {"A": 1, "AAAA": 28}
RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
def wire(qid, name, t):
    out = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1)
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0" + struct.pack(">HH", TYPES[t], 1) + b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
def skip_name(m, i):
    while True:
        l = m[i]
        if l == 0: return i + 1
        if l & 0xC0 == 0xC0: return i + 2
        i += 1 + l
def answers(m):
    an = struct.unpack(">H", m[6:8])[0]
    i = skip_name(m, 12) + 4
    out = []
    for _ in range(an):
        i = skip_name(m, i)
        t, _, _, rdlen = struct.unpack(">HHIH", m[i:i + 10])
        i += 10
        if t in (1, 28):
            out.append(str(ipaddress.ip_address(m[i:i + rdlen])))
        i += rdlen
    return sorted(out)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 53))
s.setblocking(False)
pending, bad, done, nxt = {}, [], 0, 0
deadline = time.monotonic() + 60
while (nxt < len(expect) or pending) and time.monotonic() < deadline:
    while nxt < len(expect) and len(pending) < 100:
        e = expect[nxt]
        qid = nxt & 0xFFFF
        s.send(wire(qid, e["qname"], e["qtype"]))
        pending[qid] = (nxt, time.monotonic())
        nxt += 1
    select.select([s], [], [], 0.5)
    while True:
        try:
            m = s.recv(65535)
        except BlockingIOError:
            break
        qid = struct.unpack(">H", m[:2])[0]
        if qid not in pending:
            continue
        e = expect[pending.pop(qid)[0]]
        done += 1
        rcode = RCODES.get(m[3] & 15, str(m[3] & 15))
        got = answers(m) if rcode == "NOERROR" else []
        if rcode != e["rcode"] or got != e["answer"]:
            bad.append(f'{e["qname"]} {e["qtype"]}: {rcode} {got}, expected {e["rcode"]} {e["answer"]}')
    for qid, (_, t0) in list(pending.items()):
        if time.monotonic() - t0 > 5:
            e = expect[pending.pop(qid)[0]]
            bad.append(f'{e["qname"]} {e["qtype"]}: no answer')
print(f"checked {len(expect)}, {len(bad)} differ" + "".join("\n    " + b for b in bad[:5]))
PY
}

# CLIENTS dnsperf processes at once, process K reading q-hit-K from
# 127.0.1.K, 200 queries in flight in all; prints their sums in dnsperf's
# words (as bench/server_dnsperf.sh's dnsperf_clients).
dnsperf_clients() {
  local k pids=()
  for k in $(seq 1 "$CLIENTS"); do
    dnsperf -a "127.0.1.$k" -s 127.0.0.1 -d "$WORK/q-hit-$k" -l "$SECS" -c 1 -T 1 -q $(((200 + CLIENTS - 1) / CLIENTS)) \
      >"$WORK/dnsperf-$k.out" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  for k in $(seq 1 "$CLIENTS"); do
    grep -q 'Queries completed' "$WORK/dnsperf-$k.out" || { echo "dnsperf -a 127.0.1.$k failed:" >&2; cat "$WORK/dnsperf-$k.out" >&2; }
  done
  cat "$WORK"/dnsperf-*.out | awk '
    /Queries completed/ {n = $3; done += n}
    /Queries lost/ {lost += $3}
    /Queries per second/ {qps += $4}
    /Response codes/ {
      sub(/.*Response codes: */, "")
      m = split($0, f, /[ ,]+/)
      for (i = 1; i < m; i += 3) { if (!(f[i] in rc)) order[++nrc] = f[i]; rc[f[i]] += f[i + 1] }
    }
    END {
      printf "  Queries completed:    %d\n  Queries lost:         %d\n", done, lost
      printf "  Queries per second:   %f\n  Response codes: ", qps
      for (i = 1; i <= nrc; i++) printf "%s%s %d", (i > 1 ? ", " : ""), order[i], rc[order[i]]
      print ""
    }'
  rm -f "$WORK"/dnsperf-*.out
}

# Prometheus for the image configuration: GET /metrics every SCRAPE seconds.
scrape_loop() {
  while :; do
    { exec 3<>/dev/tcp/127.0.0.1/9153 && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3 >/dev/null; } 2>/dev/null || true
    exec 3<&- || true
    sleep "$SCRAPE"
  done
}

# ------------------------------------------------------------ the servers
# Each start_* starts one configuration, sets PIDS (the processes whose CPU
# counts) and VERSION.
VIGILCTL="$BUILD/server/vigilctl"
start_vigil() {  # defaults|image|off
  {
    echo "server:"
    echo "  listen: [\"127.0.0.1:53\"]"
    echo "  threads: $WORKERS"
    echo "resolver:"
    echo "  root_hints: $WORK/lab/root.hints"
    echo "  do_not_query: []"
    echo "  qname_minimisation: relaxed"
    echo "  ipv6: false"
    echo "cache:"
    echo "  prefetch: false"
    echo "  serve_stale: false"
    [ "$1" != image ] || echo "  persist_path: $WORK/vigil-cache.dump"
    echo "control:"
    echo "  socket: $WORK/control.sock"
    case "$1" in
      off) printf 'intent:\n  enabled: false\n' ;;
      image)
        printf 'intent:\n  new_domain:\n    state: %s\n' "$WORK/domains.history"
        printf 'metrics:\n  listen: "127.0.0.1:9153"\n'
        printf 'query_log:\n  path: "-"\n'
        printf 'access_control:\n'
        for a in 127.0.0.0/8 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16; do printf '  - {from: %s, action: allow}\n' $a; done
        printf '  - {from: "::1/128", action: allow}\n  - {from: "fc00::/7", action: allow}\n'
        printf '  - {from: 0.0.0.0/0, action: refuse}\n  - {from: "::/0", action: refuse}\n'
        ;;
    esac
    [ -z "${VIGIL_YAML:-}" ] || printf '%s\n' "$VIGIL_YAML"
  } >"$WORK/vigil.yaml"
  rm -f "$WORK/vigil-cache.dump" "$WORK/domains.history" "$WORK/vigild.stdout"
  "$BUILD/server/vigild" -c "$WORK/vigil.yaml" >>"$WORK/vigild.stdout" 2>"$WORK/vigild.log" &
  PIDS=($!)
  VERSION="vigild $("$BUILD/server/vigild" --version | cut -d' ' -f2-)"
  if [ "$1" = image ]; then
    scrape_loop &
    SCRAPER=$!
  fi
}
start_unbound() {
  cat >"$WORK/unbound.conf" <<EOC
server:
  interface: 127.0.0.1
  port: 53
  num-threads: $WORKERS
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
  serve-expired: no
  module-config: "iterator"
  do-ip6: no
  # The defaults (4 MiB each) would evict part of 40,000 zones' delegations.
  msg-cache-size: 64m
  rrset-cache-size: 128m
  # Unbound serves test. itself (RFC 6761 default); the lab delegates it.
  local-zone: "test." nodefault
remote-control:
  control-enable: no
EOC
  unbound -c "$WORK/unbound.conf" 2>"$WORK/unbound.log" &
  PIDS=($!)
  VERSION=$(unbound -V | head -1)
}
start_pdns() {
  mkdir -p "$WORK/pdns"
  cat >"$WORK/pdns/recursor.conf" <<EOC
local-address=127.0.0.1
local-port=53
allow-from=127.0.0.0/8
hint-file=$WORK/lab/root.hints
# The lab's servers are on 127.x, which dont-query holds by default.
dont-query=
dnssec=off
threads=$WORKERS
pdns-distributes-queries=no
reuseport=yes
qname-minimization=yes
query-local-address=0.0.0.0
refresh-on-ttl-perc=0
serve-stale-extensions=0
security-poll-suffix=
daemon=no
write-pid=no
socket-dir=$WORK/pdns
disable-syslog=yes
quiet=yes
loglevel=4
statistics-interval=0
EOC
  pdns_recursor --config-dir="$WORK/pdns" >"$WORK/pdns.log" 2>&1 &
  PIDS=($!)
  VERSION=$(pdns_recursor --version 2>&1 | sed -n 's/.*\(PowerDNS Recursor [0-9.]*\).*/\1/p' | head -1)
}
start_kresd() {
  rm -rf "$WORK/kresd-cache"
  mkdir -p "$WORK/kresd-cache"
  cat >"$WORK/kresd.conf" <<EOC
log_target('stderr')
net.ipv6 = false
net.listen('127.0.0.1', 53, { kind = 'dns' })
-- Validation off: the lab is unsigned.
trust_anchors.remove('.')
modules.load('hints > iterate')
hints.root_file('$WORK/lab/root.hints')
cache.open(256 * MB, 'lmdb://$WORK/kresd-cache')
-- Knot Resolver refuses test. (RFC 6761); the lab delegates it. The rest
-- of that rule (onion., invalid., local.) stays.
policy.special_names[2].cb = policy.suffix(policy.DENY, { todname('onion.'), todname('invalid.'), todname('local.') })
-- The lab's servers are on 127.x: allow queries to local addresses.
policy.add(policy.all(policy.FLAGS({'ALLOW_LOCAL'})))
EOC
  # One process is one worker; WORKERS processes share the socket
  # (SO_REUSEPORT) and the cache.
  local k
  PIDS=()
  for k in $(seq 1 "$WORKERS"); do
    mkdir -p "$WORK/kresd-$k"
    kresd -n -c "$WORK/kresd.conf" "$WORK/kresd-$k" >"$WORK/kresd-$k.log" 2>&1 &
    PIDS+=($!)
  done
  VERSION="Knot Resolver $(kresd --version | awk '{print $NF}')"
}

# ------------------------------------------------------------ one turn
# PERF=DIR: a call-graph profile of the resolver during one phase
# (PERF_PHASE, hits or cold) into DIR/KEY.data; perf takes CPU too, so the
# numbers of such a run are not comparable. perf_start prints its pid.
perf_start() {  # key
  [ -n "${PERF:-}" ] || return 0
  mkdir -p "$PERF"
  perf record -q -g -F 2000 -p "$(echo "${PIDS[@]}" | tr ' ' ,)" -o "$PERF/$1.data" >/dev/null 2>&1 &
  echo $!
}
perf_stop() {  # pid, or empty
  [ -n "$1" ] || return 0
  kill -INT "$1" 2>/dev/null || true
  while kill -0 "$1" 2>/dev/null; do sleep 0.1; done
}
RESULTS=$WORK/results
measure() {  # key label
  local key=$1 label=$2 out before after
  echo "== $label: $VERSION ($WORKERS worker$([ "$WORKERS" = 1 ] || echo s)$([ "$key" != kresd ] || echo ": $WORKERS process(es)"))"
  # cold
  python3 "$HERE/count_upstream.py" "$WORK/count.json" &
  local counter=$!
  for _ in $(seq 50); do [ -e "$WORK/count.json.ready" ] && break; sleep 0.05; done
  upstream_zero
  before=$(cpu_ticks "${PIDS[@]}")
  local perf_pid=""
  [ "${PERF_PHASE:-hits}" != cold ] || perf_pid=$(perf_start "$key")
  out=$(dnsperf -s 127.0.0.1 -d "$WORK/q-cold" -n 1 -c 8 -q "$COLD_IN_FLIGHT" -t 10 2>&1)
  perf_stop "$perf_pid"
  after=$(cpu_ticks "${PIDS[@]}")
  local kernel_count
  kernel_count=$(upstream_count)
  kill -TERM $counter
  wait $counter || true
  rm -f "$WORK/count.json.ready"
  local cold_s codes servfail upstream cold_done cold_cpu
  cold_s=$(echo "$out" | awk '/Run time \(s\)/ {printf "%.2f", $4}')
  cold_done=$(echo "$out" | awk '/Queries completed/ {print $3}')
  codes=$(echo "$out" | sed -n 's/.*Response codes: *//p')
  servfail=$(echo "$codes" | { grep -o 'SERVFAIL [0-9]*' || true; } | awk '{print $2}')
  servfail=${servfail:-0}
  upstream=$(python3 -c "import json; c = json.load(open('$WORK/count.json')); print(c['udp'] + c['tcp_connections'])")
  cold_cpu=$(per $((after - before)) "$NAMES")
  # count_upstream.py reads every loopback frame in Python and can miss some
  # when the machine is busy; the kernel's counters cannot: they are the
  # number, when iptables works here.
  local up_per counted=$upstream
  [ "$kernel_count" = n/a ] || counted=$kernel_count
  up_per=$(printf '%.2f' "$(echo "scale=4; $counted / $NAMES" | bc)")
  printf '   cold: %d names in %s s (%d answered), %s SERVFAIL, %s upstream queries (%s per name; count_upstream.py saw %d), %s us CPU per name; rcodes %s\n' \
    "$NAMES" "$cold_s" "$cold_done" "$servfail" "$counted" "$up_per" "$upstream" "$cold_cpu" "$codes"
  # warm: the AAAA and NXDOMAIN names of the same zones
  python3 "$HERE/count_upstream.py" "$WORK/count.json" &
  counter=$!
  for _ in $(seq 50); do [ -e "$WORK/count.json.ready" ] && break; sleep 0.05; done
  out=$(dnsperf -s 127.0.0.1 -d "$WORK/q-warm" -n 1 -c 8 -q "$COLD_IN_FLIGHT" -t 10 2>&1)
  kill -TERM $counter
  wait $counter || true
  rm -f "$WORK/count.json.ready"
  printf '   warm: %d AAAA + NXDOMAIN names in %s s, %d upstream queries; rcodes %s\n' "$((2 * NAMES))" \
    "$(echo "$out" | awk '/Run time \(s\)/ {printf "%.2f", $4}')" \
    "$(python3 -c "import json; c = json.load(open('$WORK/count.json')); print(c['udp'] + c['tcp_connections'])")" \
    "$(echo "$out" | sed -n 's/.*Response codes: *//p')"
  printf '   check: %s\n' "$(check_answers)"
  upstream_zero
  local st0 sth stl st1 d0 dh dl d1
  st0=$(vstatus "$key")
  d0=$(udp_drops)
  # hits
  local p=${PIDS[0]} wb wa lb la kb ka
  before=$(cpu_ticks "${PIDS[@]}")
  kb=$(kernel_ticks "${PIDS[@]}")
  wb=$(thread_ticks "$p" vigil-worker)
  lb=$(thread_ticks "$p" vigil-querylog)
  perf_pid=""
  [ "${PERF_PHASE:-hits}" != hits ] || perf_pid=$(perf_start "$key")
  out=$(dnsperf_clients 2>&1)
  perf_stop "$perf_pid"
  after=$(cpu_ticks "${PIDS[@]}")
  ka=$(kernel_ticks "${PIDS[@]}")
  wa=$(thread_ticks "$p" vigil-worker)
  la=$(thread_ticks "$p" vigil-querylog)
  sth=$(vstatus "$key")
  dh=$(udp_drops)
  local qps answered us kus wus="" lus="" split=""
  qps=$(echo "$out" | awk '/Queries per second/ {printf "%.0f", $4}')
  answered=$(echo "$out" | awk '/Queries completed/ {print $3}')
  us=$(per $((after - before)) "$answered")
  kus=$(per $((ka - kb)) "$answered")  # of it in the kernel (system calls, the network stack)
  if [ "${key%%-*}" = vigil ]; then
    wus=$(per $((wa - wb)) "$answered")
    lus=$(per $((la - lb)) "$answered")
    split=" (worker $wus, query-log writer $lus, other $(printf '%.2f' "$(echo "$us - $wus - $lus" | bc)"))"
  fi
  printf '   hits: %s qps, %s us server CPU per query (%s in the kernel)%s; lost %s (%s dropped at the server'"'"'s sockets); rcodes %s\n' "$qps" "$us" "$kus" "$split" \
    "$(echo "$out" | awk '/Queries lost/ {print $3}')" "$((dh - d0))" "$(echo "$out" | sed -n 's/.*Response codes: *//p')"
  # latency at a fixed rate
  local addrs
  addrs=$(seq -f '127.0.1.%g' 1 "$CLIENTS" | paste -sd,)
  before=$(cpu_ticks "${PIDS[@]}")
  out=$("$BUILD/bench/paced-latency" -s 127.0.0.1 -d "$WORK/q-lat" -r "$LAT_RATE" -l "$LAT_SECONDS" -S 64 -a "$addrs")
  after=$(cpu_ticks "${PIDS[@]}")
  stl=$(vstatus "$key")
  dl=$(udp_drops)
  val() { echo "$out" | awk -v k="$1" '$1 == k {print $2}'; }
  local p50 p99 p999 lat_cpu
  p50=$(val p50_us)
  p99=$(val p99_us)
  p999=$(val p99.9_us)
  lat_cpu=$(per $((after - before)) "$(val answered)")
  printf '   latency at %s qps for %s s: p50 %s us, p90 %s us, p99 %s us, p99.9 %s us, max %s us; %s sent, %s lost; %s dropped at the server'"'"'s sockets; %s us CPU per query; sender behind: %s (max lag %s us)\n' \
    "$LAT_RATE" "$LAT_SECONDS" "$p50" "$(val p90_us)" "$p99" "$p999" "$(val max_us)" "$(val sent)" "$(val lost)" "$((dl - dh))" \
    "$lat_cpu" "$(val behind)" "$(val max_lag_us)"
  # saturation
  out=$(dnsperf -s 127.0.0.1 -a 127.0.1.100 -d "$WORK/q-hit-1" -l "$SAT_SECONDS" -c "$SAT_CLIENTS" -T 1 -q "$SAT_IN_FLIGHT" 2>&1)
  local sat_lost sat_qps sat_sent
  sat_lost=$(echo "$out" | awk '/Queries lost/ {print $3}')
  sat_sent=$(echo "$out" | awk '/Queries sent/ {print $3}')
  sat_qps=$(echo "$out" | awk '/Queries per second/ {printf "%.0f", $4}')
  st1=$(vstatus "$key")
  d1=$(udp_drops)
  printf '   saturation (-c %s -q %s, %s s): %s qps, %s of %s queries lost, %s of them dropped at the server'"'"'s sockets (receive buffer full)\n' \
    "$SAT_CLIENTS" "$SAT_IN_FLIGHT" "$SAT_SECONDS" "$sat_qps" "$sat_lost" "$sat_sent" "$((d1 - dl))"
  local hit_up
  hit_up=$(upstream_count)
  printf '   upstream queries during hits, latency and saturation: %s\n' "$hit_up"
  if [ "${key%%-*}" = vigil ]; then
    sv() { echo "$1" | awk -v k="$2:" '$1 == k {print $2}'; }
    dv() { echo $(($(sv "$2" "$3") - $(sv "$1" "$3"))); }  # status-before status-after key
    printf '   vigild: query log %s lines written (stdout file: %s lines), %s write errors; dropped as the queue was full: %s (hits %s, latency %s, saturation %s); queries that needed resolution: %s (during hits, latency and saturation: %s)\n' \
      "$(sv "$st1" querylog_written)" "$(wc -l <"$WORK/vigild.stdout")" "$(sv "$st1" querylog_dropped_write_error)" \
      "$(sv "$st1" querylog_dropped_queue_full)" "$(dv "$st0" "$sth" querylog_dropped_queue_full)" \
      "$(dv "$sth" "$stl" querylog_dropped_queue_full)" "$(dv "$stl" "$st1" querylog_dropped_queue_full)" \
      "$(sv "$st1" outcome_needs_resolution)" "$(dv "$st0" "$st1" outcome_needs_resolution)"
    DROPPED="$(sv "$st1" querylog_written) / $(sv "$st1" querylog_dropped_queue_full)"
    wus="$wus / $lus"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$qps" "$us" "$wus" "$kus" "$p50" "$p99" "$p999" \
    "$sat_lost" "$sat_qps" "$cold_cpu" "$up_per" "$servfail" "$cold_s" "$hit_up" "${DROPPED:-}" >>"$RESULTS"
  DROPPED=""
}

stop_all() {
  [ -z "${SCRAPER:-}" ] || { kill "$SCRAPER" 2>/dev/null || true; wait "$SCRAPER" 2>/dev/null || true; SCRAPER=""; }
  kill -TERM "${PIDS[@]}" 2>/dev/null || true
  wait "${PIDS[@]}" 2>/dev/null || true
}

run() {  # key label start-command...
  local key=$1 label=$2
  shift 2
  case " $ONLY " in *" $key "*) ;; *) return 0 ;; esac
  if ! command -v "${BIN[$key]}" >/dev/null; then
    echo "== $label: ${BIN[$key]} not installed, skipped"
    return 0
  fi
  "$@"
  if wait_up; then
    sleep 0.5  # priming done
    measure "$key" "$label"
  else
    echo "== $label did not start; its log:"
    cat "$WORK"/*.log | tail -20
  fi
  stop_all
}

declare -A BIN=([vigil-defaults]="$BUILD/server/vigild" [vigil-image]="$BUILD/server/vigild" [vigil-off]="$BUILD/server/vigild"
  [unbound]=unbound [pdns]=pdns_recursor [kresd]=kresd)
run vigil-defaults "Vigil defaults" start_vigil defaults
run vigil-image "Vigil image config" start_vigil image
run vigil-off "Vigil monitoring off" start_vigil off
run unbound "Unbound" start_unbound
run pdns "PowerDNS Recursor" start_pdns
run kresd "Knot Resolver" start_kresd

echo
echo "$NAMES names in $NAMES zones of a $((4 * ZONES))-zone lab; $WORKERS worker(s) each; hits: $CLIENTS clients, Zipf s=$ZIPF, ${SECS} s;" \
  "latency: $LAT_RATE qps for $LAT_SECONDS s; saturation: dnsperf -c $SAT_CLIENTS -q $SAT_IN_FLIGHT for $SAT_SECONDS s; whole run $((SECONDS - started)) s; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$RESULTS" "$LAT_RATE" <<'PY'
import os, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
rate = f"{int(sys.argv[2]):,}"
def n(x):
    try:
        return f"{float(x):,.0f}"
    except ValueError:
        return x
def ms(x):
    try:
        return f"{float(x) / 1000:.2f}"
    except ValueError:
        return x
print(f"| configuration | hit QPS | CPU µs/query (worker / writer) | of it kernel µs | p50 / p99 / p99.9 at {rate} qps, ms | lost at saturation (QPS) | cold CPU µs/name | upstream queries/name | cold SERVFAIL | cold wall s | upstream during hits | query log written / dropped |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for label, qps, us, split, kus, p50, p99, p999, lost, sqps, ccpu, up, sf, cs, hu, ql in rows:
    cpu = f"{us} ({split})" if split else us
    ql = " / ".join(n(x) for x in ql.split(" / ")) if ql else ""
    print(f"| {label} | {n(qps)} | {cpu} | {kus} | {ms(p50)} / {ms(p99)} / {ms(p999)} | {n(lost)} ({n(sqps)}) | {ccpu} | {up} | {sf} | {cs} | {hu} | {ql} |")
PY
