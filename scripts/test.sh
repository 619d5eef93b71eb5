#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test in two configurations (the
# presets of CMakePresets.json):
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
    werror|asan) ;;
    *) echo "unknown configuration: $config (werror or asan)" >&2; exit 2 ;;
  esac
  # The configurations are the presets of CMakePresets.json (build/werror, build/asan).
  echo "=== $config: configure and build"
  cmake --preset "$config" >/dev/null
  cmake --build --preset "$config" -j "$jobs"
  echo "=== $config: tests"
  # detect_leaks (asan preset): LeakSanitizer checks the daemon too, at its clean exit.
  ctest --preset "$config" -j "$jobs"
done
