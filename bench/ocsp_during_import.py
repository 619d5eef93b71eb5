#!/usr/bin/env python3
"""OCSP latency while a bulk import runs: what ingest costs the relying parties.

One fresh trustmond (as bench/import_load.py starts it: the bench_registry data set's CA
as the one issuer, access log and API rate limit off) on a free 127.0.0.1 port. A probe
sends one OCSP POST for the data set's first certificate every 5 ms on one kept-alive
connection and records each round trip:

  idle    the probe alone, before the import (the peer, same daemon, same store)
  import  the probe while `trustmonctl import --parallel P` loads N certificates

The first certificate is imported and revoked before the idle phase: a revocation stores
its signed response in the same commit, so both phases are served the same pre-signed
answer (no signing in the measurement). Every response is checked to be HTTP 200 with an
OCSP body. The figures are the probe's p50 / p99 / max
and the ratio of the import phase to the idle one.

Usage: bench/ocsp_during_import.py BUILD_DIR [N] [--parallel P] [--batch B] [--cache FILE]
Only loopback addresses are used; the daemon the script starts, it stops.
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from import_load import CACHE, Daemon, pem, read_cache, write_bundles, write_ca  # noqa: E402

PROBE_INTERVAL = 0.005


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))]


class Probe(threading.Thread):
    def __init__(self, port, request):
        super().__init__(daemon=True)
        self.port, self.request = port, request
        self.samples = []  # (start time, seconds)
        self.errors = 0
        self.stop_flag = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/ocsp-request"}
        while not self.stop_flag.is_set():
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/ocsp", body=self.request, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                ok = resp.status == 200 and resp.getheader("Content-Type") == "application/ocsp-response" and body
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            dt = time.perf_counter() - t0
            if ok:
                self.samples.append((t0, dt))
            else:
                self.errors += 1
            rest = PROBE_INTERVAL - dt
            if rest > 0:
                time.sleep(rest)

    def between(self, t_from, t_to):
        return sorted(dt for t, dt in self.samples if t_from <= t < t_to)


def summary(name, values):
    ms = [v * 1000 for v in values]
    return {"name": name, "n": len(ms), "p50": percentile(ms, 50), "p99": percentile(ms, 99),
            "max": ms[-1] if ms else float("nan")}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("n", nargs="?", type=int, default=300000)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    ap.add_argument("--cache", default=CACHE)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="trustmon-ocsp-import-")
    d = None
    try:
        key_pem, ca_der, certs = read_cache(a.cache, a.n)
        ca_pem, ca_key = write_ca(work, key_pem, ca_der)
        pki = os.path.dirname(ca_pem)
        first = os.path.join(pki, "first.pem")
        open(first, "wb").write(pem(certs[0]))
        files = write_bundles(certs[1:], os.path.join(work, "certs"))
        del certs
        req = os.path.join(pki, "req.der")
        subprocess.run(["openssl", "ocsp", "-issuer", ca_pem, "-cert", first, "-no_nonce", "-reqout", req],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        request = open(req, "rb").read()

        d = Daemon(a.build, work, "probe", ca_pem, ca_key)
        d.start()
        base = [d.ctl, "--server", "http://127.0.0.1:%d" % d.port, "--token-file", d.token_file]
        subprocess.run(base + ["import", first], check=True, stdout=subprocess.DEVNULL)
        serial = subprocess.run(["openssl", "x509", "-in", first, "-noout", "-serial"], check=True,
                                capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        subprocess.run(base + ["revoke", "--issuer", "bench", "--serial", serial, "--reason", "keyCompromise"],
                       check=True, stdout=subprocess.DEVNULL)

        probe = Probe(d.port, request)
        probe.start()
        t_idle = time.perf_counter()
        time.sleep(a.idle_seconds)
        t_import = time.perf_counter()
        cmd = base + ["import", "--parallel", str(a.parallel)]
        if a.batch:
            cmd += ["--batch", str(a.batch)]
        p = subprocess.run(cmd + files, capture_output=True, text=True)
        t_end = time.perf_counter()
        probe.stop_flag.set()
        probe.join()
        if p.returncode != 0:
            raise SystemExit("import failed: %s %s" % (p.stdout[-500:], p.stderr[-500:]))

        idle = summary("idle (peer)", probe.between(t_idle, t_import))
        during = summary("during import", probe.between(t_import, t_end))
        print("import: %d certificates in %.1f s (%.0f/s), probe errors %d" % (
            a.n - 1, t_end - t_import, (a.n - 1) / (t_end - t_import), probe.errors))
        print()
        print("| phase | probes | p50 ms | p99 ms | max ms | p99 / idle p99 |")
        print("|---|---|---|---|---|---|")
        for s in (idle, during):
            print("| %s | %d | %.2f | %.2f | %.1f | %.1f |" % (
                s["name"], s["n"], s["p50"], s["p99"], s["max"], s["p99"] / idle["p99"]))
    finally:
        if d is not None:
            d.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
