#!/usr/bin/env python3
"""End-to-end bulk import: `trustmonctl import --parallel P` into a real trustmond, on loopback.

Takes the first N certificates of the data set bench_registry generates and caches
(/tmp/trustmon-bench-registry-1000000.bin: big-endian u32 length + CA private key PEM,
u32 length + CA certificate DER, then u32 length + DER for every certificate; all issued
by that CA), writes them as PEM bundles of 100,000 certificates, and for each run starts
a fresh trustmond (new data folder from `trustmonctl init`, one [[issuer]] = that CA with
its own key as OCSP responder key, access log off, no API rate limit) on a free
127.0.0.1 port, imports with the bootstrap admin token (its file is never printed),
times the import, checks that the summary says every certificate was stored, and stops
the daemon.

Runs, all in this one invocation so the ratios compare like with like:
  A  --parallel P  on all N certificates                  (the figure asked for)
  B  --parallel P  on the first min(N, 100000) certificates
  C  --parallel 1  on the first min(N, 100000) certificates  (the sequential peer)
B / C is the gain of pipelining at the same store size; A / C also includes the
larger store's cost. Writer figures come from the daemon's /metrics (jobs = batches).

Usage: bench/import_load.py BUILD_DIR [N] [--parallel P] [--batch B] [--peer-count M]
                            [--cache FILE] [--keep]
  BUILD_DIR  holds tools/trustmonctl and responder/trustmond
  N          certificates for run A (default 1,000,000)
Only loopback addresses are used; every daemon the script starts, it stops.
"""
import argparse
import base64
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from set_toml import set_key  # noqa: E402

CACHE = "/tmp/trustmon-bench-registry-1000000.bin"
PER_FILE = 100000


def read_cache(path, n):
    """CA key PEM, CA certificate DER and the first n certificate DERs."""
    def record(f):
        head = f.read(4)
        if len(head) != 4:
            raise SystemExit("%s: truncated (run bench_registry to make it)" % path)
        (length,) = struct.unpack(">I", head)
        data = f.read(length)
        if len(data) != length:
            raise SystemExit("%s: truncated (run bench_registry to make it)" % path)
        return data

    with open(path, "rb") as f:
        key_pem = record(f)
        ca_der = record(f)
        certs = [record(f) for _ in range(n)]
    return key_pem, ca_der, certs


def pem(der, label="CERTIFICATE"):
    b64 = base64.b64encode(der)
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return b"-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label.encode(), b"\n".join(lines), label.encode())


def write_ca(work, key_pem, ca_der):
    """The data set's CA as files in work/pki (the key mode 0600); returns (ca.pem, ca.key)."""
    pki = os.path.join(work, "pki")
    os.makedirs(pki, exist_ok=True)
    ca_pem, ca_key = os.path.join(pki, "ca.pem"), os.path.join(pki, "ca.key")
    open(ca_pem, "wb").write(pem(ca_der))
    fd = os.open(ca_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    return ca_pem, ca_key


def write_bundles(certs, folder):
    """PEM bundles of PER_FILE certificates each; returns the file paths in order."""
    os.makedirs(folder)
    paths = []
    for start in range(0, len(certs), PER_FILE):
        p = os.path.join(folder, "part-%03d.pem" % (start // PER_FILE))
        with open(p, "wb") as f:
            f.write(b"".join(pem(c) for c in certs[start:start + PER_FILE]))
        paths.append(p)
    return paths


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    """utime + stime of a running process, from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def metrics(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    out = {}
    for line in body.splitlines():
        if line.startswith("trustmon_writer_") and " " in line:
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class Daemon:
    """A trustmond on a fresh data folder; stopped by its PID."""

    def __init__(self, build, work, name, ca_pem, ca_key):
        self.ctl = os.path.join(build, "tools", "trustmonctl")
        self.bin = os.path.join(build, "responder", "trustmond")
        self.data = os.path.join(work, "data-" + name)
        self.port = free_port()
        self.proc = None
        subprocess.run([self.ctl, "init", "--data", self.data, "--listen", "127.0.0.1:%d" % self.port,
                        "--issuer", "bench=%s,%s,%s" % (ca_pem, ca_pem, ca_key)],
                       check=True, stdout=subprocess.DEVNULL)
        self.conf = os.path.join(self.data, "trustmon.toml")
        text = open(self.conf).read()
        text = set_key(text, "log", "access", '"off"')
        text = set_key(text, "log", "file", json.dumps(os.path.join(self.data, "trustmond.log")))
        text = set_key(text, "access", "rate_per_second", "0")
        open(self.conf, "w").write(text)
        self.token_file = os.path.join(self.data, "admin.token")

    def start(self):
        self.proc = subprocess.Popen([self.bin, "--config", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.data, "stderr"), "w"))
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("trustmond exited at start; see %s/stderr" % self.data)
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("trustmond did not answer /healthz")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def run_import(build, work, name, files, expected, parallel, batch, ca_pem, ca_key, keep):
    d = Daemon(build, work, name, ca_pem, ca_key)
    try:
        d.start()
        cmd = [d.ctl, "--server", "http://127.0.0.1:%d" % d.port, "--token-file", d.token_file,
               "import", "--parallel", str(parallel)]
        if batch:
            cmd += ["--batch", str(batch)]
        cmd += files
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu0 = cpu_seconds(d.proc.pid)
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.monotonic() - t0
        server_cpu = cpu_seconds(d.proc.pid) - server_cpu0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        try:
            summary = json.loads(p.stdout)
        except ValueError:
            summary = {}
        m = metrics(d.port)
    finally:
        d.stop()
        if not keep:
            shutil.rmtree(d.data, ignore_errors=True)
    short = {k: v for k, v in summary.items() if not isinstance(v, (list, dict))}
    if p.returncode != 0 or summary.get("stored") != expected:
        sys.stderr.write("run %s: exit %d, summary %s, error %s\n%s" % (
            name, p.returncode, json.dumps(short), json.dumps(summary.get("error")), p.stderr))
        raise SystemExit("run %s: expected stored = %d" % (name, expected))
    commits = m.get("trustmon_writer_commits_total", 0)
    jobs = m.get("trustmon_writer_jobs_total", 0)
    return {"name": name, "parallel": parallel, "certs": expected, "wall": wall, "rate": expected / wall,
            "client_cpu": client_cpu, "server_cpu": server_cpu, "load": load, "summary": short,
            "commits": commits, "jobs_per_commit": jobs / commits if commits else 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("n", nargs="?", type=int, default=1000000)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--batch", type=int, default=0, help="certificates per request (default: trustmonctl's)")
    ap.add_argument("--peer-count", type=int, default=100000, help="certificates of the B and C runs (at most N)")
    ap.add_argument("--cache", default=CACHE)
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (PEM files, data folders)")
    a = ap.parse_args()
    if not 1 <= a.n <= 1000000:
        raise SystemExit("N must be between 1 and 1,000,000")
    peer_n = min(a.n, a.peer_count)

    work = tempfile.mkdtemp(prefix="trustmon-import-load-")
    try:
        t0 = time.monotonic()
        key_pem, ca_der, certs = read_cache(a.cache, a.n)
        ca_pem, ca_key = write_ca(work, key_pem, ca_der)
        files = write_bundles(certs, os.path.join(work, "certs"))
        peer_files = write_bundles(certs[:peer_n], os.path.join(work, "certs-peer"))
        del certs
        size = sum(os.path.getsize(f) for f in files)
        print("data: %d certificates in %d PEM files (%.0f MB), %d in %d for B and C; prepared in %.0f s" % (
            a.n, len(files), size / 1e6, peer_n, len(peer_files), time.monotonic() - t0), flush=True)

        runs = []
        plan = [("A", files, a.n, a.parallel), ("B", peer_files, peer_n, a.parallel), ("C", peer_files, peer_n, 1)]
        for name, fs, n, par in plan:
            r = run_import(a.build, work, name, fs, n, par, a.batch, ca_pem, ca_key, a.keep)
            runs.append(r)
            print("run %s: --parallel %d, %d certificates: %.1f s, %.0f certificates/s "
                  "(client CPU %.1f s, server CPU %.1f s, load %.1f before; writer %d commits, %.2f batches/commit) %s" % (
                      name, par, n, r["wall"], r["rate"], r["client_cpu"], r["server_cpu"], r["load"],
                      r["commits"], r["jobs_per_commit"], json.dumps(r["summary"])), flush=True)

        A, B, C = runs
        print()
        print("| run | --parallel | certificates | wall | certificates/s | ratio to C |")
        print("|---|---|---|---|---|---|")
        for r in runs:
            print("| %s | %d | %s | %.1f s | %s | %.2f |" % (
                r["name"], r["parallel"], format(r["certs"], ","), r["wall"], format(round(r["rate"]), ","),
                r["rate"] / C["rate"]))
        print()
        print("target >= 20,000 certificates/s with every index: %s (run A: %.0f/s)" % (
            "met" if A["rate"] >= 20000 else "not met", A["rate"]))
    finally:
        if a.keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
