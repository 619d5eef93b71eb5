#!/usr/bin/env python3
"""Revocation latency while a bulk import runs under OCSP saturation (issue 19, D2).

For each build given (the peer first, e.g. a build of main, then this tree), one fresh
trustmond as bench/import_load.py starts it (the bench_registry data set's CA as the one
issuer, access log and API rate limit off) on a free 127.0.0.1 port, then for a fixed
window of W seconds, all at once:

  OCSP      wrk -t1 -cC posting one OCSP request (a revoked certificate: a pre-signed
            answer) as fast as the server answers: the loops are saturated
  import    `trustmonctl import --parallel P` of N certificates of the data set
  revoke    one revocation every 0.2 s (POST /api/v1/revocations, one certificate that
            was imported before the window, its own connection, 10 s timeout), each
            followed at once by an OCSP request for that certificate, which must say
            `revoked` (the signed response is stored in the revocation's commit)

Only revocations sent while the import was still running are counted. The figures are
the revocations' p50 / p99 / max latency (a timed-out one counts as the timeout), how
many timed out, how many acknowledged ones OCSP did not yet answer `revoked`, the OCSP
req/s wrk reached, and how many certificates the import stored within the window (the
import is stopped at the window's end if it has not finished).

Usage: bench/revoke_during_import.py BUILD [BUILD...] [--n N] [--window W] [--parallel P]
                                     [--conns C] [--interval S] [--cache FILE]
Runs at the priority it is started with (start it with `nice -n 10`). Only loopback
addresses are used; every process the script starts (daemon, wrk, trustmonctl) it stops,
by its PID.
"""
import argparse
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from der import der_item  # noqa: E402
from import_load import Daemon, pem, read_cache, write_bundles, write_ca  # noqa: E402

TIMEOUT = 10.0
CACHE_SMALL = "/tmp/trustmon-bench-registry-100000.bin"


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))]



def cert_serial(der):
    """The serial number's content octets (as DER has them) of a certificate."""
    _, cert, _ = der_item(der, 0)          # Certificate
    _, tbs, _ = der_item(der, cert)        # TBSCertificate
    tag, start, end = der_item(der, tbs)
    if tag == 0xA0:                        # [0] version
        tag, start, end = der_item(der, end)
    return der[start:end]


def der_tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        size = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([tag, 0x80 | len(size)]) + size
    return head + content


def ocsp_request(ca_der, serial):
    """An OCSP request (SHA-1 CertID, no nonce) for `serial` of the CA, built here: one
    openssl process per request is too slow on a busy machine."""
    _, cert, _ = der_item(ca_der, 0)
    _, pos, _ = der_item(ca_der, cert)      # TBSCertificate contents
    fields = []
    while len(fields) < 7:
        tag, start, end = der_item(ca_der, pos)
        fields.append((pos, start, end, tag))
        pos = end
    if fields[0][3] != 0xA0:                # no [0] version: shift
        fields.insert(0, None)
    subject = ca_der[fields[5][0]:fields[5][2]]
    spki_pos, spki_start, spki_end, _ = fields[6]
    _, alg_end = der_item(ca_der, spki_start)[1:]
    _, bits_start, bits_end = der_item(ca_der, alg_end)
    key_bits = ca_der[bits_start + 1:bits_end]
    sha1 = der_tlv(0x30, der_tlv(0x06, bytes.fromhex("2b0e03021a")) + b"\x05\x00")
    cert_id = der_tlv(0x30, sha1 + der_tlv(0x04, hashlib.sha1(subject).digest()) +
                      der_tlv(0x04, hashlib.sha1(key_bits).digest()) + der_tlv(0x02, serial))
    return der_tlv(0x30, der_tlv(0x30, der_tlv(0x30, der_tlv(0x30, cert_id))))


def ocsp_says_revoked(body, serial):
    """The certStatus right after our serial in the SingleResponse: [1] revoked is 0xA1."""
    needle = bytes([0x02, len(serial)]) + serial
    at = body.find(needle)
    return at >= 0 and at + len(needle) < len(body) and body[at + len(needle)] == 0xA1


class Revoker(threading.Thread):
    """One revocation every `interval` seconds, each on its own thread and connection."""

    def __init__(self, port, token, targets, interval):
        super().__init__(daemon=True)
        self.port, self.token, self.targets, self.interval = port, token, targets, interval
        self.results = []  # (sent at, latency or None, ocsp revoked or None, error)
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.threads = []

    def one(self, serial, ocsp_request):
        t0 = time.perf_counter()
        latency, revoked, error = None, None, ""
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            body = json.dumps({"issuer": "bench", "serial": serial.hex().upper(), "reason": "keyCompromise"})
            c.request("POST", "/api/v1/revocations", body=body,
                      headers={"Content-Type": "application/json", "Authorization": "Bearer " + self.token})
            resp = c.getresponse()
            reply = resp.read()
            if resp.status == 200 and json.loads(reply).get("revoked") == 1:
                latency = time.perf_counter() - t0
                c.request("POST", "/ocsp", body=ocsp_request, headers={"Content-Type": "application/ocsp-request"})
                o = c.getresponse()
                revoked = o.status == 200 and ocsp_says_revoked(o.read(), serial)
            else:
                error = "HTTP %d" % resp.status
            c.close()
        except (OSError, http.client.HTTPException, ValueError) as e:
            error = type(e).__name__
        with self.lock:
            self.results.append((t0, latency, revoked, error))

    def run(self):
        next_at = time.perf_counter()
        for serial, ocsp_request in self.targets:
            if self.stop_flag.is_set():
                break
            t = threading.Thread(target=self.one, args=(serial, ocsp_request), daemon=True)
            t.start()
            self.threads.append(t)
            next_at += self.interval
            self.stop_flag.wait(max(0.0, next_at - time.perf_counter()))

    def finish(self):
        self.stop_flag.set()
        self.join()
        for t in self.threads:
            t.join(TIMEOUT + 5)


def wrk_lua(path, request_file):
    with open(path, "w") as f:
        f.write('local f = io.open("%s", "rb")\n' % request_file)
        f.write('wrk.method = "POST"\nwrk.body = f:read("*a")\nf:close()\n')
        f.write('wrk.headers["Content-Type"] = "application/ocsp-request"\n')


def writer_jobs(port):
    """The Writer's jobs so far (from /metrics)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/metrics")
    for line in c.getresponse().read().decode().splitlines():
        if line.startswith("trustmon_writer_jobs_total "):
            return int(float(line.split()[1]))
    return -1


def run_case(build, work, name, a, ca_pem, ca_key, first_file, target_file, import_files, targets, lua):
    d = Daemon(build, work, name, ca_pem, ca_key)
    wrk = imp = None
    try:
        d.start()
        token = open(d.token_file).read().strip()
        base = [d.ctl, "--server", "http://127.0.0.1:%d" % d.port, "--token-file", d.token_file]
        subprocess.run(base + ["import", first_file, target_file], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(base + ["revoke", "--issuer", "bench", "--serial", a.first_serial, "--reason", "keyCompromise"],
                       check=True, stdout=subprocess.DEVNULL)
        url = "http://127.0.0.1:%d/ocsp" % d.port
        wrk = subprocess.Popen(["wrk", "-t1", "-c%d" % a.conns, "-d%ds" % int(a.window + 1), "-s", lua, url],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1.0)  # saturation first
        t_start = time.perf_counter()
        imp = subprocess.Popen(base + ["import", "--parallel", str(a.parallel)] + import_files,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        revoker = Revoker(d.port, token, targets, a.interval)
        revoker.start()
        import_end = None
        while time.perf_counter() - t_start < a.window:
            if import_end is None and imp.poll() is not None:
                import_end = time.perf_counter()
            time.sleep(0.05)
        finished = imp.poll() is not None
        if import_end is None and finished:
            import_end = time.perf_counter()
        if not finished:
            imp.terminate()
        revoker.finish()
        out, _ = imp.communicate()
        imported = None
        try:
            imported = json.loads(out).get("stored") if finished else None
        except ValueError:
            pass
        try:
            wrk_out, _ = wrk.communicate(timeout=30)  # it ends a second after the window
        except subprocess.TimeoutExpired:
            wrk.kill()
            wrk_out, _ = wrk.communicate()
        wrk_rps = float("nan")
        for line in wrk_out.splitlines():
            if line.startswith("Requests/sec:"):
                wrk_rps = float(line.split()[1])
        jobs = writer_jobs(d.port)
    finally:
        for p in (imp, wrk):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        d.stop()
        shutil.rmtree(d.data, ignore_errors=True)

    end = import_end if import_end is not None else float("inf")
    during = [r for r in revoker.results if r[0] < end]
    lat = sorted((r[1] if r[1] is not None else TIMEOUT) * 1000 for r in during)
    return {
        "name": name, "build": build, "sent": len(during),
        "answered": sum(1 for r in during if r[1] is not None),
        "timed_out": sum(1 for r in during if r[1] is None and r[3] in ("timeout", "TimeoutError")),
        "failed": sum(1 for r in during if r[1] is None and r[3] not in ("timeout", "TimeoutError")),
        "not_revoked": sum(1 for r in during if r[1] is not None and not r[2]),
        "p50": percentile(lat, 50), "p99": percentile(lat, 99), "max": lat[-1] if lat else float("nan"),
        "import_s": (import_end - t_start) if import_end is not None else None, "imported": imported,
        "wrk_rps": wrk_rps, "writer_jobs": jobs,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builds", nargs="+", help="build folders; the first is the peer")
    ap.add_argument("--n", type=int, default=40000, help="certificates the import sends")
    ap.add_argument("--window", type=float, default=40.0, help="seconds of load per build")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--cache", default=CACHE_SMALL)
    a = ap.parse_args()
    n_targets = int(a.window / a.interval) + 10
    work = tempfile.mkdtemp(prefix="trustmon-revoke-import-")
    try:
        key_pem, ca_der, certs = read_cache(a.cache, 1 + n_targets + a.n)
        ca_pem, ca_key = write_ca(work, key_pem, ca_der)
        pki = os.path.dirname(ca_pem)
        first_file = os.path.join(pki, "first.pem")
        open(first_file, "wb").write(pem(certs[0]))
        a.first_serial = cert_serial(certs[0]).hex().upper()
        target_file = os.path.join(pki, "targets.pem")
        open(target_file, "wb").write(b"".join(pem(c) for c in certs[1:1 + n_targets]))
        import_files = write_bundles(certs[1 + n_targets:], os.path.join(work, "certs"))
        req = os.path.join(pki, "first.req")
        open(req, "wb").write(ocsp_request(ca_der, cert_serial(certs[0])))
        targets = [(cert_serial(c), ocsp_request(ca_der, cert_serial(c))) for c in certs[1:1 + n_targets]]
        del certs
        lua = os.path.join(work, "ocsp.lua")
        wrk_lua(lua, req)

        rows = []
        for i, build in enumerate(a.builds):
            name = "peer" if i == 0 else "build%d" % i
            r = run_case(build, work, name, a, ca_pem, ca_key, first_file, target_file, import_files, targets, lua)
            rows.append(r)
            print("%s (%s): %s" % (name, build, json.dumps(r)), flush=True)

        print()
        print("OCSP wrk -c%d, `trustmonctl import --parallel %d` of %d certificates, one revocation every %.1f s, "
              "%.0f s window" % (a.conns, a.parallel, a.n, a.interval, a.window))
        print()
        print("| build | revocations | answered | timed out (%.0f s) | p50 ms | p99 ms | max ms | p99 / peer p99 "
              "| OCSP not yet revoked | import | OCSP req/s |" % TIMEOUT)
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        peer = rows[0]
        for r in rows:
            imp = ("%d in %.1f s" % (r["imported"] or 0, r["import_s"])) if r["import_s"] is not None else \
                "unfinished at %.0f s" % a.window
            print("| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.3f | %d | %s | %.0f |" % (
                r["build"], r["sent"], r["answered"], r["timed_out"], r["p50"], r["p99"], r["max"],
                r["p99"] / peer["p99"], r["not_revoked"], imp, r["wrk_rps"]))
        print()
        last = rows[-1]
        print("target p99 < 100 ms: %s (%s: %.1f ms)" % ("met" if last["p99"] < 100 else "not met", last["build"],
                                                      last["p99"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
