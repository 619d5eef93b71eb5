#!/usr/bin/env python3
"""OCSP throughput of two or more trustmond builds, interleaved in one run.

For A/B of a change on the HTTP path (the connection gate, a parser, a reply path): each
build gets a fresh data folder with the bench_registry data set's CA as its one issuer and
one certificate ingested; then, round after round, each build's daemon is started, pinned
to SERVER_CPU with all its threads, and wrk (one thread, pinned to CLIENT_CPU) posts that
certificate's OCSP request (SHA-1 CertID, no nonce: a pre-signed answer) for DURATION
seconds at CONNS connections, then GETs the same request (RFC 5019 path) as long. The
table gives each build's median req/s and p99 over the rounds and its ratio to the first
build of the list, measured in the same run. Loopback only; every process started here is
stopped here.

  python3 bench/ocsp_ab.py BUILD_A BUILD_B [--rounds 3] [--duration 5] [--conns 50]
"""
import argparse
import base64
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from import_load import Daemon, pem, read_cache, write_ca  # noqa: E402
from revoke_during_import import CACHE_SMALL, cert_serial, ocsp_request, wrk_lua  # noqa: E402


def pin(pid, cpu):
    subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], check=True, stdout=subprocess.DEVNULL)


def wrk(url, lua, a):
    cmd = ["taskset", "-c", str(a.client_cpu), "wrk", "-t1", "-c%d" % a.conns, "-d%ds" % a.duration, "--latency"]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit("wrk saw errors against %s:\n%s" % (url, out))
    return rps, p99


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builds", nargs="+", help="build folders (tools/trustmonctl, responder/trustmond); the first is the reference")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--server-cpu", type=int, default=1)
    ap.add_argument("--client-cpu", type=int, default=0)
    ap.add_argument("--cache", default=CACHE_SMALL)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="trustmon-ocsp-ab-")
    daemons = []
    try:
        key_pem, ca_der, certs = read_cache(a.cache, 1)
        ca_pem, ca_key = write_ca(work, key_pem, ca_der)
        cert_file = os.path.join(work, "cert.pem")
        open(cert_file, "wb").write(pem(certs[0]))
        req = ocsp_request(ca_der, cert_serial(certs[0]))
        req_file = os.path.join(work, "req.der")
        open(req_file, "wb").write(req)
        lua = os.path.join(work, "post.lua")
        wrk_lua(lua, req_file)
        get_path = "/ocsp/" + urllib.parse.quote(base64.b64encode(req).decode(), safe="")
        for i, build in enumerate(a.builds):
            d = Daemon(build, work, "b%d" % i, ca_pem, ca_key)
            d.start()
            subprocess.run([d.ctl, "--server", "http://127.0.0.1:%d" % d.port, "--token-file", d.token_file,
                            "import", cert_file], check=True, stdout=subprocess.DEVNULL)
            d.stop()
            daemons.append(d)
        results = {i: {"post": [], "get": []} for i in range(len(a.builds))}
        for r in range(a.rounds):
            for i, d in enumerate(daemons):
                d.start()
                pin(d.proc.pid, a.server_cpu)
                base = "http://127.0.0.1:%d" % d.port
                wrk(base + "/ocsp", lua, argparse.Namespace(client_cpu=a.client_cpu, conns=a.conns, duration=1))  # warm-up
                results[i]["post"].append(wrk(base + "/ocsp", lua, a))
                results[i]["get"].append(wrk(base + get_path, None, a))
                d.stop()
                print("round %d %s: post %s get %s" % (r + 1, a.builds[i], results[i]["post"][-1], results[i]["get"][-1]),
                      flush=True)
        print()
        print("wrk -t1 -c%d, %d s per run, %d rounds, server on CPU %d, wrk on CPU %d; medians"
              % (a.conns, a.duration, a.rounds, a.server_cpu, a.client_cpu))
        print()
        print("| build | POST req/s | POST p99 ms | POST / first | GET req/s | GET p99 ms | GET / first |")
        print("|---|---|---|---|---|---|---|")
        ref = {}
        for i, build in enumerate(a.builds):
            row = [build]
            for kind in ("post", "get"):
                rps = statistics.median(x[0] for x in results[i][kind])
                p99 = statistics.median(x[1] for x in results[i][kind])
                ref.setdefault(kind, rps)
                row += ["%.0f" % rps, "%.2f" % p99, "%.3f" % (rps / ref[kind])]
            print("| " + " | ".join(row) + " |")
    finally:
        for d in daemons:
            d.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
