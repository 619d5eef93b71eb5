#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test in two configurations, the
# cabinet's browser tests, and every fuzz harness for a short while (the presets of
# CMakePresets.json):
#   build/werror  g++, RelWithDebInfo, warnings are errors (also builds the benchmarks)
#   web           the cabinet (web/): its committed build checked, Playwright + chromium
#                 against build/werror's trustmond (scripts/test-web.sh)
#   build/asan    clang, AddressSanitizer + UndefinedBehaviorSanitizer: every test, then
#                 the libFuzzer harnesses of fuzz/ built alongside, each run for FUZZ_SECONDS (8)
#   build/fuzz    (not in the default run) the harnesses alone, clang RelWithDebInfo
# Usage: scripts/test.sh [werror|web|asan|fuzz]...   (default: werror web asan)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"

jobs=$(nproc)
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(werror web asan)

for config in "${configs[@]}"; do
  case "$config" in
    werror|asan) ;;
    web)
      echo "=== web: the cabinet in chromium, against build/werror"
      "$root/scripts/test-web.sh" "$root/build/werror"
      continue
      ;;
    fuzz)
      echo "=== fuzz: configure and build"
      cmake --preset fuzz >/dev/null
      cmake --build --preset fuzz -j "$jobs"
      echo "=== fuzz: every harness for ${FUZZ_SECONDS:-8}s"
      "$root/fuzz/run.sh" "${FUZZ_SECONDS:-8}"
      continue
      ;;
    *) echo "unknown configuration: $config (werror, web, asan or fuzz)" >&2; exit 2 ;;
  esac
  # The configurations are the presets of CMakePresets.json (build/werror, build/asan).
  echo "=== $config: configure and build"
  cmake --preset "$config" >/dev/null
  cmake --build --preset "$config" -j "$jobs"
  echo "=== $config: tests"
  # detect_leaks (asan preset): LeakSanitizer checks the daemon too, at its clean exit.
  ctest --preset "$config" -j "$jobs"
  if [ "$config" = asan ]; then
    echo "=== asan: every fuzz harness for ${FUZZ_SECONDS:-8}s"
    FUZZ_BUILD="$root/build/asan" "$root/fuzz/run.sh" "${FUZZ_SECONDS:-8}"
  fi
done
