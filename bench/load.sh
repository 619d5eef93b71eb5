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
#   BUILD=<repo>/build/release (configured here if needed; `cmake --build` of trustmond and
#                trustmonctl runs first, so the binaries match the tree)
#   BASE=<dir>   a second build (e.g. of the previous commit, in another worktree), used as
#                is: its trustmond is measured in the same pinned rounds, on a data folder
#                its own trustmonctl made and loaded with the same certificates and
#                revocations, as "trustmon-base-w1" (the "before" rows of a change)
#   OUT=$PEERS_DIR/trustmon-bench   results folder (results.md, *.tsv, check, speed, logs)
#   PORT=18090  REPEAT=3  DURATION=10s  CONNS=50  SERVER_CPU=1  CLIENT_CPU=0
#   MAX_BUSY=10   before every load run, wait (up to LOAD_WAIT=1800 s) until the machine,
#                 with our servers idle, is at most this % busy (other people's builds);
#                 MAX_BUSY= (empty) skips the waits; a run after which the machine is
#                 busy again is repeated (RETRIES=2 times at most)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib=$root/bench/lib
KIT=${KIT:-/work/shared/peers}
export PEERS_DIR=${PEERS_DIR:-/tmp/peers}
BUILD=${BUILD:-$root/build/release}
BASE=${BASE:-}
OUT=${OUT:-$PEERS_DIR/trustmon-bench}
PORT=${PORT:-18090}
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
SRV_CPU=${SERVER_CPU-1}
CLI_CPU=${CLIENT_CPU-0}
MAX_BUSY=${MAX_BUSY-10}
RETRIES=${RETRIES:-2}
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
# The same sample with SHA-256 CertIDs (RFC 9919 recommends them), no nonce: answered live
# once, then from the stored answer (issue 18, item 1).
if [ ! -s "$REQS/sha256.list" ]; then
  say "making the SHA-256 CertID requests"
  mkdir -p "$REQS/sha256"
  tail -n +2 "$REQS/sample.tsv" | cut -f1 | xargs -P "$(nproc)" -I{} \
    openssl ocsp -issuer "$PKI/ca.pem" -sha256 -cert "$PKI/certs/{}.pem" -no_nonce -reqout "$REQS/sha256/{}.der" >/dev/null
  ls "$REQS"/sha256/*.der > "$REQS/sha256.list"
fi

ctl=$BUILD/tools/trustmonctl
daemon=$BUILD/responder/trustmond
base_daemon=""
if [ -n "$BASE" ]; then
  base_daemon=$BASE/responder/trustmond
  [ -x "$base_daemon" ] || { echo "bench/load.sh: no trustmond in BASE=$BASE" >&2; exit 1; }
fi
# Always bring the binaries up to date with the tree (a no-op when they are), so the
# results describe the commit recorded in env.txt. Other work may leave the tree briefly
# unbuildable: then the existing binaries are used, and the notes say so.
build_note=""
say "building trustmond and trustmonctl in $BUILD"
[ -f "$BUILD/build.ninja" ] || cmake -S "$root" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DTRUSTMON_TESTS=OFF -DTRUSTMON_BENCH=ON >/dev/null
if ! cmake --build "$BUILD" -j2 --target trustmond trustmonctl > "${TMPDIR:-/tmp}/trustmon-bench-build.log" 2>&1; then
  [ -x "$ctl" ] && [ -x "$daemon" ] || { tail -20 "${TMPDIR:-/tmp}/trustmon-bench-build.log" >&2; die "build failed"; }
  build_note="build of the current tree failed; measured the existing binaries"
  echo "warning: $build_note" >&2
fi

mkdir -p "$OUT"
rm -f "$OUT"/pinned.tsv "$OUT"/unpinned.tsv "$OUT"/sweep.tsv "$OUT"/speed-*.txt "$OUT"/notes.txt
notes=$OUT/notes.txt; : > "$notes"
[ -n "$build_note" ] && echo "$build_note" >> "$notes"

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
mkconf() {  # mkconf NAME WORKERS ACCESS [DATA] -> path of the config (DATA/NAME.toml from DATA/trustmon.toml)
  local dir=${4:-$data} f=${4:-$data}/$1.toml
  cp "$dir/trustmon.toml" "$f"
  "$lib/set_toml.py" "$f" server workers "$2"
  "$lib/set_toml.py" "$f" log access "\"$3\""
  "$lib/set_toml.py" "$f" log file "\"$dir/$1.log\""
  echo "$f"
}
conf_w1=$(mkconf bench-w1 1 off)
conf_w2=$(mkconf bench-w2 2 off)
conf_acc=$(mkconf bench-w1-accesslog 1 "$data/access.log")
for c in "$conf_w1" "$conf_w2" "$conf_acc"; do "$daemon" --config "$c" --check-config >/dev/null; done

start_trustmond() {  # start_trustmond CONFIG CPU(""=unpinned) [BINARY]
  stop_trustmond
  local pin=(); [ -n "$2" ] && pin=(taskset -c "$2")
  "${pin[@]}" "${3:-$daemon}" --config "$1" 2>>"$OUT/trustmond.stderr" < /dev/null &
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

# The build before (BASE) gets its own data folder, made and loaded by its own trustmonctl
# the same way: an older build may not know the newer configuration keys or open a store
# of a newer schema.
conf_base=""
if [ -n "$base_daemon" ]; then
  say "the build before (BASE): its own data folder, the same certificates and revocations"
  data_base=$OUT/data-base
  rm -rf "$data_base"
  "$BASE/tools/trustmonctl" init --data "$data_base" --listen "127.0.0.1:$PORT" \
    --issuer "peer=$PKI/ca.pem,$PKI/signer.pem,$PKI/signer.key" > "$OUT/init-base.json"
  conf_base=$(mkconf bench-w1 1 off "$data_base")
  start_trustmond "$conf_base" "$SRV_CPU" "$base_daemon"
  base_api=("$BASE/tools/trustmonctl" --server "$url" --token-file "$data_base/admin.token")
  "${base_api[@]}" import "$PKI/certs" > "$OUT/import-base.json" || echo "BASE import exit $?" | tee -a "$notes"
  "${base_api[@]}" revoke --file "$OUT/revocations.tsv" > "$OUT/revoke-base.json" || echo "BASE revoke exit $?" | tee -a "$notes"
  "$KIT/check.sh" "$url/ocsp/" 20 > "$OUT/check-base.txt" 2>&1 || echo "CHECK FAILED for BASE: see $OUT/check-base.txt" | tee -a "$notes"
  tail -1 "$OUT/check-base.txt"
  stop_trustmond
fi

# ---- environment, then wait for a quiet machine
{ echo "date: $(date -u +%FT%TZ)"; echo "kernel: $(uname -r)"
  echo "cpus: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "memory: $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compiler: $(c++ --version | head -1)"
  echo "openssl: $(openssl version)"; echo "libevent: $(pkg-config --modversion libevent 2>/dev/null || echo '?')"
  echo "lmdb: $(pkg-config --modversion lmdb 2>/dev/null || echo '?')"
  echo "nginx: $(nginx -v 2>&1)"; echo "cfssl: $(cfssl version 2>&1 | head -1)"; echo "wrk: $(wrk -v 2>&1 | head -1)"
  dirty=$(git -C "$root" status --porcelain --untracked-files=no -- common storage responder tools 2>/dev/null | wc -l)
  [ -n "$base_daemon" ] && echo "before (BASE): $base_daemon, built $(date -u -r "$base_daemon" +%FT%TZ)"
  echo "trustmon: commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$([ "$dirty" != 0 ] && echo " + $dirty modified source files"), trustmond built $(date -u -r "$daemon" +%FT%TZ) (build type $(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt"))"
  echo "settings: duration $DURATION, c=$CONNS, $REPEAT rounds, wrk -t1, server CPU ${SRV_CPU:-any}, wrk CPU ${CLI_CPU:-any}"
  echo "PKI: $(wc -l < "$PKI/index.txt") certs, $(grep -c '^R' "$PKI/index.txt") revoked; requests $(wc -l < "$REQS/nononce.list")"
} > "$OUT/env.txt"
cat "$OUT/env.txt"

busy_pct() {  # percent of all CPUs busy over 2 s (servers idle, so: other people's work)
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat); sleep 2
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  echo "$a $b" | awk '{d = $4 - $2; printf "%d", (d > 0 ? 100 * ($3 - $1) / d : 0)}'
}
# wait_idle WHAT: before every measurement, wait until other work on the machine stops.
# A niced compile in another session still takes about half of a core here (the
# scheduler shares CPU between sessions first), so the load average alone is not enough.
wait_idle() {
  [ -n "$MAX_BUSY" ] || return 0
  local waited=0 b
  while b=$(busy_pct); [ "$b" -gt "$MAX_BUSY" ]; do
    if [ "$waited" -ge "$LOAD_WAIT" ]; then
      echo "machine still ${b}% busy with other work after ${LOAD_WAIT}s; measured $1 anyway" | tee -a "$notes"
      return 0
    fi
    [ $((waited % 60)) -lt 12 ] && echo "machine ${b}% busy with other work; waiting before $1 ..."
    sleep 10; waited=$((waited + 12))
  done
  [ "$waited" = 0 ] || echo "waited ${waited}s for other work to stop before $1" >> "$notes"
}
stop_trustmond   # idle during the wait; restarted below
wait_idle "the first measurement"
echo "load average before measuring: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$notes" "$OUT/env.txt"

speed() {  # speed N
  wait_idle "openssl speed"
  if [ -n "$SRV_CPU" ]; then taskset -c "$SRV_CPU" openssl speed -seconds 3 ecdsap256 > "$OUT/speed-$1.txt" 2>/dev/null
  else openssl speed -seconds 3 ecdsap256 > "$OUT/speed-$1.txt" 2>/dev/null; fi
  grep 'nistp256' "$OUT/speed-$1.txt" | tail -1
}
say "openssl speed -seconds 3 ecdsap256 (CPU ${SRV_CPU:-any})"
speed 1

# ---- load helpers
# run TSV LABEL URL METHOD REQLIST CONNS [WARMUP] [CLIENT_CPU]
# A run during which other work started (the machine is still busy right after it) is
# thrown away and repeated, up to RETRIES times; the last attempt is kept either way.
# run TSV LABEL URL METHOD REQLIST CONNS [WARMUP] [CLIENT_CPU] [BEFORE] [AFTER]
# BEFORE / AFTER: commands run around every attempt (peer A is started before and
# stopped after each one, so a process it leaves spinning never counts as other work).
run() {
  local tsv=$1 label=$2 u=$3 method=$4 reqs=$5 conns=$6 warm=${7-2s}
  local ccpu=${8-$CLI_CPU} before=${9:-true} after=${10:-true} attempt row b
  row=$(mktemp)
  for attempt in $(seq $((RETRIES + 1))); do
    wait_idle "$label $method c=$conns"
    rm -f "$row"
    $before || { echo "could not start the server for $label" | tee -a "$notes"; break; }
    LABEL=$label WARMUP=$warm CHECK=1 RESULTS_TSV=$row CLIENT_CPU=$ccpu \
      "$KIT/load.sh" "$u" "$REQS/$reqs.list" "$method" "$conns" "$DURATION" | grep '^SUMMARY' || {
      echo "load run failed: $label $method c=$conns" | tee -a "$notes"; }
    $after || true
    [ -n "$MAX_BUSY" ] && [ "$attempt" -le "$RETRIES" ] || break
    b=$(busy_pct)
    [ "$b" -gt "$MAX_BUSY" ] || break
    echo "other work started during $label $method c=$conns (machine ${b}% busy after it): run repeated" | tee -a "$notes"
  done
  if [ -s "$row" ]; then
    [ -s "$tsv" ] || head -1 "$row" > "$tsv"
    tail -n +2 "$row" >> "$tsv"
  fi
  rm -f "$row"
}
trustmon_runs() {  # TSV LABEL CONNS
  run "$1" "$2 nononce" "$url/ocsp/" post nononce "$3"
  run "$1" "$2 nononce" "$url/ocsp/" get nononce "$3"
  run "$1" "$2 nonce" "$url/ocsp/" post nonce "$3"
  run "$1" "$2 sha256" "$url/ocsp/" get sha256 "$3"
}
nginx_runs() {  # TSV CONNS
  local u=http://127.0.0.1:${NGINX_PORT:-18083}/ocsp/
  run "$1" "nginx nononce" "$u" post nononce "$2"
  run "$1" "nginx nononce" "$u" get nononce "$2"
}
peer_a_cpu=""
peer_a_start() { SERVER_CPU=$peer_a_cpu "$KIT/run-openssl-ocsp.sh" restart >/dev/null; }
peer_a_stop() {
  local s
  s=$(spinning_children "$(cat "$RUN/openssl-ocsp.pid" 2>/dev/null || echo 0)")
  echo "peer A: processes left spinning after the run: $s" >> "$notes"
  "$KIT/run-openssl-ocsp.sh" stop >/dev/null
}
openssl_runs() {  # TSV CONNS SERVER_CPU [CLIENT_CPU]: started before every run, stopped after it
  local u=http://127.0.0.1:${OPENSSL_PORT:-18081}/ v
  peer_a_cpu=$3
  for v in "post nononce" "post nonce" "get nononce"; do
    set -- "$1" "$2" "$3" "${4-$CLI_CPU}" $v
    run "$1" "openssl-ocsp $6" "$u" "$5" "$6" "$2" 0 "$4" peer_a_start peer_a_stop
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
  if [ -n "$base_daemon" ]; then  # the build before, same certificates, same round
    start_trustmond "$conf_base" "$SRV_CPU" "$base_daemon"
    trustmon_runs "$OUT/pinned.tsv" trustmon-base-w1 "$CONNS"
    start_trustmond "$conf_w1" "$SRV_CPU"
  fi
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
    openssl_runs "$OUT/unpinned.tsv" "$CONNS" "" ""
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
