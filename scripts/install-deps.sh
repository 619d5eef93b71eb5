#!/bin/sh
# Installs the Debian 12 packages trustmon needs to build, test and benchmark.
# With --web also what the cabinet's browser tests need (scripts/test-web.sh): Debian's
# chromium, and Node.js with npm when there is no `node` on the machine.
#
# Idempotent: when every package is already installed it does nothing (one dpkg-query,
# no network). Otherwise it runs apt-get update and installs the missing ones without
# recommends, non-interactively. Needs root, or sudo when run as another user.
set -eu

PACKAGES="
build-essential cmake ninja-build pkg-config
libssl-dev openssl libcurl4-openssl-dev
libevent-dev
liblmdb-dev lmdb-utils
libxml2-dev libxml2-utils libxmlsec1-dev xmlsec1
softhsm2 opensc libengine-pkcs11-openssl
libgtest-dev libgmock-dev libbenchmark-dev
nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev
libhowardhinnant-date-dev tzdata
curl ca-certificates wrk procps iproute2 python3 python3-cryptography gnutls-bin
clang libclang-rt-14-dev
"
if [ "${1:-}" = "--web" ]; then
  PACKAGES="$PACKAGES chromium"
  command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
fi

# One dpkg-query for the whole list; "install ok installed" is the only state that
# means usable (absent, half-configured or removed-with-config packages need apt).
# shellcheck disable=SC2086  # word splitting of the package list is intended
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null | awk '$2 == "install" && $3 == "ok" && $4 == "installed" { print $1 }' || true)
missing=""
for pkg in $PACKAGES; do
  if ! printf '%s\n' "$installed" | grep -qx -- "$pkg"; then
    missing="$missing $pkg"
  fi
done

if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi

echo "install-deps: installing:$missing"

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "install-deps: need root (or sudo) to install:$missing" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
# shellcheck disable=SC2086  # word splitting of the package list is intended
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
