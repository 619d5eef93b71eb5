#!/usr/bin/env bash
# The README's first command, scripts/demo.sh, run against this build's binaries: it must
# create the demo PKI, load it, keep trustmond in the foreground, and print commands that
# work. Two of them are run here with the real openssl client; then SIGTERM to the script
# must stop the server with it (the trap that Ctrl-C also goes through: a script started
# in the background here has SIGINT ignored, so it cannot be sent that).
# Usage: demo_script_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/trustmon-demo-XXXXXX")
script_pid=
cleanup() {
  [ -n "$script_pid" ] && kill -TERM "$script_pid" 2>/dev/null || true
  sleep 0.5
  pkill -f "trustmond --config $work/demo/data/trustmon.toml" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- demo.sh output:" >&2; cat "$work/out" >&2 || true; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEMO_BUILD=$build DEMO_DIR=$work/demo PORT=$port DEMO_CERTS=200 \
  bash "$src/scripts/demo.sh" >"$work/out" 2>&1 &
script_pid=$!
for _ in $(seq 600); do
  grep -q "trustmond is running" "$work/out" && break
  kill -0 "$script_pid" 2>/dev/null || fail "demo.sh exited before the server was up"
  sleep 0.1
done
grep -q "trustmond is running" "$work/out" || fail "no 'trustmond is running' line within 60 s"
grep -q '"stored": 200' "$work/out" || fail "the import did not store the 200 certificates"

# The first two printed commands: a good certificate, then a revoked one.
good_cmd=$(grep -m1 '^openssl ocsp -url .*-resp_text$' "$work/out") || fail "no good-certificate command"
revoked_cmd=$(grep -m1 '^openssl ocsp -url .*-no_nonce$' "$work/out") || fail "no revoked-certificate command"
good_out=$(eval "$good_cmd" 2>&1) || fail "good command failed: $good_out"
echo "$good_out" | grep -q "Response verify OK" || fail "good: response not verified: $good_out"
echo "$good_out" | grep -q ": good" || fail "good: status not good: $good_out"
revoked_out=$(eval "$revoked_cmd" 2>&1) || fail "revoked command failed: $revoked_out"
echo "$revoked_out" | grep -q ": revoked" || fail "revoked: status not revoked: $revoked_out"

# The CRL command: demo-rsa's CRL, built and signed by trustmond, verifies.
crl_cmd=$(grep -m1 '^curl -s -o .*/crl/demo-rsa.crl' "$work/out") || fail "no CRL command"
crl_out=$(eval "$crl_cmd" 2>&1) || fail "CRL command failed: $crl_out"
echo "$crl_out" | grep -q "verify OK" || fail "CRL: not verified: $crl_out"
echo "$crl_out" | grep -q "crlNumber=" || fail "CRL: no number: $crl_out"

# The statistics commands: issued per month by issuer counts the imported certificates;
# the public aggregate answers without a token.
stats_cmd=$(grep -m1 '^curl -s -H .*/api/v1/stats/series?metric=certs_issued' "$work/out") || fail "no statistics command"
stats_out=$(eval "$stats_cmd" 2>&1) || fail "statistics command failed: $stats_out"
echo "$stats_out" | python3 -c '
import json, sys
j = json.load(sys.stdin)
total = sum(p["value"] for line in j["series"] for p in line["points"])
issuers = sorted(line["dims"]["issuer"] for line in j["series"])
sys.exit(0 if total > 0 and issuers == ["demo-ec", "demo-rsa"] else 1)' || fail "statistics: no issued certificates by issuer: $stats_out"
public_cmd=$(grep -m1 '^curl -s "[^"]*/stats/series' "$work/out") || fail "no public statistics command"
public_out=$(eval "$public_cmd" 2>&1) || fail "public statistics command failed: $public_out"
echo "$public_out" | grep -q '"suppressed_below":5' || fail "public statistics: $public_out"

# The test bed: the demo's test certificates are there, and the printed issue + OCSP commands work.
[ -f "$work/demo/testbed/3000000002/cert.pem" ] || fail "no demo test certificate"
issue_cmd=$(grep -m1 ' testbed issue --ca test-ecdsa --rnokpp 1234567890' "$work/out") || fail "no test-bed issue command"
issue_out=$(eval "$issue_cmd" 2>&1) || fail "test-bed issue failed: $issue_out"
tb_ocsp_cmd=$(grep -m1 '^openssl ocsp -url \$(openssl x509 -noout -ocsp_uri' "$work/out") || fail "no test-bed OCSP command"
tb_ocsp_out=$(eval "$tb_ocsp_cmd" 2>&1) || fail "test-bed OCSP failed: $tb_ocsp_out"
echo "$tb_ocsp_out" | grep -q ": good" || fail "test-bed OCSP: not good: $tb_ocsp_out"

# Joining: the demo's application waits in the queue; the printed list command shows it and
# its number and secret answer the public status lookup.
filed="$work/demo/data/joining-filed.json"
[ -f "$filed" ] || fail "no demo joining application"
number=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["number"])' "$filed") || fail "joining: $(cat "$filed")"
secret=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$filed")
list_cmd=$(grep -m1 ' joining list --state pending$' "$work/out" | sed 's/^  from a terminal: //') || fail "no joining list command"
list_out=$(eval "$list_cmd" 2>&1) || fail "joining list failed: $list_out"
echo "$list_out" | grep -q "\"$number\"" || fail "joining list does not show $number: $list_out"
status_out=$(curl -s -H 'Content-Type: application/json' --data "{\"number\":\"$number\",\"secret\":\"$secret\"}" \
  "http://127.0.0.1:$port/api/v1/joining/status")
echo "$status_out" | grep -q '"state":"pending"' || fail "joining status: $status_out"

# The cabinet: its page at the printed URL, a login with the printed central-body token,
# and the trusted list the demo published.
url="http://127.0.0.1:$port"
grep -q "The electronic cabinet: $url/" "$work/out" || fail "no cabinet URL"
central=$(sed -n 's/^  central body administrator: //p' "$work/out")
[ -n "$central" ] || fail "no central-body token printed"
curl -s -D "$work/page.h" -o /dev/null "$url/" && grep -qi '^content-security-policy:' "$work/page.h" ||
  fail "GET / is not the cabinet page"
login=$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' --data "{\"token\":\"$central\"}" \
  "$url/api/v1/auth/token")
case "$login" in *'"central_body":true'*' 200') ;; *) fail "cabinet login: $login" ;; esac
curl -s "$url/api/v1/tl" | grep -q '"name":"ua"' || fail "no published trusted list"

# The script stops trustmond and ends.
kill -TERM "$script_pid"
for _ in $(seq 100); do
  kill -0 "$script_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$script_pid" 2>/dev/null && fail "demo.sh still running 10 s after SIGTERM"
pgrep -f "trustmond --config $work/demo/data/trustmon.toml" >/dev/null && fail "trustmond still running after SIGTERM"
script_pid=
echo "demo.sh: ok"
