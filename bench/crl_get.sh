#!/usr/bin/env bash
# GET of a published CRL: trustmond against nginx serving the same bytes as a static file,
# in ONE run on this machine (only ratios between servers measured together mean something).
#
# For each size (about 100 kB and 10 MB of CRL) it:
#  1. revokes enough serials of a throwaway P-256 CA whose CRLs trustmond signs itself
#     ([[issuer]] crl_key), waits for the CRL, and saves the served bytes;
#  2. serves that file with nginx (1 worker, sendfile, access log off) on CPU SERVER_CPU;
#  3. runs wrk (1 thread, CONNS connections, DURATION) on CPU CLIENT_CPU against trustmond
#     (workers = 1, access log off, pinned to SERVER_CPU) and nginx, REPEAT interleaved rounds;
#  4. prints req/s and p99 per round and the median ratio trustmond / nginx.
# Everything listens on 127.0.0.1; every server it starts, it stops on exit.
#
# Usage: bench/crl_get.sh        Environment: BUILD=<repo>/build/release  OUT=/tmp/trustmon-crl-bench
#   PORT=18190 NGINX_PORT=18191 REPEAT=3 DURATION=10s CONNS=50 SERVER_CPU=1 CLIENT_CPU=0
# Needs nginx (Debian: nginx-light) and wrk.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$root/build/release}
OUT=${OUT:-/tmp/trustmon-crl-bench}
PORT=${PORT:-18190}
NGINX_PORT=${NGINX_PORT:-18191}
REPEAT=${REPEAT:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-50}
SRV_CPU=${SERVER_CPU:-1}
CLI_CPU=${CLIENT_CPU:-0}

die() { echo "crl_get: $*" >&2; exit 1; }
for t in nginx wrk openssl curl taskset python3; do command -v "$t" >/dev/null || die "$t is missing (nginx: apt-get install nginx-light)"; done
cmake --build "$BUILD" --target trustmond trustmonctl >/dev/null
daemon=$BUILD/responder/trustmond
ctl=$BUILD/tools/trustmonctl
[ -x "$daemon" ] || daemon=$(find "$BUILD" -name trustmond -type f -perm -u+x | head -1)
[ -x "$ctl" ] || ctl=$(find "$BUILD" -name trustmonctl -type f -perm -u+x | head -1)

rm -rf "$OUT"; mkdir -p "$OUT/pki" "$OUT/www/crl"
tm_pid=""; ng_pid=""
cleanup() {
  [ -n "$tm_pid" ] && kill "$tm_pid" 2>/dev/null && wait "$tm_pid" 2>/dev/null
  [ -n "$ng_pid" ] && kill "$ng_pid" 2>/dev/null && wait "$ng_pid" 2>/dev/null
  true
}
trap cleanup EXIT

# A throwaway CA; it signs its own CRLs and OCSP answers.
(cd "$OUT/pki" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -subj "/O=CRL Bench/CN=CRL Bench CA" -days 30 -addext basicConstraints=critical,CA:true \
  -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null)

url=http://127.0.0.1:$PORT
start_trustmond() {
  "$ctl" init --data "$OUT/data" --listen "127.0.0.1:$PORT" \
    --issuer "bench=$OUT/pki/ca.pem,$OUT/pki/ca.pem,$OUT/pki/ca.key" > "$OUT/init.json"
  conf=$OUT/data/trustmon.toml
  python3 - "$conf" "$OUT/pki/ca.key" <<'PY'
import re, sys
path, key = sys.argv[1:3]
text = open(path).read()
text = text.replace('name = "bench"', 'name = "bench"\ncrl_key = "%s"' % key, 1)
for k, v in (("workers", "1"), ("rebuild_after", '"1s"'), ("access", '"off"'), ("max_connections_per_address", "0")):
    text = re.sub(r"(?m)^%s = .*$" % k, "%s = %s" % (k, v), text, count=1)
open(path, "w").write(text)
PY
  taskset -c "$SRV_CPU" "$daemon" --config "$conf" 2>>"$OUT/trustmond.stderr" </dev/null &
  tm_pid=$!
  for _ in $(seq 300); do curl -sf "$url/healthz" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "trustmond did not start: $(tail -3 "$OUT/trustmond.stderr")"
}

cat > "$OUT/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $OUT/nginx.pid;
error_log $OUT/nginx.error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/pkix-crl crl; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $OUT/www;
  }
}
NGX

wrk_run() {  # wrk_run URL -> "req/s p99_ms"
  taskset -c "$CLI_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$1" 2>&1 |
    awk '/Requests\/sec/ {r=$2} /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000} p=v}
         END {printf "%s %.2f\n", r, p}'
}

start_trustmond
taskset -c "$SRV_CPU" nginx -c "$OUT/nginx.conf" 2>>"$OUT/nginx.stderr" &
ng_pid=$!
sleep 0.5
echo "| CRL | bytes | round | trustmond req/s | p99 ms | nginx req/s | p99 ms | ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
revoked=0
next=1
for target in 3000 300000; do
  # Revoke serials next..target (about 33 bytes of CRL each), in files of 10,000.
  while [ "$revoked" -lt "$target" ]; do
    n=$(( target - revoked < 10000 ? target - revoked : 10000 ))
    python3 -c "import sys; [print('bench\t%x\tkeyCompromise\t2026-11-01T00:00:00Z' % s) for s in range($next, $next + $n)]" > "$OUT/rev.tsv"
    "$ctl" --server "$url" --token-file "$OUT/data/admin.token" revoke --file "$OUT/rev.tsv" > /dev/null
    revoked=$(( revoked + n )); next=$(( next + n ))
  done
  for _ in $(seq 600); do
    curl -s -o "$OUT/www/crl/bench.crl" "$url/crl/bench.crl"
    listed=$(openssl crl -inform DER -in "$OUT/www/crl/bench.crl" -noout -text 2>/dev/null | grep -c "Serial Number:" || true)
    [ "$listed" -ge "$target" ] && break
    sleep 0.5
  done
  [ "$listed" -ge "$target" ] || die "the CRL did not reach $target entries"
  bytes=$(stat -c %s "$OUT/www/crl/bench.crl")
  cmp <(curl -s "http://127.0.0.1:$NGINX_PORT/crl/bench.crl") "$OUT/www/crl/bench.crl" || die "nginx serves other bytes"
  ratios=()
  for round in $(seq "$REPEAT"); do
    read -r tr tp <<<"$(wrk_run "$url/crl/bench.crl")"
    read -r nr np <<<"$(wrk_run "http://127.0.0.1:$NGINX_PORT/crl/bench.crl")"
    ratio=$(awk -v a="$tr" -v b="$nr" 'BEGIN {printf "%.2f", a / b}')
    ratios+=("$ratio")
    echo "| $target entries | $bytes | $round | $tr | $tp | $nr | $np | $ratio |"
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "| $target entries | $bytes | median | | | | | **$median** |"
done
