#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test in two configurations:
#   build/werror  RelWithDebInfo, warnings are errors (also builds the benchmarks)
#   build/asan    AddressSanitizer + UndefinedBehaviorSanitizer
# Usage: scripts/test.sh [werror|asan]...   (default: both)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"

jobs=$(nproc)
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(werror asan)

for config in "${configs[@]}"; do
  case "$config" in
    werror) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTRUSTMON_WERROR=ON -DTRUSTMON_BENCH=ON) ;;
    asan)   flags=(-DCMAKE_BUILD_TYPE=Debug -DTRUSTMON_WERROR=ON -DTRUSTMON_SANITIZE=ON -DTRUSTMON_BENCH=OFF) ;;
    *) echo "unknown configuration: $config (werror or asan)" >&2; exit 2 ;;
  esac
  echo "=== $config: configure and build"
  cmake -S "$root" -B "$root/build/$config" -G Ninja "${flags[@]}" >/dev/null
  cmake --build "$root/build/$config" -j "$jobs"
  echo "=== $config: tests"
  # detect_leaks: LeakSanitizer checks the daemon too, at its clean exit.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build/$config" --output-on-failure -j "$jobs" --timeout 600
done
