#!/usr/bin/env bash
# bench_tsa beside `openssl speed` on the same core, in one run: prints Tsa::respond per
# second for an EC P-256 and an RSA-2048 TSA as a ratio of openssl's sign/s for the same key
# (the target is >= 0.7). openssl speed runs before and after the benchmark; the ratio uses
# the mean of the two. Both count in real time (bench_tsa uses UseRealTime), so a core that
# someone else's work shares slows both, though not alike when the load comes and goes; run it
# on a quiet machine. The last column, "cpu ratio", uses bench_tsa's CPU time instead (what
# the responses would reach with the core to themselves) against the same openssl figure: it
# tells contention apart from slowness when the machine is busy, and is not the target. Usage: bench/tsa_speed.sh [build dir, default build/werror] [cpu, default 1]
set -euo pipefail
BUILD=${1:-build/werror}
CPU=${2:-1}
BIN="$BUILD/bench/bench_tsa"
[ -x "$BIN" ] || { echo "no $BIN: cmake --build $BUILD -t bench_tsa" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

speed() {  # $1 = file
  taskset -c "$CPU" openssl speed -seconds 3 ecdsap256 rsa2048 >"$1" 2>/dev/null
}
speed "$OUT/speed1.txt"
taskset -c "$CPU" "$BIN" --benchmark_format=json --benchmark_out="$OUT/bench.json" --benchmark_out_format=json \
  >/dev/null
speed "$OUT/speed2.txt"

python3 - "$OUT" <<'PY'
import json, re, sys
out = sys.argv[1]
def signs(path):
    text = open(path).read()
    # "rsa 2048 bits 0.000713s 0.000021s   1402.5  47619.0"  /  "256 bits ecdsa (nistp256)   0.0000s   0.0001s  38000.0  12000.0"
    rsa = re.search(r"^rsa\s+2048 bits\s+\S+\s+\S+\s+([\d.]+)", text, re.M)
    ec = re.search(r"^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)", text, re.M)
    return {"rsa2048": float(rsa.group(1)), "ecdsap256": float(ec.group(1))}
s1, s2 = signs(f"{out}/speed1.txt"), signs(f"{out}/speed2.txt")
bench = json.load(open(f"{out}/bench.json"))
print(f"{'case':34} {'respond/s':>10} {'openssl sign/s':>15} {'ratio':>6} {'cpu ratio':>9}")
scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
for b in bench["benchmarks"]:
    label = b.get("label", "")
    alg = label.split()[0]
    per_s = b["items_per_second"]
    ref = (s1[alg] + s2[alg]) / 2
    cpu_per_s = 1.0 / (b["cpu_time"] * scale[b.get("time_unit", "ns")])
    print(f"{label:34} {per_s:10.0f} {ref:15.0f} {per_s / ref:6.2f} {cpu_per_s / ref:9.2f}")
print(f"openssl speed before/after: ecdsap256 {s1['ecdsap256']:.0f}/{s2['ecdsap256']:.0f}, "
      f"rsa2048 {s1['rsa2048']:.0f}/{s2['rsa2048']:.0f} sign/s")
PY
