#!/usr/bin/env bash
# The cabinet's CI stage: installs what is missing (Debian chromium; Node and npm only when
# there is no node), installs web/'s locked dependencies, checks that the committed web/dist
# is what the sources build to, then runs the Playwright end-to-end tests in chromium
# against the real trustmond and trustmonctl of a build folder.
# Usage: scripts/test-web.sh [BUILD_DIR]   (default build/werror; relative to the repository)
# Environment: TRUSTMON_CHROMIUM (default /usr/bin/chromium); extra arguments for
# `playwright test` in E2E_ARGS (e.g. E2E_ARGS="e2e/login.spec.mjs").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build/werror}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
start=$(date +%s)

for f in "$build/responder/trustmond" "$build/tools/trustmonctl"; do
  [ -x "$f" ] || { echo "test-web: $f is missing: build it first (scripts/test.sh werror)" >&2; exit 2; }
done

# Debian packages: chromium (and Node when absent), through the one installer.
chromium=${TRUSTMON_CHROMIUM:-/usr/bin/chromium}
"$root/scripts/install-deps.sh" --web
[ -x "$chromium" ] || { echo "test-web: no browser at $chromium" >&2; exit 1; }

cd "$root/web"
echo "=== web: npm ci"
npm ci --no-audit --no-fund

echo "=== web: build, and compare with the committed web/dist"
npm run build
if ! git -C "$root" diff --exit-code --stat -- web/dist || [ -n "$(git -C "$root" status --porcelain -- web/dist)" ]; then
  git -C "$root" status --short -- web/dist
  echo "test-web: web/dist differs from what the sources build to: run 'npm run build' in web/ and commit web/dist" >&2
  exit 1
fi

echo "=== web: end-to-end tests (chromium, trustmond of $build)"
rm -rf "$root/web/e2e/screenshots"
status=0
# shellcheck disable=SC2086  # E2E_ARGS is a list of arguments
TRUSTMON_BUILD="$build" TRUSTMON_CHROMIUM="$chromium" TRUSTMON_WEB_DIR="$root/web/dist" \
  npx --no-install playwright test -c playwright.config.mjs ${E2E_ARGS:-} || status=$?
echo "test-web: screenshots in web/e2e/screenshots, server log in web/e2e/test-results/trustmond.log; $(($(date +%s) - start)) s"
exit $status
