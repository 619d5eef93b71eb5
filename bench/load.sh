#!/usr/bin/env bash
# trustmon side by side with the peer OCSP responders, in ONE run on this machine.
#
# Shared, noisy machines make absolute req/s meaningless across runs; only ratios
# between servers measured in the same run mean something. So this script uses the
# peer kit (/work/shared/peers: test PKI, request sets, nginx / `openssl ocsp` / CFSSL
# launchers, the wrk driver) and measures trustmon and the peers in interleaved rounds:
# every round runs each server once, and the tables show the median of the rounds.
#
# What it does (everything on 127.0.0.1; every server it starts, it stops on exit):
#  1. peer kit dependencies (install-deps.sh only if a tool is missing), PKI
#     (make-pki.sh 10000) and requests (make-requests.sh 1000) if not there yet;
#  2. a fresh trustmon data folder (trustmonctl init, issuer "peer" = the kit's CA with
#     its delegated signer), configs: workers = 1 / 2, [log] access = "off" for the
#     measured runs, and one variant with the access log written to a file;
#  3. trustmond pinned to CPU 1, imports the kit's certificates and its index.txt
#     revocations (bench/lib/index2tsv.py), then peers/check.sh against it;
#  4. openssl speed ecdsap256 on CPU 1 (before and after the load runs);
#  5. pinned table (server on CPU 1, wrk on CPU 0, c=CONNS): trustmon POST without nonce
#     (pre-signed), GET, POST with nonce (live signing); nginx static GET/POST; peer A
#     `openssl ocsp` (restarted before every run, stopped after it); peer B CFSSL;
#     trustmon with the access log on (POST without nonce);
#  6. unpinned table: trustmon workers = 2 and nginx with 2 workers, REPEAT runs each;
#     peers A and B unpinned, one run each;
#  7. with --sweep: c=1 and c=200, pinned, one run per server and method;
#  8. bench/lib/report.py: results.md (req/s, p50, p99, ratio to nginx, targets).
#
# Usage: bench/load.sh [--sweep] [--no-unpinned] [--no-peers] [--quick]
#   --sweep        also c=1 and c=200 (pinned, one run each)
#   --no-unpinned  skip the unpinned table
#   --no-peers     trustmon and nginx only (nginx is the reference of every ratio)
#   --quick        REPEAT=1 DURATION=3s (a smoke test of the script, not a measurement)
# Environment:
#   KIT=/work/shared/peers    the peer kit;  PEERS_DIR=/tmp/peers  its scratch folder
#   BUILD=<repo>/build/release (built here with the bench options if binaries are missing)
#   OUT=$PEERS_DIR/trustmon-bench   results folder (results.md, *.tsv, check, speed, logs)
#   PORT=18090  REPEAT=3  DURATION=10s  CONNS=50  SERVER_CPU=1  CLIENT_CPU=0
#   MAX_LOAD=1.5  wait (up to LOAD_WAIT=1800 s) for the 1-minute load average to drop
#                 below this before measuring; MAX_LOAD= (empty) skips the wait
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=$root/bench/lib
KIT=${KIT:-/work/shared/peers}
export PEERS_DIR=${PEERS_DIR:-/tmp/peers}
BUILD=${BUILD:-$root/build/release}
OUT=${OUT:-$PEERS_DIR/trustmon-bench}
PORT=${PORT:-18090}
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
SRV_CPU=${SERVER_CPU-1}
CLI_CPU=${CLIENT_CPU-0}
MAX_LOAD=${MAX_LOAD-1.5}
LOAD_WAIT=${LOAD_WAIT:-1800}
SWEEP=0; UNPINNED=1; PEERS=1
for a in "$@"; do
  case $a in
    --sweep) SWEEP=1 ;;
    --no-unpinned) UNPINNED=0 ;;
    --no-peers) PEERS=0 ;;
    --quick) REPEAT=1; DURATION=3s ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $a (see --help)" >&2; exit 2 ;;
  esac
done

[ -x "$KIT/load.sh" ] || { echo "no peer kit in $KIT (set KIT=)" >&2; exit 1; }
# the kit's defaults and helpers (PKI, REQS, RUN, ports, spinning_children); our own
# settings above were read first, and every kit script gets its CPU settings explicitly
. "$KIT/common.sh"
say() { printf '\n== %s\n' "$*"; }
die() { echo "bench/load.sh: $*" >&2; exit 1; }

# ---- 1. peer kit: dependencies, PKI, requests
missing=""
for t in openssl cfssl nginx wrk ocsptool curl taskset ss python3; do
  command -v "$t" >/dev/null || missing="$missing $t"
done
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
if [ -n "$missing" ]; then
  say "installing the peer kit's dependencies (missing:$missing)"
  if [ "$(id -u)" = 0 ]; then "$KIT/install-deps.sh"; else sudo "$KIT/install-deps.sh"; fi
fi
[ -s "$PKI/index.txt" ] || { say "making the test PKI"; "$KIT/make-pki.sh" 10000; }
[ -s "$REQS/nononce.list" ] || { say "making the request sets"; "$KIT/make-requests.sh" 1000; }

ctl=$BUILD/tools/trustmonctl
daemon=$BUILD/responder/trustmond
if [ ! -x "$ctl" ] || [ ! -x "$daemon" ]; then
  say "building trustmond and trustmonctl in $BUILD"
  cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRUSTMON_TESTS=OFF -DTRUSTMON_BENCH=ON >/dev/null
  cmake --build "$BUILD" -j2 --target trustmond trustmonctl
fi

mkdir -p "$OUT"
rm -f "$OUT"/pinned.tsv "$OUT"/unpinned.tsv "$OUT"/sweep.tsv "$OUT"/speed-*.txt "$OUT"/notes.txt
notes=$OUT/notes.txt; : > "$notes"

# ---- cleanup: every server this script starts is stopped by its PID
tm_pid=""
stop_trustmond() {
  if [ -n "$tm_pid" ] && kill -0 "$tm_pid" 2>/dev/null; then
    kill -TERM "$tm_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$tm_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$tm_pid" 2>/dev/null && kill -KILL "$tm_pid" 2>/dev/null
    wait "$tm_pid" 2>/dev/null || true
  fi
  tm_pid=""
}
cleanup() {
  stop_trustmond
  "$KIT/run-openssl-ocsp.sh" stop >/dev/null 2>&1 || true
  "$KIT/run-cfssl.sh" stop >/dev/null 2>&1 || true
  "$KIT/run-nginx.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 2. trustmon data folder and configurations
data=$OUT/data
url=http://127.0.0.1:$PORT
rm -rf "$data"
"$ctl" init --data "$data" --listen "127.0.0.1:$PORT" \
  --issuer "peer=$PKI/ca.pem,$PKI/signer.pem,$PKI/signer.key" > "$OUT/init.json"
base_conf=$data/trustmon.toml
mkconf() {  # mkconf NAME WORKERS ACCESS -> path of the config
  local f=$data/$1.toml
  cp "$base_conf" "$f"
  "$lib/set_toml.py" "$f" server workers "$2"
  "$lib/set_toml.py" "$f" log access "\"$3\""
  "$lib/set_toml.py" "$f" log file "\"$data/$1.log\""
  echo "$f"
}
conf_w1=$(mkconf bench-w1 1 off)
conf_w2=$(mkconf bench-w2 2 off)
conf_acc=$(mkconf bench-w1-accesslog 1 "$data/access.log")
for c in "$conf_w1" "$conf_w2" "$conf_acc"; do "$daemon" --config "$c" --check-config >/dev/null; done

start_trustmond() {  # start_trustmond CONFIG CPU(""=unpinned)
  stop_trustmond
  local pin=(); [ -n "$2" ] && pin=(taskset -c "$2")
  "${pin[@]}" "$daemon" --config "$1" 2>>"$OUT/trustmond.stderr" < /dev/null &
  tm_pid=$!
  for _ in $(seq 300); do
    curl -sf "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$tm_pid" 2>/dev/null || { tail -5 "$OUT/trustmond.stderr" >&2; die "trustmond exited at start"; }
    sleep 0.1
  done
  die "trustmond did not answer /healthz"
}

# ---- 3. load the kit's PKI, check correctness
say "trustmond (workers = 1, CPU ${SRV_CPU:-any}): importing $(ls "$PKI/certs" | wc -l) certificates and the index.txt revocations"
start_trustmond "$conf_w1" "$SRV_CPU"
api=("$ctl" --server "$url" --token-file "$data/admin.token")
t0=$(date +%s.%N)
"${api[@]}" import "$PKI/certs" > "$OUT/import.json" || echo "trustmonctl import exit $?: see $OUT/import.json" | tee -a "$notes"
t1=$(date +%s.%N)
"$lib/index2tsv.py" peer "$PKI/index.txt" > "$OUT/revocations.tsv"
"${api[@]}" revoke --file "$OUT/revocations.tsv" > "$OUT/revoke.json" || echo "trustmonctl revoke exit $?: see $OUT/revoke.json" | tee -a "$notes"
t2=$(date +%s.%N)
/usr/bin/python3 - "$OUT/import.json" "$OUT/revoke.json" <<'PY' | tee -a "$notes"
import json, sys
imp, rev = (json.load(open(p)) for p in sys.argv[1:3])
short = lambda d: {k: v for k, v in d.items() if not isinstance(v, (list, dict))}
print("import:", json.dumps(short(imp)), "| revoke:", json.dumps(short(rev)))
PY
awk -v a="$t0" -v b="$t1" -v c="$t2" -v cpu="${SRV_CPU:-any}" \
  'BEGIN {printf "load times: import %.1f s, revoke %.1f s (trustmond on CPU %s)\n", b - a, c - b, cpu}' | tee -a "$notes"

say "correctness: peers/check.sh $url/ocsp/ 20"
check_rc=0
"$KIT/check.sh" "$url/ocsp/" 20 > "$OUT/check-trustmon.txt" 2>&1 || check_rc=$?
cat "$OUT/check-trustmon.txt"
[ "$check_rc" = 0 ] || echo "CHECK FAILED for trustmon (exit $check_rc): see $OUT/check-trustmon.txt" | tee -a "$notes"

# ---- environment, then wait for a quiet machine
{ echo "date: $(date -u +%FT%TZ)"; echo "kernel: $(uname -r)"
  echo "cpus: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compiler: $(c++ --version | head -1)"
  echo "openssl: $(openssl version)"; echo "libevent: $(pkg-config --modversion libevent 2>/dev/null || echo '?')"
  echo "lmdb: $(pkg-config --modversion lmdb 2>/dev/null || echo '?')"
  echo "nginx: $(nginx -v 2>&1)"; echo "cfssl: $(cfssl version 2>&1 | head -1)"; echo "wrk: $(wrk -v 2>&1 | head -1)"
  echo "trustmon: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') (build type $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt"))"
  echo "settings: duration $DURATION, c=$CONNS, $REPEAT rounds, wrk -t1, server CPU ${SRV_CPU:-any}, wrk CPU ${CLI_CPU:-any}"
  echo "PKI: $(wc -l < "$PKI/index.txt") certs, $(grep -c '^R' "$PKI/index.txt") revoked; requests $(wc -l < "$REQS/nononce.list")"
} > "$OUT/env.txt"
cat "$OUT/env.txt"

wait_quiet() {
  [ -n "$MAX_LOAD" ] || return 0
  local waited=0 l
  while l=$(cut -d' ' -f1 /proc/loadavg); awk -v l="$l" -v m="$MAX_LOAD" 'BEGIN{exit !(l >= m)}'; do
    [ "$waited" -ge "$LOAD_WAIT" ] && { echo "load $l still >= $MAX_LOAD after ${LOAD_WAIT}s; measuring anyway" | tee -a "$notes"; return 0; }
    [ $((waited % 60)) = 0 ] && echo "waiting for the load average ($l) to drop below $MAX_LOAD ..."
    sleep 10; waited=$((waited + 10))
  done
}
stop_trustmond   # idle during the wait; restarted below
wait_quiet
echo "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$notes" "$OUT/env.txt"

speed() {  # speed N
  if [ -n "$SRV_CPU" ]; then taskset -c "$SRV_CPU" openssl speed -seconds 3 ecdsap256 > "$OUT/speed-$1.txt" 2>/dev/null
  else openssl speed -seconds 3 ecdsap256 > "$OUT/speed-$1.txt" 2>/dev/null; fi
  grep 'nistp256' "$OUT/speed-$1.txt" | tail -1
}
say "openssl speed -seconds 3 ecdsap256 (CPU ${SRV_CPU:-any})"
speed 1

# ---- load helpers
# run TSV LABEL URL METHOD REQLIST CONNS [WARMUP] [CLIENT_CPU]
run() {
  local tsv=$1 label=$2 u=$3 method=$4 reqs=$5 conns=$6 warm=${7-2s}
  local ccpu=${8-$CLI_CPU}
  LABEL=$label WARMUP=$warm CHECK=1 RESULTS_TSV=$tsv CLIENT_CPU=$ccpu \
    "$KIT/load.sh" "$u" "$REQS/$reqs.list" "$method" "$conns" "$DURATION" | grep '^SUMMARY' || {
    echo "load run failed: $label $method c=$conns" | tee -a "$notes"; }
}
trustmon_runs() {  # TSV LABEL CONNS
  run "$1" "$2 nononce" "$url/ocsp/" post nononce "$3"
  run "$1" "$2 nononce" "$url/ocsp/" get nononce "$3"
  run "$1" "$2 nonce" "$url/ocsp/" post nonce "$3"
}
nginx_runs() {  # TSV CONNS
  local u=http://127.0.0.1:${NGINX_PORT:-18083}/ocsp/
  run "$1" "nginx nononce" "$u" post nononce "$2"
  run "$1" "nginx nononce" "$u" get nononce "$2"
}
openssl_runs() {  # TSV CONNS SERVER_CPU : restarted before every run, stopped after it
  local u=http://127.0.0.1:${OPENSSL_PORT:-18081}/ v m l s
  for v in "post nononce" "post nonce" "get nononce"; do
    set -- "$1" "$2" "$3" $v; m=$4; l=$5
    SERVER_CPU=$3 "$KIT/run-openssl-ocsp.sh" restart >/dev/null || { echo "peer A did not start" | tee -a "$notes"; return 0; }
    run "$1" "openssl-ocsp $l" "$u" "$m" "$l" "$2" 0
    s=$(spinning_children "$(cat "$RUN/openssl-ocsp.pid")")
    echo "peer A $m $l c=$2: processes left spinning after the run: $s" >> "$notes"
    "$KIT/run-openssl-ocsp.sh" stop >/dev/null
  done
}
cfssl_ok=0
cfssl_runs() {  # TSV CONNS (GET is broken in Debian's cfssl 1.2.0: HTTP 400, so POST only)
  [ "$cfssl_ok" = 1 ] || return 0
  local u=http://127.0.0.1:${CFSSL_PORT:-18082}/
  run "$1" "cfssl nononce" "$u" post nononce "$2"
  run "$1" "cfssl nonce" "$u" post nonce "$2"
}

start_nginx() { SERVER_CPU=$1 WORKERS=$2 "$KIT/run-nginx.sh" restart | tail -1; }
start_cfssl() {
  cfssl_ok=0
  if SERVER_CPU=$1 "$KIT/run-cfssl.sh" restart 2>&1 | tail -1; then
    [ -s "$RUN/cfssl.pid" ] && kill -0 "$(cat "$RUN/cfssl.pid")" 2>/dev/null && cfssl_ok=1
  fi
  [ "$cfssl_ok" = 1 ] || echo "peer B (cfssl) did not start; left out" | tee -a "$notes"
}

# ---- 5. pinned table, interleaved rounds
say "pinned table: $REPEAT rounds, c=$CONNS, $DURATION per run"
start_trustmond "$conf_w1" "$SRV_CPU"
start_nginx "$SRV_CPU" 1
[ "$PEERS" = 1 ] && start_cfssl "$SRV_CPU"
for r in $(seq "$REPEAT"); do
  say "round $r/$REPEAT"
  nginx_runs "$OUT/pinned.tsv" "$CONNS"
  trustmon_runs "$OUT/pinned.tsv" trustmon-w1 "$CONNS"
  if [ "$PEERS" = 1 ]; then
    cfssl_runs "$OUT/pinned.tsv" "$CONNS"
    openssl_runs "$OUT/pinned.tsv" "$CONNS" "$SRV_CPU"
  fi
done
say "access log on, to a file ($data/access.log)"
start_trustmond "$conf_acc" "$SRV_CPU"
for r in $(seq "$REPEAT"); do
  run "$OUT/pinned.tsv" "trustmon-w1-accesslog nononce" "$url/ocsp/" post nononce "$CONNS"
done
echo "access log: $(wc -l < "$data/access.log") lines, $(du -h "$data/access.log" | cut -f1); first line: $(head -1 "$data/access.log")" | tee -a "$notes"
rm -f "$data/access.log"

# ---- 7. sweep (optional), pinned
if [ "$SWEEP" = 1 ]; then
  say "sweep: c=1 and c=200, one run each"
  start_trustmond "$conf_w1" "$SRV_CPU"
  for c in 1 200; do
    nginx_runs "$OUT/sweep.tsv" "$c"
    trustmon_runs "$OUT/sweep.tsv" trustmon-w1 "$c"
    if [ "$PEERS" = 1 ]; then cfssl_runs "$OUT/sweep.tsv" "$c"; openssl_runs "$OUT/sweep.tsv" "$c" "$SRV_CPU"; fi
  done
fi
stop_trustmond
"$KIT/run-nginx.sh" stop >/dev/null
"$KIT/run-cfssl.sh" stop >/dev/null 2>&1 || true

# ---- 6. unpinned table
if [ "$UNPINNED" = 1 ]; then
  say "unpinned table: trustmon workers = 2, nginx 2 workers, wrk unpinned"
  start_trustmond "$conf_w2" ""
  start_nginx "" 2
  for r in $(seq "$REPEAT"); do
    say "round $r/$REPEAT (unpinned)"
    run "$OUT/unpinned.tsv" "nginx nononce" "http://127.0.0.1:$NGINX_PORT/ocsp/" post nononce "$CONNS" 2s ""
    run "$OUT/unpinned.tsv" "nginx nononce" "http://127.0.0.1:$NGINX_PORT/ocsp/" get nononce "$CONNS" 2s ""
    run "$OUT/unpinned.tsv" "trustmon-w2 nononce" "$url/ocsp/" post nononce "$CONNS" 2s ""
    run "$OUT/unpinned.tsv" "trustmon-w2 nononce" "$url/ocsp/" get nononce "$CONNS" 2s ""
    run "$OUT/unpinned.tsv" "trustmon-w2 nonce" "$url/ocsp/" post nonce "$CONNS" 2s ""
  done
  stop_trustmond
  "$KIT/run-nginx.sh" stop >/dev/null
  if [ "$PEERS" = 1 ]; then
    start_cfssl ""
    if [ "$cfssl_ok" = 1 ]; then
      run "$OUT/unpinned.tsv" "cfssl nononce" "http://127.0.0.1:$CFSSL_PORT/" post nononce "$CONNS" 2s ""
      run "$OUT/unpinned.tsv" "cfssl nonce" "http://127.0.0.1:$CFSSL_PORT/" post nonce "$CONNS" 2s ""
    fi
    "$KIT/run-cfssl.sh" stop >/dev/null 2>&1 || true
    CLI_CPU_SAVE=$CLI_CPU; CLI_CPU=""
    openssl_runs "$OUT/unpinned.tsv" "$CONNS" ""
    CLI_CPU=$CLI_CPU_SAVE
  fi
fi

say "openssl speed -seconds 3 ecdsap256 again (CPU ${SRV_CPU:-any})"
speed 2
echo "load average after measuring: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$notes" "$OUT/env.txt"

# ---- 8. report
/usr/bin/python3 "$lib/report.py" "$OUT" > "$OUT/results.md"
{ echo; echo "## Notes"; echo; sed 's/^/- /' "$notes"; echo; echo "## Correctness (peers/check.sh)"; echo
  echo '```'; cat "$OUT/check-trustmon.txt"; echo '```'; } >> "$OUT/results.md"
say "results ($OUT/results.md)"
cat "$OUT/results.md"
