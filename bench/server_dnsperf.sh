#!/usr/bin/env bash
# Queries per second of the whole server path (socket → handler → socket),
# measured with dnsperf against vigild with one worker thread, and against
# Unbound with one thread serving the same local data, in a private network
# namespace (nothing leaves loopback).
#
#   bench/server_dnsperf.sh BUILD_DIR [SECONDS]
#
# Three query mixes, each for SECONDS (default 10):
#   local     A queries for 1000 names of a static local zone
#   negative  names of the same zone that do not exist (NXDOMAIN + SOA)
#   cache     A queries for 1000 names loaded into vigild's cache (vigild only):
#             with the intent detectors and the query log off, with the
#             detectors on (their default), with threat feeds loaded too
#             (an RPZ of 100,000 names, 10,000 wildcards and 1,000 rpz-ip
#             triggers, and a 100,000-line domain list; none matches these
#             names, as for nearly every query), and with the query log on
#             too and /metrics scraped every second (the cost of watching
#             every query); and with feeds of names only (the same RPZ
#             without its rpz-ip triggers, and the list): a cache hit then
#             keeps the zero-copy path
#   blocked   A queries for 1000 names the feeds rewrite (NXDOMAIN + SOA)
#   realistic (issue 24; vigild only) traffic from bench/traffic/gen_traffic.py:
#             5000 distinct registered domains (DOMAINS) under several TLDs and
#             multi-label public suffixes, Zipf-like popularity, 15% AAAA
#             (NODATA), 5% names that do not exist (NXDOMAIN), DGA names from
#             two bots and a TXT tunnel from one client, all in vigild's cache
#             (cache-load; ZIPF=0 makes every domain alike), sent by CLIENTS
#             (default 8) dnsperf processes each from its own source address
#             127.0.1.K (dnsperf -a), 200 queries in flight in all: with the
#             intent detectors off, and on (the default), ROUNDS times
#             alternately, with their medians
# Every line gives qps, server CPU per answered query, and for vigild the
# worker vs query-log writer threads' CPU per query.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$(cd "${1:?usage: server_dnsperf.sh BUILD_DIR [SECONDS]}" && pwd)
SECONDS_PER_RUN=${2:-10}

if [ "${IN_NETNS:-}" != 1 ]; then
  IN_NETNS=1 exec "$HERE/../tests/lab/lab.sh" netns "$0" "$BUILD" "$SECONDS_PER_RUN"
fi

WORK=$(mktemp -d /tmp/vigil-dnsperf.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

N=1000
{
  echo "server:"
  echo "  listen: [\"127.0.0.1:53\"]"
  echo "  threads: 1"
  echo "control:"
  echo "  socket: $WORK/control.sock"
  echo "metrics:"
  echo "  listen: \"127.0.0.1:9153\""
  echo "local_zones:"
  echo "  - {name: lan., type: static}"
  echo "local_data:"
  for i in $(seq 1 $N); do echo "  - \"host-$i.lan. 3600 IN A 10.0.$((i / 256)).$((i % 256))\""; done
} >"$WORK/base.yaml"
# Threat feeds of a realistic size: an RPZ and a domain list.
{
  echo "\$TTL 300"
  echo "@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 60"
  echo "@ NS localhost."
  for i in $(seq 1 100000); do echo "bad-$i.example CNAME ."; done
  for i in $(seq 1 10000); do echo "*.bad-$i.net CNAME ."; done
  for i in $(seq 1 1000); do echo "32.$((i % 250)).$((i / 250)).0.192.rpz-ip CNAME ."; done
} >"$WORK/feed.rpz"
for i in $(seq 1 100000); do echo "watch-$i.example.org"; done >"$WORK/feed.txt"
grep -v rpz-ip "$WORK/feed.rpz" >"$WORK/feed-names.rpz"
# The intent detectors off, on (the default), or on with the feeds; switched
# by a reload.
intent() {  # off|on|feeds|names
  {
    cat "$WORK/base.yaml"
    [ "$1" != off ] || printf 'intent:\n  enabled: false\n'
    local rpz=""
    case "$1" in feeds) rpz=$WORK/feed.rpz ;; names) rpz=$WORK/feed-names.rpz ;; esac
    [ -z "$rpz" ] || printf 'policy:\n  feeds:\n    - {name: rpz, file: %s, zone: rpz.bench.}\n    - {name: list, file: %s, format: domains}\n' \
      "$rpz" "$WORK/feed.txt"
  } >"$WORK/vigil.yaml"
  # A reload with feeds parses 20 MB of them and frees the old ones: let that
  # settle before the next run is timed.
  [ -z "${VPID:-}" ] || { "$BUILD/server/vigilctl" -s "$WORK/control.sock" reload >/dev/null && sleep 2; }
}
intent off
expires=$(($(date +%s) + 86400))
for i in $(seq 1 $N); do printf 'P 5 %d 1 1 host-%d.cached-bench.com. 0a01%04x\n' "$expires" "$i" "$i"; done >"$WORK/seed.dump"
for i in $(seq 1 $N); do echo "host-$i.lan A"; done >"$WORK/q-local"
for i in $(seq 1 $N); do echo "missing-$i.lan A"; done >"$WORK/q-negative"
for i in $(seq 1 $N); do echo "host-$i.cached-bench.com A"; done >"$WORK/q-cache"
for i in $(seq 1 $N); do echo "bad-$((i * 97)).example A"; done >"$WORK/q-blocked"
# The realistic mix: one query file per client and the cache seed they need.
CLIENTS=${CLIENTS:-8}
python3 "$HERE/traffic/gen_traffic.py" --out "$WORK/traffic" --seed "${TRAFFIC_SEED:-1}" \
  --domains "${DOMAINS:-5000}" --clients "$CLIENTS" --zipf "${ZIPF:-1}" 2>"$WORK/traffic.log"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, in clock ticks
# The same for the threads of PID whose name starts with PREFIX (vigild names
# its threads: vigil-worker-N, vigil-querylog, vigil-dnstap).
thread_ticks() {  # pid prefix
  local t sum=0
  for t in /proc/"$1"/task/*; do
    case "$(cat "$t/comm" 2>/dev/null)" in "$2"*) sum=$((sum + $(awk '{print $14 + $15}' "$t/stat"))) ;; esac
  done
  echo $sum
}

dnsperf_one() {  # server file
  dnsperf -s "$1" -d "$2" -l "$SECONDS_PER_RUN" -c 8 -T 1 -q 200
}
# CLIENTS dnsperf processes at once, process K reading PREFIX-K and sending
# from 127.0.1.K (so vigild sees CLIENTS clients), 200 queries in flight in
# all; prints their sums in dnsperf's words for run_dnsperf to read.
dnsperf_clients() {  # server prefix
  local k pids=()
  for k in $(seq 1 "$CLIENTS"); do
    dnsperf -a "127.0.1.$k" -s "$1" -d "$2-$k" -l "$SECONDS_PER_RUN" -c 1 -T 1 -q $(((200 + CLIENTS - 1) / CLIENTS)) \
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
    /Average Latency/ {lat += $4 * n}
    /Response codes/ {sub(/.*Response codes: */, ""); codes = codes $0 "; "}
    END {
      printf "  Queries completed:    %d\n  Queries lost:         %d\n", done, lost
      printf "  Queries per second:   %f\n  Average Latency (s):  %f\n", qps, done ? lat / done : 0
      print "  Response codes: " codes
    }'
  rm -f "$WORK"/dnsperf-*.out
}

run_dnsperf() {  # label file server pid
  local out before after wbefore wafter lbefore lafter
  before=$(cpu_ticks "$4")
  wbefore=$(thread_ticks "$4" vigil-worker)
  lbefore=$(thread_ticks "$4" vigil-querylog)
  out=$(${DNSPERF:-dnsperf_one} "$3" "$2" 2>&1)
  after=$(cpu_ticks "$4")
  wafter=$(thread_ticks "$4" vigil-worker)
  lafter=$(thread_ticks "$4" vigil-querylog)
  local qps lost lat done wus lus
  qps=$(echo "$out" | awk '/Queries per second/ {printf "%.0f", $4}')
  lost=$(echo "$out" | awk '/Queries lost/ {print $3}')
  lat=$(echo "$out" | awk '/Average Latency/ {printf "%.0f", $4 * 1000000}')
  done=$(echo "$out" | awk '/Queries completed/ {print $3}')
  # Server CPU per answered query: the per-core cost, whatever dnsperf manages.
  local us
  us=$(echo "scale=2; ($after - $before) * 1000000 / $(getconf CLK_TCK) / $done" | bc)
  printf '%-26s %8s qps  %6s us CPU/query  avg latency %5s us  lost %s\n' "$1" "$qps" "$us" "$lat" "$lost"
  # Where vigild's CPU went: the worker thread (the query path) and the query
  # log's writer thread (off the query path); zero for other servers.
  if [ $((wafter - wbefore + lafter - lbefore)) -gt 0 ]; then
    wus=$(echo "scale=2; ($wafter - $wbefore) * 1000000 / $(getconf CLK_TCK) / $done" | bc)
    lus=$(echo "scale=2; ($lafter - $lbefore) * 1000000 / $(getconf CLK_TCK) / $done" | bc)
    printf '%-26s %8s     %6s us worker  %6s us log writer\n' "" "" "$wus" "$lus"
  fi
  # For the summary: qps, CPU/query, worker, writer.
  [ -z "${RESULTS:-}" ] || echo "$qps $us ${wus:-0} ${lus:-0}" >>"$RESULTS"
}

median() {  # column of $1's lines
  sort -g -k"$2" "$1" | awk -v c="$2" '{v[NR] = $c} END {print v[int((NR + 1) / 2)]}'
}

echo "== vigild $("$BUILD/server/vigild" --version | cut -d' ' -f2-) (1 worker thread)"
"$BUILD/server/vigild" -c "$WORK/vigil.yaml" 2>"$WORK/vigild.log" &
VPID=$!
for _ in $(seq 100); do dig +short +time=1 +tries=1 @127.0.0.1 host-1.lan >/dev/null 2>&1 && break; sleep 0.1; done
"$BUILD/server/vigilctl" -s "$WORK/control.sock" cache-load "$WORK/seed.dump" >/dev/null
run_dnsperf "vigild local data" "$WORK/q-local" 127.0.0.1 $VPID
run_dnsperf "vigild local NXDOMAIN" "$WORK/q-negative" 127.0.0.1 $VPID
# Cache hits with the query log and scrapes off and on, alternately,
# ROUNDS times (default 3): the log on writes every query as a JSON line to a
# file in the run's directory and /metrics is scraped every second as
# Prometheus would. The summary compares the medians: a single pair of runs
# on a 2-core VM differs by more than the cost being measured.
scrape_loop() {
  while :; do
    exec 3<>/dev/tcp/127.0.0.1/9153 && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3 >/dev/null
    exec 3<&-
    sleep 1
  done
}
for round in $(seq 1 "${ROUNDS:-3}"); do
  intent off
  RESULTS=$WORK/off run_dnsperf "vigild cache hits" "$WORK/q-cache" 127.0.0.1 $VPID
  intent on
  RESULTS=$WORK/intent run_dnsperf "vigild hits + intent" "$WORK/q-cache" 127.0.0.1 $VPID
  intent feeds
  RESULTS=$WORK/feeds run_dnsperf "vigild hits + feeds" "$WORK/q-cache" 127.0.0.1 $VPID
  [ "$round" != 1 ] || run_dnsperf "vigild blocked by a feed" "$WORK/q-blocked" 127.0.0.1 $VPID
  intent names
  RESULTS=$WORK/names run_dnsperf "vigild hits + name-only feeds" "$WORK/q-cache" 127.0.0.1 $VPID
  intent feeds
  "$BUILD/server/vigilctl" -s "$WORK/control.sock" query-log "$WORK/queries.log" >/dev/null
  scrape_loop &
  SCRAPER=$!
  RESULTS=$WORK/on run_dnsperf "vigild hits + all + scrapes" "$WORK/q-cache" 127.0.0.1 $VPID
  kill $SCRAPER 2>/dev/null; wait $SCRAPER 2>/dev/null || true
  "$BUILD/server/vigilctl" -s "$WORK/control.sock" query-log off >/dev/null
  rm -f "$WORK"/queries.log*
done
qstatus=$("$BUILD/server/vigilctl" -s "$WORK/control.sock" status)
echo "   query log: $(echo "$qstatus" | awk '/^querylog_written/ {print $2}') lines written, $(echo "$qstatus" | awk '/^querylog_dropped_queue_full/ {print $2}') dropped (writer behind), $(echo "$qstatus" | awk '/^querylog_rotations/ {print $2}') rotations"
off_qps=$(median "$WORK/off" 1)
intent_qps=$(median "$WORK/intent" 1)
feeds_qps=$(median "$WORK/feeds" 1)
on_qps=$(median "$WORK/on" 1)
printf 'median of %s: off    %s qps, %s us CPU/query (worker %s)\n' "${ROUNDS:-3}" "$off_qps" "$(median "$WORK/off" 2)" "$(median "$WORK/off" 3)"
printf '              intent %s qps, %s us CPU/query (worker %s, writer %s)\n' "$intent_qps" "$(median "$WORK/intent" 2)" "$(median "$WORK/intent" 3)" "$(median "$WORK/intent" 4)"
printf '              feeds  %s qps, %s us CPU/query (worker %s, writer %s)\n' "$feeds_qps" "$(median "$WORK/feeds" 2)" "$(median "$WORK/feeds" 3)" "$(median "$WORK/feeds" 4)"
printf '              names  %s qps, %s us CPU/query (worker %s, writer %s)\n' "$(median "$WORK/names" 1)" "$(median "$WORK/names" 2)" "$(median "$WORK/names" 3)" "$(median "$WORK/names" 4)"
printf '              all    %s qps, %s us CPU/query (worker %s, writer %s)\n' "$on_qps" "$(median "$WORK/on" 2)" "$(median "$WORK/on" 3)" "$(median "$WORK/on" 4)"
printf '              throughput cost of the detectors: %s %%; of detectors + feeds: %s %%; of detectors + feeds + query log + scrapes: %s %%\n' \
  "$(echo "scale=1; ($off_qps - $intent_qps) * 100 / $off_qps" | bc)" "$(echo "scale=1; ($off_qps - $feeds_qps) * 100 / $off_qps" | bc)" \
  "$(echo "scale=1; ($off_qps - $on_qps) * 100 / $off_qps" | bc)"
echo "   feeds: $(curl -s http://127.0.0.1:9153/metrics | grep -E '^vigil_policy_(triggers|memory_bytes)' | tr '\n' ' ')"
# The realistic mix (issue 24): many registered domains and clients, so the
# detectors' per-query work is what production sees. Its negatives live an
# hour from their load: load the seed now.
intent off
"$BUILD/server/vigilctl" -s "$WORK/control.sock" cache-load "$WORK/traffic/seed.dump" >/dev/null
echo "   realistic: $(cat "$WORK/traffic.log" | sed 's/^gen_traffic: //'), from $CLIENTS source addresses"
for round in $(seq 1 "${ROUNDS:-3}"); do
  intent off
  RESULTS=$WORK/real-off DNSPERF=dnsperf_clients run_dnsperf "vigild realistic" "$WORK/traffic/queries" 127.0.0.1 $VPID
  intent on
  RESULTS=$WORK/real-on DNSPERF=dnsperf_clients run_dnsperf "vigild realistic + intent" "$WORK/traffic/queries" 127.0.0.1 $VPID
done
real_off_qps=$(median "$WORK/real-off" 1)
real_on_qps=$(median "$WORK/real-on" 1)
printf 'median of %s: realistic off    %s qps, %s us CPU/query (worker %s)\n' "${ROUNDS:-3}" "$real_off_qps" "$(median "$WORK/real-off" 2)" "$(median "$WORK/real-off" 3)"
printf '              realistic intent %s qps, %s us CPU/query (worker %s, writer %s)\n' "$real_on_qps" "$(median "$WORK/real-on" 2)" "$(median "$WORK/real-on" 3)" "$(median "$WORK/real-on" 4)"
printf '              throughput cost of the detectors on realistic traffic: %s %%\n' \
  "$(echo "scale=1; ($real_off_qps - $real_on_qps) * 100 / $real_off_qps" | bc)"
qstatus=$("$BUILD/server/vigilctl" -s "$WORK/control.sock" status)
echo "   realistic: $(echo "$qstatus" | awk '/^outcome_needs_resolution/ {print $2}') queries needed resolution (0: all from the cache)"
kill -TERM $VPID
wait $VPID || true

if command -v unbound >/dev/null; then
  {
    echo "server:"
    echo "  interface: 127.0.0.1"
    echo "  port: 53"
    echo "  num-threads: 1"
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  directory: \"$WORK\""
    echo "  pidfile: \"$WORK/unbound.pid\""
    echo "  do-daemonize: no"
    echo "  use-syslog: no"
    echo "  verbosity: 0"
    echo "  access-control: 127.0.0.0/8 allow"
    echo "  local-zone: \"lan.\" static"
    for i in $(seq 1 $N); do echo "  local-data: \"host-$i.lan. 3600 IN A 10.0.$((i / 256)).$((i % 256))\""; done
    echo "remote-control:"
    echo "  control-enable: no"
  } >"$WORK/unbound.conf"
  echo "== $(unbound -V | head -1) (1 thread)"
  unbound -c "$WORK/unbound.conf" 2>"$WORK/unbound.log" &
  UPID=$!
  for _ in $(seq 100); do dig +short +time=1 +tries=1 @127.0.0.1 host-1.lan >/dev/null 2>&1 && break; sleep 0.1; done
  run_dnsperf "unbound local data" "$WORK/q-local" 127.0.0.1 $UPID
  run_dnsperf "unbound local NXDOMAIN" "$WORK/q-negative" 127.0.0.1 $UPID
  kill -TERM $UPID
  wait $UPID || true
else
  echo "(unbound not installed: no comparison)"
fi
