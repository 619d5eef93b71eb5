#!/usr/bin/env bash
# The cabinet's certificate search on a large store: loads N certificates (default
# 1,000,000, from `trustmonctl demo-pki`, generated once and cached) into a fresh trustmond
# on a free loopback port, then measures in chromium (Playwright, Debian's browser) how long
# a search takes from the submit to the results being in the DOM, by the page's own clock
# (bench/cabinet/search.mjs), over SEARCHES searches (default 20) of random certificates,
# by their TINUA identifier (one result) and by their name (CN: the demo's names repeat, so
# up to a full page of 50 results). Prints the generation and import times and the median /
# p95 per attribute.
# Usage: bench/cabinet_search.sh [BUILD_DIR] [N]
#   BUILD_DIR  holds responder/trustmond and tools/trustmonctl (default build/release)
# Environment: CACHE (default /tmp/trustmon-cabinet-N: the demo PKI, reused; delete it when
# done), SEARCHES (20), KEEP=1 keeps the data folder.
# Needs node and web/node_modules (npm ci in web/). Only 127.0.0.1 is used; the daemon it
# starts, it stops.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/release}
n=${2:-1000000}
searches=${SEARCHES:-20}
cache=${CACHE:-/tmp/trustmon-cabinet-$n}
ctl="$build/tools/trustmonctl"
daemon="$build/responder/trustmond"
for f in "$ctl" "$daemon"; do [ -x "$f" ] || { echo "missing $f" >&2; exit 2; }; done
[ -d "$root/web/node_modules/@playwright/test" ] || { echo "run 'npm ci' in web/ first" >&2; exit 2; }

if [ ! -f "$cache/pki/issuers.txt" ]; then
  echo "== generating $n certificates (trustmonctl demo-pki) into $cache/pki"
  mkdir -p "$cache"
  t0=$(date +%s.%N)
  "$ctl" demo-pki --out "$cache/pki" --count "$n" --revoked-percent 1 >/dev/null
  echo "generated in $(echo "$(date +%s.%N) - $t0" | bc) s"
fi

work=$(mktemp -d /tmp/trustmon-cabinet-run-XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
  if [ "${KEEP:-}" = 1 ]; then echo "data kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"
issuer_args=()
while IFS= read -r line; do [ -n "$line" ] && issuer_args+=(--issuer "$line"); done < "$cache/pki/issuers.txt"
"$ctl" init --data "$work/data" --listen "127.0.0.1:$port" "${issuer_args[@]}" >/dev/null
# No API rate limit, no access log (the import's requests would fill it).
sed -i -e 's/^rate_per_second = 100$/rate_per_second = 0/' -e 's/^access = ""$/access = "off"/' "$work/data/trustmon.toml"
TRUSTMON_WEB_DIR="$root/web/dist" "$daemon" --config "$work/data/trustmon.toml" 2>>"$work/data/trustmond.log" &
pid=$!
for _ in $(seq 300); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$url/healthz" >/dev/null || { echo "trustmond did not start; $work/data/trustmond.log" >&2; exit 1; }

echo "== importing $n certificates (trustmonctl import --parallel 4)"
t0=$(date +%s.%N)
"$ctl" --server "$url" --token-file "$work/data/admin.token" import --parallel 4 \
  "$cache/pki/demo-rsa/certs" "$cache/pki/demo-ec/certs" >"$work/import.json"
echo "imported in $(echo "$(date +%s.%N) - $t0" | bc) s: $(tr -d ' \n' <"$work/import.json" | grep -o '"stored":[0-9]*')"

# The searched-for values: random certificates' subject serialNumber (TINUA-…), with the
# certificate's serial as the text its result row must show; then their CN, with the CN.
echo "== picking $((searches + 1)) random certificates"
ls -U "$cache/pki/demo-ec/certs" "$cache/pki/demo-rsa/certs" | grep '\.pem$' | shuf -n "$((searches + 1))" --random-source=<(yes) >"$work/picked"
: >"$work/by_tin"
: >"$work/by_cn"
while IFS= read -r f; do
  file=$(ls "$cache"/pki/demo-*/certs/"$f" 2>/dev/null | head -n1)
  subject=$(openssl x509 -in "$file" -noout -subject -nameopt utf8,sep_multiline,sname)
  serial=$(openssl x509 -in "$file" -noout -serial | cut -d= -f2)
  tin=$(printf '%s\n' "$subject" | sed -n 's/^ *serialNumber=//p')
  cn=$(printf '%s\n' "$subject" | sed -n 's/^ *CN=//p')
  printf 'serial_number\t%s\t%s\n' "$tin" "$serial" >>"$work/by_tin"
  printf 'cn\t%s\t%s\n' "$cn" "$cn" >>"$work/by_cn"
done <"$work/picked"
cat "$work/by_tin" "$work/by_cn" >"$work/values"

echo "== searching in chromium ($searches searches per attribute after one warm-up)"
node "$root/bench/cabinet/search.mjs" "$url" "$work/data/admin.token" "$work/values"
