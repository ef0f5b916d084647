#!/usr/bin/env bash
# The lab's own tests. Run inside a private network namespace:
#   tests/lab/lab.sh netns tests/lab/lab_test.sh
# Checks: every server is authoritative for its zones and refers correctly to
# the next level; a dig-only walk from the root reaches every manifest name
# with the expected answer; lame, unresponsive and oversized answers behave
# as intended; only loopback addresses appear; the lab comes up and goes down
# cleanly three times; a second lab runs at the same time in another
# namespace; the --delay switch (when the kernel has sch_netem).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB="$HERE/lab.sh"
WORK=$(mktemp -d /tmp/vigil-labtest.XXXXXX)
RUN="$WORK/lab"
passed=0 failed=0 skipped=0

ok()   { passed=$((passed + 1)); echo "ok   - $*"; }
bad()  { failed=$((failed + 1)); echo "FAIL - $*"; }
skip() { skipped=$((skipped + 1)); echo "skip - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
cleanup() { "$LAB" stop "$RUN" >/dev/null 2>&1; rm -rf "$WORK"; }
trap cleanup EXIT

q() { dig +norecurse +tries=1 +time=2 "$@"; }

"$LAB" start "$RUN" || { echo "FAIL - lab did not start"; exit 1; }

# --- authority and referrals ------------------------------------------------
servers_json="$RUN/servers.json"
auth_errors=$(python3 - "$servers_json" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
errors = 0
for addr, zones in d["servers"].items():
    for zone in zones:
        out = subprocess.run(["dig", "+norecurse", "+tries=1", "+time=2", f"@{addr}", zone, "SOA"],
                             capture_output=True, text=True).stdout
        if "status: NOERROR" not in out or " aa" not in out.split(";; flags:")[1].split(";")[0]:
            print(f"{addr} not authoritative for {zone}", file=sys.stderr); errors += 1
print(errors)
PY
)
check "every server answers authoritatively (AA) for each of its zones" [ "$auth_errors" = 0 ]

# Every delegation, from every server of the parent zone: a referral (no AA)
# whose authority section names the child zone's NS set.
referral_errors=$(python3 - "$servers_json" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
zones = {}
for addr, zs in d["servers"].items():
    for z in zs:
        zones.setdefault(z, []).append(addr)
def parent_of(z):
    best = None
    for p in zones:
        if p != z and (p == "." or z.endswith("." + p)) and (best is None or len(p) > len(best)):
            best = p
    return best
errors = checked = 0
for child in sorted(zones):
    if child == ".":
        continue
    for addr in zones[parent_of(child)]:
        out = subprocess.run(["dig", "+norecurse", "+tries=1", "+time=2", f"@{addr}", "probe." + child, "A"],
                             capture_output=True, text=True).stdout
        flags = out.split(";; flags:")[1].split(";")[0] if ";; flags:" in out else ""
        ns = [l.split() for l in out.split(";; AUTHORITY SECTION:")[-1].splitlines() if "\tNS\t" in l or " NS " in l]
        checked += 1
        if " aa" in flags or not ns or any(r[0] != child for r in ns):
            print(f"{addr}: no referral to {child}", file=sys.stderr); errors += 1
print(errors if checked else "none checked")
PY
)
check "every parent server refers to each child zone (no AA, the child's NS)" [ "$referral_errors" = 0 ]

referral_ok() {  # server name zone-expected
  local out; out=$(q @"$1" "$2" A)
  grep -q "status: NOERROR" <<<"$out" && ! grep -q "flags: qr aa" <<<"$out" &&
    grep -qE "^$3[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+NS" <<<"$out"
}
check "root refers www.zone-0.test. to test. with glue" referral_ok 127.1.0.1 www.zone-0.test. 'test\.'
check "root refers site-0.example. to example." referral_ok 127.1.0.2 www.site-0.example. 'example\.'
check "test. refers www.zone-0.test. to zone-0.test." referral_ok 127.2.0.1 www.zone-0.test. 'zone-0\.test\.'
check "example. refers to out-of-bailiwick NS without glue" \
  bash -c "out=\$(dig +norecurse @127.2.0.2 www.site-0.example. A); grep -q 'IN	NS	ns1.hosting-' <<<\"\$out\" && grep -q 'ADDITIONAL: 1' <<<\"\$out\""
check "root answers . NS authoritatively (priming)" bash -c "dig +norecurse @127.1.0.1 . NS | grep -q 'flags: qr aa'"

# --- the manifest, walked by hand -------------------------------------------
if python3 "$HERE/walk_lab.py" "$RUN" > "$WORK/walk.txt"; then
  ok "$(tail -1 "$WORK/walk.txt")"
else
  bad "manifest walk: $(tail -1 "$WORK/walk.txt")"; grep -m5 MISMATCH -A2 "$WORK/walk.txt" | cut -c1-300
fi

# --- special servers and answers --------------------------------------------
check "the lame server answers REFUSED for the zone it is named for" \
  bash -c "dig +norecurse @127.3.0.9 www.lame.test. A | grep -q 'status: REFUSED'"
check "the unresponsive server times out" \
  bash -c "! dig +norecurse +tries=1 +time=1 @127.3.0.10 www.slow.test. A >/dev/null"
check "the AA-referral server sets AA on its referral to deep.aaref.test." \
  bash -c "out=\$(dig +norecurse @127.3.0.11 www.deep.aaref.test. A); grep -q 'flags: qr aa;' <<<\"\$out\" && grep -q 'ANSWER: 0' <<<\"\$out\" && grep -qE '^deep\.aaref\.test\.[[:space:]].*NS' <<<\"\$out\""
big_server=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([a for a,z in d["servers"].items() if "big.test." in z][0])' "$servers_json")
check "txt.big.test. over UDP with a 1232-octet buffer is truncated (TC=1)" \
  bash -c "dig +norecurse +ignore +bufsize=1232 @$big_server txt.big.test. TXT | grep -q 'flags: qr aa tc'"
check "txt.big.test. over TCP is complete (10 TXT records)" \
  bash -c "[ \$(dig +norecurse +tcp +short @$big_server txt.big.test. TXT | wc -l) = 10 ]"
check "the NXDOMAIN answer carries the zone's SOA" \
  bash -c "dig +norecurse @127.2.0.1 nope.test. A | grep -qE 'status: NXDOMAIN' && dig +norecurse @127.2.0.1 nope.test. A | grep -qE '^test\.[[:space:]].*SOA'"
check "zones and hints contain only loopback addresses" python3 - "$RUN" <<'PY'
import ipaddress, os, sys
run = sys.argv[1]
lo4, bad = ipaddress.ip_network("127.0.0.0/8"), []
files = [os.path.join(run, "zones", f) for f in os.listdir(os.path.join(run, "zones"))] + [os.path.join(run, "root.hints")]
for path in files:
    for line in open(path):
        parts = line.split()
        for t in ("A", "AAAA"):
            if t in parts[2:4] or (len(parts) > 3 and parts[3] == t):
                addr = ipaddress.ip_address(parts[-1])
                if not (addr in lo4 or addr == ipaddress.ip_address("::1")):
                    bad.append((path, line.strip()))
sys.exit(1 if bad else 0)
PY

"$LAB" stop "$RUN"
no_lab_process() { ! pgrep -f "$RUN/" >/dev/null; }
check "stop leaves no lab process behind" no_lab_process

# --- up and down three times ------------------------------------------------
cycles_ok=1
for i in 1 2 3; do
  t0=$(date +%s.%N)
  if ! "$LAB" start "$RUN" >/dev/null; then cycles_ok=0; break; fi
  t1=$(date +%s.%N)
  q @127.1.0.1 . SOA | grep -q "flags: qr aa" || cycles_ok=0
  "$LAB" stop "$RUN" || cycles_ok=0
  no_lab_process || cycles_ok=0
  printf '     cycle %d: up in %.2f s\n' "$i" "$(echo "$t1 - $t0" | bc)"
done
check "the lab comes up and goes down cleanly three times in a row" [ $cycles_ok = 1 ]

# --- a second lab at the same time ------------------------------------------
"$LAB" start "$RUN" --seed 7 >/dev/null
check "a second lab runs at the same time in another namespace" \
  "$LAB" netns bash -c "'$LAB' start '$WORK/lab2' --seed 8 >/dev/null && dig +norecurse @127.1.0.1 . SOA | grep -q 'flags: qr aa' && dig +norecurse @127.2.0.1 zone-1.test. A | grep -q NOERROR; rc=\$?; '$LAB' stop '$WORK/lab2'; exit \$rc"
check "the first lab still answers after the second one stopped" bash -c "dig +norecurse @127.1.0.1 . SOA | grep -q 'flags: qr aa'"
"$LAB" stop "$RUN"

# --- network delay ----------------------------------------------------------
if "$LAB" netns bash -c 'tc qdisc add dev lo root netem delay 1ms' 2>/dev/null; then
  "$LAB" start "$RUN" --delay 50 >/dev/null
  ms=$(dig +norecurse @127.1.0.1 . SOA | sed -n 's/;; Query time: \([0-9]*\) msec/\1/p')
  check "--delay 50 slows each answer by at least 50 ms (saw ${ms} ms)" [ "${ms:-0}" -ge 50 ]
  "$LAB" stop "$RUN"
else
  skip "--delay: this kernel has no sch_netem (tc netem), cannot add delay"
fi

echo "lab: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
