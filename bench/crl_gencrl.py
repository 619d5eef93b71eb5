#!/usr/bin/env python3
"""Building a full CRL of N revoked entries: trustmon against `openssl ca -gencrl`, one run.

The peer: an OpenSSL CA made here (`openssl req -x509`, RSA-2048, in a temporary folder
under /tmp, removed at the end) whose `index.txt` holds N revoked certificates (status R,
random 16-octet serials, revocation dates over the last two years, reasons mixed like
bench_crl's: none, keyCompromise, affiliationChanged, superseded, cessationOfOperation,
certificateHold; a third carry an invalidity date, which OpenSSL's index expresses as
keyTime/CAkeyTime). `openssl ca -gencrl` (AKI and CRL number, SHA-256, as trustmon's CRL)
is timed three times; the median counts. OpenSSL's time includes reading index.txt and
writing PEM: that is what building a CRL costs an OpenSSL CA, just as trustmon's figure
includes every check and the signature but not the storage scan that hands it the entries.

Then BUILD_DIR/bench/bench_crl runs BM_CrlRsa2048/N (build and sign, RSA-2048; 3
repetitions, median) and the table gives both times and the ratio.

  python3 bench/crl_gencrl.py BUILD_DIR [--n 1000000] [--runs 3]
  (CRL_GENCRL_KEEP=1 keeps the temporary CA folder for a look at OpenSSL's CRL.)
"""
import argparse
import base64
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 9, 21, 14, 13, 20, tzinfo=timezone.utc)  # bench_crl's kNow
REASONS = [None, None, "keyCompromise", "affiliationChanged", "superseded", "superseded",
           "cessationOfOperation", "cessationOfOperation", "certificateHold", "superseded"]

CONFIG = """\
[ ca ]
default_ca = CA_default

[ CA_default ]
dir = {dir}
database = $dir/index.txt
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
policy = policy_any

[ policy_any ]
commonName = supplied

[ crl_ext ]
authorityKeyIdentifier = keyid:always
"""


def utc(t):
    return t.strftime("%y%m%d%H%M%SZ")


def gen(t):
    return t.strftime("%Y%m%d%H%M%SZ")


def write_index(path, n, rng):
    expiry = utc(NOW + timedelta(days=3 * 365))
    with open(path, "w") as f:
        for i in range(n):
            serial = rng.getrandbits(128) | (1 << 124)  # 16 octets, no leading zero octet
            revoked = NOW - timedelta(seconds=rng.randrange(2 * 365 * 86400))
            if i % 3 == 0:
                # invalidity date: OpenSSL's index says keyTime (keyCompromise) or CAkeyTime
                invalid = revoked - timedelta(seconds=rng.randrange(86400))
                kind = "keyTime" if rng.randrange(2) == 0 else "CAkeyTime"
                rev = "%s,%s,%s" % (utc(revoked), kind, gen(invalid))
            else:
                reason = REASONS[rng.randrange(len(REASONS))]
                rev = utc(revoked) if reason is None else "%s,%s" % (utc(revoked), reason)
            f.write("R\t%s\t%s\t%032X\tunknown\t/CN=leaf %d\n" % (expiry, rev, serial, i))


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir")
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    bench = os.path.join(a.build_dir, "bench", "bench_crl")
    if not os.access(bench, os.X_OK):
        raise SystemExit("no %s (configure with -DTRUSTMON_BENCH=ON and build bench_crl)" % bench)
    if a.n not in (1000, 100000, 1000000):
        raise SystemExit("--n must be one of bench_crl's sizes: 1000, 100000, 1000000")

    tmp = tempfile.mkdtemp(prefix="trustmon-crl-gencrl-", dir="/tmp")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tmp + "/ca.key",
                        "-out", tmp + "/ca.pem", "-days", "3650", "-subj", "/C=UA/O=trustmon bench/CN=Bench CRL CA",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                       check=True, capture_output=True)
        with open(tmp + "/openssl.cnf", "w") as f:
            f.write(CONFIG.format(dir=tmp))
        with open(tmp + "/index.txt.attr", "w") as f:
            f.write("unique_subject = no\n")
        with open(tmp + "/serial", "w") as f:
            f.write("01\n")
        t0 = time.perf_counter()
        write_index(tmp + "/index.txt", a.n, random.Random(a.n))
        print("index.txt with %d revoked entries written in %.1f s" % (a.n, time.perf_counter() - t0), file=sys.stderr)

        walls, cpus = [], []
        crl_bytes = 0
        for i in range(a.runs):
            with open(tmp + "/crlnumber", "w") as f:
                f.write("010000\n")
            out = "%s/crl%d.pem" % (tmp, i)
            c0, t0 = child_cpu(), time.perf_counter()
            subprocess.run(["openssl", "ca", "-gencrl", "-batch", "-config", tmp + "/openssl.cnf", "-out", out],
                           check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)
            cpus.append(child_cpu() - c0)
            with open(out) as f:
                body = "".join(l for l in f.read().splitlines() if not l.startswith("-----"))
            crl_bytes = len(base64.b64decode(body))
            print("openssl ca -gencrl run %d: %.2f s" % (i + 1, walls[-1]), file=sys.stderr)
        # The peer's CRL is a real one: it verifies and holds N entries.
        check = subprocess.run(["openssl", "crl", "-in", "%s/crl0.pem" % tmp, "-noout", "-verify", "-CAfile",
                                tmp + "/ca.pem"], capture_output=True, text=True)
        if "verify OK" not in check.stdout + check.stderr:
            raise SystemExit("the openssl CRL does not verify: " + check.stdout + check.stderr)

        json_out = tmp + "/bench_crl.json"
        subprocess.run([bench, "--benchmark_filter=^BM_CrlRsa2048/%d$" % a.n, "--benchmark_repetitions=%d" % max(a.runs, 1),
                        "--benchmark_report_aggregates_only=true", "--benchmark_out=" + json_out,
                        "--benchmark_out_format=json"], check=True, capture_output=True)
        with open(json_out) as f:
            report = json.load(f)
        # With repetitions Google Benchmark reports aggregates; with one run only the run.
        runs = report["benchmarks"]
        median = next((b for b in runs if b.get("aggregate_name") == "median"), runs[0])
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[median["time_unit"]]
        ours = median["real_time"] * scale
        ours_cpu = median["cpu_time"] * scale
        ours_bytes = int(median["bytes"])

        theirs, theirs_cpu = statistics.median(walls), statistics.median(cpus)
        load = os.getloadavg()
        print()
        print("N = {:,} revoked entries, RSA-2048, SHA-256; {} UTC; load average {:.2f} {:.2f} {:.2f}".format(
            a.n, datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"), *load))
        print()
        print("| build and sign | wall (median of %d) | CPU | CRL size | entries/s |" % a.runs)
        print("|---|---|---|---|---|")
        print("| trustmon `crl::build_crl` (bench_crl BM_CrlRsa2048/%d) | %.1f ms | %.1f ms | %s B | %s |" % (
            a.n, ours * 1e3, ours_cpu * 1e3, format(ours_bytes, ","), format(int(a.n / ours), ",")))
        print("| `openssl ca -gencrl` (index.txt, PEM out) | %.1f ms | %.1f ms | %s B | %s |" % (
            theirs * 1e3, theirs_cpu * 1e3, format(crl_bytes, ","), format(int(a.n / theirs), ",")))
        print()
        print("ratio openssl / trustmon: %.1fx (wall), %.1fx (CPU); target for trustmon: < 2 s -> %s" % (
            theirs / ours, theirs_cpu / ours_cpu, "met" if ours < 2.0 else "NOT met"))
    finally:
        if os.environ.get("CRL_GENCRL_KEEP"):
            print("kept " + tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
