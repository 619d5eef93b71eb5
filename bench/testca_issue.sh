#!/usr/bin/env bash
# Issuing test certificates over HTTP (POST /api/v1/testca/certificates, ECDSA P-256: key
# generation, the certificate's signature, the production ingest and its durable commit per
# request), beside `openssl speed ecdsap256` measured in the same run on the same CPU.
# Target (issue 15): >= 1,000 certificates/s with ingest.
# Usage: bench/testca_issue.sh   (BUILD=<dir with trustmond, trustmonctl>, PORT, DURATION, CONNS,
#        SERVER_CPU / CLIENT_CPU to pin; empty = unpinned)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$root/build/release}
PORT=${PORT:-18095}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
SRV_CPU=${SERVER_CPU-1}
CLI_CPU=${CLIENT_CPU-0}
pin() { if [ -n "$1" ]; then echo "taskset -c $1"; fi; }
work=$(mktemp -d "${TMPDIR:-/tmp}/trustmon-testca-XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$BUILD/tools/trustmonctl" init --data "$work" --listen "127.0.0.1:$PORT" >/dev/null
sed -i -e 's/^enabled = false$/enabled = true/' -e 's/^access = ""$/access = "off"/' -e 's/^workers = 0$/workers = 1/' \
  -e "s/^rate_per_second = .*/rate_per_second = 0/" "$work/trustmon.toml"
$(pin "$SRV_CPU") "$BUILD/responder/trustmond" --config "$work/trustmon.toml" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "== openssl speed ecdsap256 (CPU ${SRV_CPU:-any}), before"
$(pin "$SRV_CPU") openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print "sign_per_s", $(NF-1)}'
echo "== issuing (wrk -c$CONNS -d$DURATION, CPU ${CLI_CPU:-any})"
TOKEN=$(cat "$work/admin.token") $(pin "$CLI_CPU") wrk -t1 -c"$CONNS" -d"$DURATION" -s "$root/bench/testca_issue.lua" \
  "http://127.0.0.1:$PORT" | grep -E "issued_per_s|Socket errors|Non-2xx"
echo "== openssl speed ecdsap256, after"
$(pin "$SRV_CPU") openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ {print "sign_per_s", $(NF-1)}'
curl -s -H "Authorization: Bearer $(cat "$work/admin.token")" "http://127.0.0.1:$PORT/api/v1/certificates?serial_number=TINUA-1000000005" |
  python3 -c 'import json,sys; print("found_by_search", len(json.load(sys.stdin)["certificates"]))'
