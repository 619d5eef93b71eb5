#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test in two configurations and
# every fuzz harness for a short while (the presets of CMakePresets.json):
#   build/werror  RelWithDebInfo, warnings are errors (also builds the benchmarks)
#   build/asan    AddressSanitizer + UndefinedBehaviorSanitizer
#   build/fuzz    clang, the libFuzzer harnesses of fuzz/, each run for FUZZ_SECONDS (8)
# Usage: scripts/test.sh [werror|asan|fuzz]...   (default: all three)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"

jobs=$(nproc)
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(werror asan fuzz)

for config in "${configs[@]}"; do
  case "$config" in
    werror|asan) ;;
    fuzz)
      echo "=== fuzz: configure and build"
      cmake --preset fuzz >/dev/null
      cmake --build --preset fuzz -j "$jobs"
      echo "=== fuzz: every harness for ${FUZZ_SECONDS:-8}s"
      "$root/fuzz/run.sh" "${FUZZ_SECONDS:-8}"
      continue
      ;;
    *) echo "unknown configuration: $config (werror, asan or fuzz)" >&2; exit 2 ;;
  esac
  # The configurations are the presets of CMakePresets.json (build/werror, build/asan).
  echo "=== $config: configure and build"
  cmake --preset "$config" >/dev/null
  cmake --build --preset "$config" -j "$jobs"
  echo "=== $config: tests"
  # detect_leaks (asan preset): LeakSanitizer checks the daemon too, at its clean exit.
  ctest --preset "$config" -j "$jobs"
done
