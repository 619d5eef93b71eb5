#!/usr/bin/env bash
# The demo: installs what is missing, builds trustmond and trustmonctl, creates a demo PKI
# (a root, an RSA-2048 and an ECDSA P-256 issuing CA, each with a delegated OCSP
# responder, a few thousand end-entity certificates, some revoked), loads it into a fresh
# data folder, and runs trustmond on 127.0.0.1 in the foreground (Ctrl-C stops it).
# Environment: DEMO_DIR (default ./demo), PORT (8080), DEMO_CERTS (3000), DEMO_BUILD (a
# build folder that already holds trustmond and trustmonctl: used as it is, no build;
# the test suite runs the script that way).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
demo=${DEMO_DIR:-$root/demo}
port=${PORT:-8080}
count=${DEMO_CERTS:-3000}
url="http://127.0.0.1:$port"

"$root/scripts/install-deps.sh"
if [ -n "${DEMO_BUILD:-}" ]; then
  build=$DEMO_BUILD
else
  build="$root/build/release"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRUSTMON_TESTS=OFF -DTRUSTMON_BENCH=OFF >/dev/null
  cmake --build "$build" -j "$(nproc)" --target trustmond trustmonctl
fi
ctl="$build/tools/trustmonctl"
daemon="$build/responder/trustmond"

if [ ! -f "$demo/pki/issuers.txt" ]; then
  echo "== creating the demo PKI ($count certificates) in $demo/pki"
  "$ctl" demo-pki --out "$demo/pki" --count "$count" --revoked-percent 5 >/dev/null
fi
if [ ! -f "$demo/pki/tl-signer.pem" ]; then
  # The trusted-list signer of the demo's central body (a P-256 key, TL-signing EKU).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1095 -set_serial 4097 \
    -keyout "$demo/pki/tl-signer.key" -out "$demo/pki/tl-signer.pem" \
    -subj "/C=UA/O=Trustmon Demo Central Body/CN=Trustmon Demo TL Signer" \
    -addext extendedKeyUsage=0.4.0.2231.3.0 -addext keyUsage=critical,digitalSignature,nonRepudiation 2>/dev/null
  chmod 600 "$demo/pki/tl-signer.key"
fi
fresh=0
if [ ! -f "$demo/data/trustmon.toml" ]; then
  issuer_args=()
  while IFS= read -r line; do [ -n "$line" ] && issuer_args+=(--issuer "$line"); done < "$demo/pki/issuers.txt"
  "$ctl" init --data "$demo/data" --listen "127.0.0.1:$port" "${issuer_args[@]}" >/dev/null
  # trustmond signs demo-rsa's CRLs itself (with the CA key); demo-ec's provider would upload its own.
  # The demo's revocations show on that CRL within 5 s (the default is 60 s), and on its delta
  # CRL within 4.5 s; it is also split into 2 shard CRLs.
  sed -i -e "s|^name = \"demo-rsa\"\$|&\ncrl_key = \"$demo/pki/demo-rsa/ca.key\"|" \
    -e 's|^rebuild_after = .*|rebuild_after = "5s"|' -e 's|^shards = .*|shards = 2|' \
    -e 's|^enabled = false$|enabled = true|' -e 's|^test_issuers = false$|test_issuers = true|' \
    -e "s|^signer_cert = \"\"\$|signer_cert = \"$demo/pki/tl-signer.pem\"|" \
    -e "s|^signer_key = \"\"\$|signer_key = \"$demo/pki/tl-signer.key\"|" "$demo/data/trustmon.toml"
  fresh=1
fi

echo "== starting trustmond on $url (log: $demo/data/trustmond.log)"
"$daemon" --config "$demo/data/trustmon.toml" 2>>"$demo/data/trustmond.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 100); do
  curl -sf "$url/healthz" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "trustmond failed to start; see $demo/data/trustmond.log" >&2; exit 1; }
  sleep 0.1
done
ctl_api=("$ctl" --server "$url" --token-file "$demo/data/admin.token")
if [ "$fresh" = 1 ]; then
  echo "== loading certificates and revocations"
  "${ctl_api[@]}" import "$demo/pki/demo-rsa/certs" "$demo/pki/demo-ec/certs"
  echo
  # The whole reply goes to a file: cutting the pipe short (head) would end trustmonctl
  # with SIGPIPE, and with it this script (pipefail).
  "${ctl_api[@]}" revoke --file "$demo/pki/revocations.tsv" >"$demo/data/revocations.json"
  grep -E '"(revoked|unchanged|refused)":' "$demo/data/revocations.json" || true
  echo "(every revocation's result: $demo/data/revocations.json)"
  # The test bed ([testbed] enabled): a test certificate for each deterministic identity.
  echo "== issuing test certificates from the test CAs"
  for id in 3000000001 3000000002 3000000003 3000000004 3000000006 3000000007 3000000008; do
    "${ctl_api[@]}" testbed issue --ca test-ecdsa --rnokpp "$id" --out "$demo/testbed/$id" >/dev/null
  done
  "${ctl_api[@]}" testbed issue --ca test-rsa --profile ua-qseal --edrpou 30000001 --key rsa-2048 \
    --out "$demo/testbed/seal" >/dev/null
  echo "== publishing a trusted list and adding the cabinet's demo participants"
  "${ctl_api[@]}" tl import "$root/tests/data/tl-samples/tl-ua.xml" >/dev/null
  "${ctl_api[@]}" tl publish >/dev/null
  id_of() { sed -n 's/.*"id": *\([0-9]*\).*/\1/p' | head -1; }
  token_of() { sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' | head -1; }
  qtsp=$("${ctl_api[@]}" participant add --kind qtsp --name "Demo Qualified Provider" --code 00000001 | id_of)
  "${ctl_api[@]}" participant issuer-add "$qtsp" demo-ec >/dev/null
  "${ctl_api[@]}" participant issuer-add "$qtsp" demo-rsa >/dev/null
  operator=$("${ctl_api[@]}" representative add "$qtsp" --name "Olena Demo (operator)" --role operator | id_of)
  (umask 077; "${ctl_api[@]}" token issue "$operator" --label "demo cabinet" | token_of > "$demo/data/qtsp.token")
  central=$("${ctl_api[@]}" participant add --kind central_body --name "Demo Central Body" --code 00000002 | id_of)
  admin=$("${ctl_api[@]}" representative add "$central" --name "Petro Demo (administrator)" --role admin | id_of)
  (umask 077; "${ctl_api[@]}" token issue "$admin" --label "demo cabinet" | token_of > "$demo/data/central.token")
  # Signature login (docs/login.md): a certificate holder's key file, and the operator's own
  # signing certificate bound to her (she then logs in by signature as the operator).
  "${ctl_api[@]}" testbed issue --ca test-ecdsa --rnokpp 1234500001 --out "$demo/testbed/holder" >/dev/null
  "${ctl_api[@]}" testbed issue --ca test-ecdsa --rnokpp 1234500002 --out "$demo/testbed/operator" >/dev/null
  "${ctl_api[@]}" certificate bind "$operator" --cert "$demo/testbed/operator/cert.pem" >/dev/null
  # Joining (docs/joining.md): the head of a demo organisation signs an application to join and
  # to grant a representative access; it waits in the central body's queue ([joining]
  # test_issuers is on in the demo, so a test certificate may sign).
  "${ctl_api[@]}" testbed issue --ca test-ecdsa --profile ua-qes-representative --edrpou 30000002 --rnokpp 1234500003 \
    --cn "Голова Демо" --out "$demo/testbed/head" >/dev/null
  cat > "$demo/testbed/joining.json" <<'JSON'
{"kinds": ["join", "grant"],
 "organisation": {"code": "30000002", "kind": "system_owner", "name": "ТОВ «Демо-система»"},
 "representatives": [{"name": "Оксана Демо", "tin": "1234500004", "role": "operator"}]}
JSON
  (umask 077; "$ctl" --server "$url" joining file --doc "$demo/testbed/joining.json" --key "$demo/testbed/head/key.pem" \
    --cert "$demo/testbed/head/cert.pem" > "$demo/data/joining-filed.json")
fi

# No `| head` here: a producer cut off by SIGPIPE fails the pipeline (pipefail, set -e).
# The good example is the first demo-ec certificate that revocations.tsv does not list.
good=
for f in "$demo"/pki/demo-ec/certs/*.pem; do
  s=$(basename "$f" .pem)
  if ! grep -q "^demo-ec"$'\t'"$s"$'\t' "$demo/pki/revocations.tsv"; then
    good=$s
    break
  fi
done
revoked=$(awk -F'\t' '!/^#/ && $1 == "demo-rsa" { print $2; exit }' "$demo/pki/revocations.tsv")
cat <<MSG

trustmond is running on $url (pid $pid). Ctrl-C stops it.

The electronic cabinet: $url/  — log in with one of these tokens:
  central body administrator: $(cat "$demo/data/central.token" 2>/dev/null)
  provider's operator:        $(cat "$demo/data/qtsp.token" 2>/dev/null)
  (or the bootstrap token in $demo/data/admin.token)
or by signature ("Вхід кваліфікованим підписом"):
  a key file: $demo/testbed/holder/key.pem with cert.pem (a certificate holder),
              $demo/testbed/operator/key.pem with cert.pem (the provider's operator);
  a cloud key: provider "testksp", then play the phone: holder 5550000001 approves
              (docs/testbed.md "Test cloud key store"; trustmonctl testbed approve --rnokpp 5550000001);
  from a terminal: $ctl --server $url login --key $demo/testbed/holder/key.pem --cert $demo/testbed/holder/cert.pem
Joining by signed applications (docs/joining.md): $url/#/joining files one without an account
  (sign with $demo/testbed/head/key.pem and cert.pem: the head of EDRPOU 30000002, or a cloud key:
  holder 5550000012 heads EDRPOU 55500012); one waits in the central body's queue already
  ("Заявки на приєднання"; its number and secret: $demo/data/joining-filed.json);
  from a terminal: $ctl --server $url --token-file $demo/data/admin.token joining list --state pending

Try, in another terminal:

# a good certificate (ECDSA P-256 CA, nonce echoed, signed live):
openssl ocsp -url $url/ocsp -issuer $demo/pki/demo-ec/ca.pem -cert $demo/pki/demo-ec/certs/$good.pem -CAfile $demo/pki/root.pem -resp_text

# a revoked certificate (RSA-2048 CA, no nonce: the pre-signed answer):
openssl ocsp -url $url/ocsp -issuer $demo/pki/demo-rsa/ca.pem -cert $demo/pki/demo-rsa/certs/$revoked.pem -CAfile $demo/pki/root.pem -no_nonce

# RFC 5019 GET with curl (cache headers shown), then verified offline:
openssl ocsp -issuer $demo/pki/demo-ec/ca.pem -cert $demo/pki/demo-ec/certs/$good.pem -no_nonce -reqout /tmp/req.der
curl -s -D - -o /tmp/resp.der "$url/ocsp/\$(base64 -w0 /tmp/req.der | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g')"
openssl ocsp -respin /tmp/resp.der -issuer $demo/pki/demo-ec/ca.pem -cert $demo/pki/demo-ec/certs/$good.pem -CAfile $demo/pki/root.pem -no_nonce

# demo-rsa's CRL, built and signed by trustmond (checked by openssl), and its cache headers:
curl -s -o $demo/demo-rsa.crl $url/crl/demo-rsa.crl && openssl crl -inform DER -in $demo/demo-rsa.crl -noout -verify -CAfile $demo/pki/demo-rsa/ca.pem -crlnumber -lastupdate -nextupdate
curl -s -D - -o /dev/null $url/crl/demo-rsa.crl
# its delta CRL (the Delta CRL Indicator names the complete CRL it applies to):
curl -s -o $demo/demo-rsa.delta.crl $url/crl/demo-rsa.delta.crl && openssl crl -inform DER -in $demo/demo-rsa.delta.crl -noout -text | grep -A1 "Delta CRL Indicator"
# shard 0 of 2 (its own Issuing Distribution Point): $url/crl/demo-rsa/0.crl

# statistics counted from the certificates above: issued per month by issuer (JSON, then SDMX-CSV),
# the active stock by key algorithm, and the public aggregate (no token; cells under 5 withheld):
curl -s -H "Authorization: Bearer \$(cat $demo/data/admin.token)" "$url/api/v1/stats/series?metric=certs_issued&freq=month&by=issuer"; echo
curl -s -H "Authorization: Bearer \$(cat $demo/data/admin.token)" "$url/api/v1/stats/series?metric=certs_active&freq=month&by=key_alg&format=csv"
curl -s "$url/stats/series?metric=certs_revoked&freq=year&by=reason"; echo

# the test bed: issue a test certificate (key, certificate and chain into a folder), ask its
# status at the OCSP URL of its own AIA, then break the next answer on purpose and ask again:
$ctl --server $url --token-file $demo/data/admin.token testbed issue --ca test-ecdsa --rnokpp 1234567890 --out $demo/testbed/mine
openssl ocsp -url \$(openssl x509 -noout -ocsp_uri -in $demo/testbed/mine/cert.pem) -issuer $demo/data/testbed/test-ecdsa/ca.pem -cert $demo/testbed/mine/cert.pem -CAfile $demo/data/testbed/root.pem
$ctl --server $url --token-file $demo/data/admin.token testbed fault --issuer test-ecdsa --fault wrong_certid --count 1
# the test trusted list and the deterministic identities:
curl -s $url/testca/TL-UA-TEST.xml | head -c 400; echo; curl -s $url/api/v1/testca/identities

# revoke it through the API, and ask again:
$ctl --server $url --token-file $demo/data/admin.token revoke --issuer demo-ec --serial $good --reason keyCompromise
curl -s $url/healthz; echo; curl -s $url/metrics | grep trustmon_ocsp

MSG
wait $pid
