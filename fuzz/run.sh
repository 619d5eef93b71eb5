#!/usr/bin/env bash
# Runs every libFuzzer harness of build/fuzz for SECONDS each (default 8) on a copy of its
# seed corpus, so the tree's corpus/ stays as committed. Fails on the first crash, leak,
# sanitizer report, timeout (-timeout, seconds per input) or memory overrun
# (-rss_limit_mb); the reproducer is left in build/fuzz/artifacts/.
# Usage: fuzz/run.sh [SECONDS] [HARNESS...]   (build first: cmake --preset fuzz && cmake --build --preset fuzz)
# FUZZ_BUILD names another build folder with the harnesses (scripts/test.sh: build/asan).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FUZZ_BUILD:-$root/build/fuzz}
seconds=${1:-8}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run.sh [SECONDS] [HARNESS...]" >&2; exit 2; }
shift || true
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for d in "$root"/fuzz/corpus/*/; do harnesses+=("$(basename "$d")"); done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts"
for h in "${harnesses[@]}"; do
  bin="$build/fuzz/$h"
  [ -x "$bin" ] || { echo "fuzz: $bin is not built" >&2; exit 2; }
  mkdir -p "$work/$h"
  echo "=== $h: ${seconds}s"
  # The first directory receives new inputs; the seeds are read only.
  status=0
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$h-" "$work/$h" "$root/fuzz/corpus/$h" >"$work/$h.log" 2>&1 ||
    status=$?
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|SUMMARY)" "$work/$h.log" || true
  if [ "$status" -ne 0 ]; then
    grep -E -A25 "^==[0-9]+==ERROR|^ERROR|deadly signal" "$work/$h.log" | head -60 >&2 || true
    echo "fuzz: $h failed (exit $status); reproducer in $build/artifacts/" >&2
    exit 1
  fi
done
echo "fuzz: all ${#harnesses[@]} harnesses ran ${seconds}s each without a finding"
