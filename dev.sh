#!/usr/bin/env bash
# Vigil's one setup path. Installs the Debian packages the project needs (only
# the missing ones; sudo only when not root), configures and builds with CMake.
#
#   ./dev.sh deps                   install the missing packages only
#   ./dev.sh build [release|debug|asan|tsan|fuzz]
#                                   install packages, build in build/<kind>
#   ./dev.sh run [-- vigild args]   set up, build (Release) and run vigild
#   ./dev.sh test                   set up and run the whole test suite: format
#                                   check, Release tests (the container image
#                                   test beside them), ASan+UBSan tests, TSan
#                                   tests, bounded libFuzzer runs
#   ./dev.sh bench [benchmark args] build (Release), run the Google Benchmarks,
#                                   then vigild against Unbound (dnsperf, lab)
#   ./dev.sh format                 apply clang-format to the tree
#   ./dev.sh tidy                   build (Release), run clang-tidy on the sources
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$ROOT"
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${VIGIL_FUZZ_SECONDS:-6}

# Build and test dependencies, all from Debian 12.
PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config git
  libboost1.81-dev libldns-dev libssl-dev prometheus-cpp-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  nlohmann-json3-dev libyaml-cpp-dev
  # dnstap: Frame Streams and protobuf-c (and its compiler for dnstap.proto)
  libfstrm-dev libprotobuf-c-dev protobuf-c-compiler
  # intent detection: the Public Suffix List (libpsl, and Debian's list data)
  libpsl-dev publicsuffix
  # ... and the data the DGA model is trained on at build time: host names
  # from Privacy Badger's crawl and uBlock Origin's filter lists, English words
  webext-privacy-badger webext-ublock-origin-firefox wamerican
  # the test lab and real clients (prometheus: the server and promtool;
  # dnstap-ldns and fstrm-bin read the dnstap stream back)
  nsd bind9-dnsutils python3 iproute2 procps bc prometheus dnstap-ldns fstrm-bin
  # a live DNS tunnel through vigild (iodined does not start unless configured)
  iodine
  # the query log's rotation recipe, tested with the real logrotate
  logrotate
  # BIND's named: Response Policy Zone answers compared with vigild's;
  # Knot DNS: a primary that offers IXFR (policy feeds kept by transfer)
  bind9 knot
  # docker/: dnsdist for the scale-out test, docker-compose to validate the
  # stack, podman (with runc; crun cannot run on cgroup v1 hybrid hosts) and
  # mmdebstrap to build and run the image without a Docker engine or registry
  dnsdist docker-compose podman runc netavark aardvark-dns slirp4netns uidmap iptables mmdebstrap
)
# Only for ./dev.sh bench: the load generator and the resolver we compare with.
BENCH_PACKAGES=(dnsperf unbound pdns-recursor knot-resolver)
# Packages whose Debian service must not start on its own: the lab and the
# benchmarks run their own instances inside a network namespace, and a
# system NSD or Unbound on port 53 would collide with vigild.
LAB_DAEMONS=(nsd unbound dnsdist named knot pdns-recursor kresd@1)

log() { printf '\033[1m==> [%4ds] %s\033[0m\n' "$SECONDS" "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all packages present"
    return
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d exit 101 = "do not start services" while installing.
  local policy=/usr/sbin/policy-rc.d restore_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod +x "$policy"
    restore_policy=1
  fi
  # Refresh the package lists when they are missing or the install fails on them.
  if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null; then as_root apt-get update -qq; fi
  if ! as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ $restore_policy -eq 1 ]; then as_root rm -f "$policy"; fi
  if [ -d /run/systemd/system ]; then
    for d in "${LAB_DAEMONS[@]}"; do
      local pkg=${d/named/bind9}
      pkg=${pkg/kresd@1/knot-resolver}
      printf '%s\n' "${missing[@]}" | grep -qx "$pkg" && as_root systemctl disable --now "$d" >/dev/null 2>&1 || true
    done
  fi
}

build() {
  local kind=${1:-release} dir args=()
  case "$kind" in
    release) dir=build/release; args=(-DCMAKE_BUILD_TYPE=Release) ;;
    debug)   dir=build/debug;   args=(-DCMAKE_BUILD_TYPE=Debug) ;;
    asan)    dir=build/asan;    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_SANITIZE=ON -DVIGIL_BUILD_BENCH=OFF) ;;
    tsan)    dir=build/tsan;    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_TSAN=ON -DVIGIL_BUILD_BENCH=OFF) ;;
    fuzz)    dir=build/fuzz;    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_FUZZ=ON
                                      -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DVIGIL_FUZZ_SECONDS="$FUZZ_SECONDS") ;;
    *) echo "unknown build kind: $kind" >&2; exit 2 ;;
  esac
  log "building $kind in $dir"
  cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
  cmake --build "$dir" -j "$JOBS" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
}

# Project C++ sources: tracked and new (untracked, not ignored) files.
sources() { git ls-files -z --cached --others --exclude-standard "$@"; }

format_check() {
  log "checking formatting (clang-format)"
  sources '*.cc' '*.h' | xargs -0 -r clang-format --dry-run --Werror
}

run_ctest() {
  local dir=$1; shift
  log "ctest in $dir $*"
  ctest --test-dir "$dir" --output-on-failure -j "$JOBS" "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  deps) deps ;;
  build) deps; build "${1:-release}" ;;
  run)
    deps; build release
    [ "${1:-}" = "--" ] && shift
    log "starting vigild $*"
    exec build/release/server/vigild "$@"
    ;;
  test)
    deps
    format_check
    build release
    # The container test builds its own image (about 6 minutes alone on a
    # fresh machine). It runs in the background from here on, at low CPU
    # priority: it soaks up the cores the tests below leave idle (the lab
    # tests mostly wait) instead of slowing the sanitizer builds; its output
    # is shown at the end.
    mkdir -p build
    log "container image test started in the background (tests/docker/container_test.sh, log: build/container-test.log)"
    nice -n 15 tests/docker/container_test.sh >build/container-test.log 2>&1 &
    container_pid=$!
    trap 'kill $container_pid 2>/dev/null || true' EXIT
    run_ctest build/release
    build asan
    # The lab's own tests exercise no project code: once (in Release) is enough.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      run_ctest build/asan -LE '^lab$'
    # ThreadSanitizer: the concurrent data structures and the worker threads.
    BUILD_TARGETS="cache_unittests monitor_unittests resolver_unittests server_unittests" build tsan
    TSAN_OPTIONS=halt_on_error=1 run_ctest build/tsan -R '^(RRsetCache|RRsetCacheConcurrency|InfraCache|Worker|Engine|QueryLog|EventRing|InflightTable|FailureCache)Test[.]'
    build fuzz
    run_ctest build/fuzz -L fuzz
    # The container image, built and run with podman (exit 77: cannot here).
    rc=0
    wait $container_pid || rc=$?
    trap - EXIT
    log "container image test (tests/docker/container_test.sh):"
    cat build/container-test.log >&2
    if [ $rc -eq 77 ]; then log "container test skipped (see above)"; elif [ $rc -ne 0 ]; then exit $rc; fi
    log "all test stages passed"
    ;;
  bench)
    deps "${BENCH_PACKAGES[@]}"; build release
    for b in build/release/bench/*_bench; do [ -x "$b" ] && "$b" "$@"; done
    log "server path: dnsperf against vigild and unbound (bench/server_dnsperf.sh)"
    bench/server_dnsperf.sh build/release
    log "resolution: vigild and unbound on the test lab (bench/resolver_lab.sh)"
    bench/resolver_lab.sh build/release
    ;;
  format)
    sources '*.cc' '*.h' | xargs -0 -r clang-format -i
    ;;
  tidy)
    deps; build release
    sources '*.cc' | xargs -0 -r -n 8 -P "$JOBS" clang-tidy -p build/release --quiet
    ;;
  *)
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
