#!/usr/bin/env python3
"""Soak: OCSP load, bulk import, revocations and CSR reservations while trustmond is killed -9.

One fresh trustmond on a free 127.0.0.1 port, set up the way scripts/demo.sh and
bench/import_load.py do it: `trustmonctl demo-pki` (a root, the issuing CAs demo-rsa and
demo-ec with delegated OCSP responders, CERTS end-entity certificates), `trustmonctl init`
with those issuers, access log off, no API rate limit, the bootstrap admin token (its file is
never printed). A QTSP participant operating demo-ec gets an operator token for the CSR
reservations (as tests/integration/csr_itest.cpp does).

For DURATION seconds, all at once:
  ocsp      wrk -t1 -cCONNS with a POST Lua script (application/ocsp-request, one pre-made
            request for a demo-ec certificate, no nonce), for the whole run; wrk reconnects
            after every kill
  import    `trustmonctl import --batch CHUNK` of CHUNK certificate files at a time, paced so
            the pool lasts the run (then it starts over: duplicates); a chunk counts as
            acknowledged when trustmonctl exits 0 with stored + duplicate = CHUNK; a chunk that
            was not is sent again at once
  revoke    POST /api/v1/revocations for one acknowledged certificate every REVOKE_EVERY s;
            acknowledged = HTTP 200 and the item's status revoked (or unchanged: an earlier
            attempt was committed before the kill cut its reply)
  csr       a fresh P-256 key and CSR (`openssl req`), POST /api/v1/csr/reservations every
            CSR_EVERY s; acknowledged = HTTP 201 with a reservation id
  kill      kill -9 of trustmond every KILL_EVERY s of its uptime; then, with the daemon down,
            `trustmonctl audit verify --storage DATA/db` (exit 0 = the chain holds), then a
            restart on the same data folder
Afterwards the daemon runs once more (no kill) and every acknowledged write is checked:
certificates by GET /api/v1/certificates?sha256=..., revocations by
?issuer_serial=ISSUER:SERIAL&status=any (status revoked), reservations by
GET /api/v1/csr/reservations/ID (the same csr_sha256). A last audit verify runs after a
clean stop.

Memory: per life, the daemon's VmRSS and RssAnon (from /proc/PID/status) WARMUP s after it
answered /healthz and just before its kill; the last life is measured after the checks.
"Flat" = the last life's final RssAnon <= the first life's warm-up RssAnon * RSS_FACTOR +
RSS_SLACK MiB (anonymous memory: LMDB's mapped pages are file-backed and grow with the store,
so they are reported in VmRSS but left out of the bound).

Prints a human summary and one JSON line (prefix "SOAK "); exits 1 if an acknowledged write
is missing, an audit verify failed, or the daemon did not come back; 2 on a setup error.

Usage: bench/soak.py [--build DIR] [--duration S] [--kill-every S] [--certs N] [--pki DIR]
                     [--chunk N] [--conns N] [--revoke-every S] [--csr-every S] [--warmup S]
                     [--rss-factor F] [--rss-slack MIB] [--keep]
  --build DIR       holds responder/trustmond and tools/trustmonctl (default build/werror)
  --duration S      seconds of load and kills (default 600)
  --kill-every S    seconds of daemon uptime between kills (default 7)
  --certs N         end-entity certificates demo-pki makes (default 20000; split over two CAs)
  --pki DIR         reuse a demo PKI made earlier by `trustmonctl demo-pki --out DIR`
                    (making 20000 takes minutes on a loaded machine)
  --chunk N         certificates per trustmonctl import (default 500)
  --conns N         wrk connections (default 8)
  --revoke-every S  (default 0.2)   --csr-every S (default 0.5)   --warmup S (default 2)
  --rss-factor F    (default 1.5)   --rss-slack MIB (default 32)
  --keep            keep the temporary folder (PKI, data folder, logs)
Only loopback addresses are used; every process the script starts, it stops (by PID).
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from set_toml import set_key  # noqa: E402

PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.S)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    """VmRSS and RssAnon in KiB of a running process."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "RssAnon", "RssFile"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


class Api:
    """One kept-alive HTTP connection to the daemon; reconnects after errors."""

    def __init__(self, port, token):
        self.port, self.token, self.conn = port, token, None

    def call(self, method, path, body=None, timeout=30):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {"Authorization": "Bearer " + self.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            r = self.conn.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            return None, None
        try:
            return r.status, json.loads(raw)
        except ValueError:
            return r.status, None


class Daemon:
    def __init__(self, binary, conf, data, port):
        self.bin, self.conf, self.data, self.port = binary, conf, data, port
        self.proc = None
        self.stderr = open(os.path.join(data, "stderr"), "a")

    def start(self, timeout=120):
        self.proc = subprocess.Popen([self.bin, "--config", self.conf], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return True
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        return False

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill9()


class Soak:
    def __init__(self, a):
        self.a = a
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked_certs = {}      # sha256 -> (issuer, serial)
        self.revocable = []        # (issuer, serial) acknowledged, not yet revoked
        self.acked_revocations = {}  # (issuer, serial) -> status word
        self.acked_reservations = {}  # id -> csr_sha256
        self.attempts = {"import_chunks": 0, "revocations": 0, "reservations": 0}
        self.failed = {"import_chunks": 0, "revocations": 0, "reservations": 0}
        self.why = {"import_chunks": {}, "revocations": {}, "reservations": {}}  # kind -> reply -> count

    def note(self, kind, what):
        self.failed[kind] += 1
        self.why[kind][what] = self.why[kind].get(what, 0) + 1

    # ---- writers
    def importer(self, ctl_base, chunks, pace):
        i = 0
        while not self.stop.is_set():
            files, metas = chunks[i % len(chunks)]
            t0 = time.monotonic()
            self.attempts["import_chunks"] += 1
            p = subprocess.run(ctl_base + ["--timeout", "30", "import", "--batch", str(len(files))] + files,
                               capture_output=True, text=True)
            try:
                s = json.loads(p.stdout)
            except ValueError:
                s = {}
            if p.returncode == 0 and s.get("stored", 0) + s.get("duplicate", 0) == len(files):
                i += 1
                with self.lock:
                    for sha, iss, ser in metas:
                        if sha not in self.acked_certs:
                            self.acked_certs[sha] = (iss, ser)
                            self.revocable.append((iss, ser))
            else:
                self.note("import_chunks", "exit %d %s" % (p.returncode, (s.get("error") or {}).get("code", "")))
                continue  # the same chunk again at once (a kill cut it; stored items come back as duplicates)
            rest = pace - (time.monotonic() - t0)
            if rest > 0:
                self.stop.wait(rest)

    def revoker(self, port, token):
        api = Api(port, token)
        pending = None
        while not self.stop.is_set():
            t0 = time.monotonic()
            if pending is None:
                with self.lock:
                    if self.revocable:
                        pending = self.revocable.pop(random.randrange(len(self.revocable)))
            if pending is not None:
                self.attempts["revocations"] += 1
                st, body = api.call("POST", "/api/v1/revocations",
                                    {"issuer": pending[0], "serial": pending[1], "reason": "keyCompromise"}, timeout=10)
                res = body.get("results") if isinstance(body, dict) else None
                word = res[0].get("status") if res else None
                if st == 200 and word in ("revoked", "unchanged"):
                    with self.lock:
                        self.acked_revocations[pending] = word
                    pending = None
                else:
                    # retried with the same serial
                    err = (body or {}).get("error", {}) if isinstance(body, dict) else {}
                    self.note("revocations", "%s %s" % (st or "no reply", (err or {}).get("code") or word or ""))
            rest = self.a.revoke_every - (time.monotonic() - t0)
            if rest > 0:
                self.stop.wait(rest)

    def reserver(self, port, token, folder):
        api = Api(port, token)
        n = 0
        csr_pem = None
        while not self.stop.is_set():
            t0 = time.monotonic()
            if csr_pem is None:
                n += 1
                path = os.path.join(folder, "r%d.csr" % n)
                subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                "-nodes", "-subj", "/CN=soak %d/serialNumber=TINUA-%010d" % (n, n),
                                "-keyout", path + ".key", "-out", path],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                csr_pem = open(path).read()
                der = base64.b64decode("".join(l for l in csr_pem.splitlines() if not l.startswith("-----")))
                csr_sha = hashlib.sha256(der).hexdigest()
            self.attempts["reservations"] += 1
            st, body = api.call("POST", "/api/v1/csr/reservations",
                                {"csr": csr_pem, "issuer": "demo-ec", "ttl": 7 * 86400}, timeout=10)
            if st == 201 and isinstance(body, dict) and "reservation" in body:
                r = body["reservation"]
                with self.lock:
                    self.acked_reservations[r["id"]] = r.get("csr_sha256", csr_sha)
                csr_pem = None
            else:
                err = (body or {}).get("error", {}) if isinstance(body, dict) else {}
                self.note("reservations", "%s %s" % (st or "no reply", (err or {}).get("code", "")))
                if st is not None:
                    csr_pem = None  # a 409 after a cut reply: committed unacknowledged; take a new one
            rest = self.a.csr_every - (time.monotonic() - t0)
            if rest > 0:
                self.stop.wait(rest)


def load_pool(pki):
    """(sha256, issuer, serial, path) of every certificate of demo-pki's two CAs."""
    pool = []
    for issuer in ("demo-rsa", "demo-ec"):
        d = os.path.join(pki, issuer, "certs")
        for name in sorted(os.listdir(d)):
            if not name.endswith(".pem"):
                continue
            path = os.path.join(d, name)
            m = PEM_RE.search(open(path, "rb").read())
            der = base64.b64decode(b"".join(m.group(1).split()))
            pool.append((hashlib.sha256(der).hexdigest(), issuer, name[:-4].lstrip("0") or "0", path))
    return pool


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                                     "build", "werror"))
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--kill-every", type=float, default=7)
    ap.add_argument("--certs", type=int, default=20000)
    ap.add_argument("--pki")
    ap.add_argument("--chunk", type=int, default=500)
    ap.add_argument("--conns", type=int, default=8)
    ap.add_argument("--revoke-every", type=float, default=0.2)
    ap.add_argument("--csr-every", type=float, default=0.5)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--rss-factor", type=float, default=1.5)
    ap.add_argument("--rss-slack", type=float, default=32)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    ctl = os.path.join(a.build, "tools", "trustmonctl")
    binary = os.path.join(a.build, "responder", "trustmond")
    for b in (ctl, binary, shutil.which("wrk"), shutil.which("openssl")):
        if not b or not os.access(b, os.X_OK):
            print("missing executable: %s" % b, file=sys.stderr)
            return 2

    work = tempfile.mkdtemp(prefix="trustmon-soak-")
    daemon = None
    wrk = None
    try:
        return run(a, ctl, binary, work)
    finally:
        if a.keep:
            print("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(a, ctl, binary, work):
    t_setup = time.monotonic()
    pki = a.pki
    if not pki:
        pki = os.path.join(work, "pki")
        subprocess.run([ctl, "demo-pki", "--out", pki, "--count", str(a.certs), "--revoked-percent", "0"],
                       check=True, stdout=subprocess.DEVNULL)
    pool = load_pool(pki)
    random.Random(1).shuffle(pool)
    port = free_port()
    data = os.path.join(work, "data")
    issuers = []
    for line in open(os.path.join(pki, "issuers.txt")):
        if line.strip():
            issuers += ["--issuer", line.strip()]
    init = json.loads(subprocess.run([ctl, "init", "--data", data, "--listen", "127.0.0.1:%d" % port] + issuers,
                                     check=True, capture_output=True, text=True).stdout)
    storage, conf, token_file = init["storage"], init["config"], init["token_file"]
    text = open(conf).read()
    text = set_key(text, "log", "access", '"off"')
    text = set_key(text, "log", "file", json.dumps(os.path.join(data, "trustmond.log")))
    text = set_key(text, "access", "rate_per_second", "0")
    open(conf, "w").write(text)
    admin = open(token_file).read().strip()
    base = [ctl, "--server", "http://127.0.0.1:%d" % port, "--token-file", token_file]

    d = Daemon(binary, conf, data, port)
    wrk = None
    soak = Soak(a)
    threads = []
    lives = []
    audits = {"runs": 0, "failed": 0, "failures": []}
    restart_failures = 0
    try:
        if not d.start():
            print("trustmond did not start; see %s/stderr" % data, file=sys.stderr)
            return 2

        def ctl_json(args):
            return json.loads(subprocess.run(base + args, check=True, capture_output=True, text=True).stdout)
        qtsp = ctl_json(["participant", "add", "--kind", "qtsp", "--name", "Soak QTSP", "--code", "10000001"])["id"]
        subprocess.run(base + ["participant", "issuer-add", str(qtsp), "demo-ec"], check=True, stdout=subprocess.DEVNULL)
        rep = ctl_json(["representative", "add", str(qtsp), "--name", "operator", "--role", "operator"])["id"]
        operator = ctl_json(["token", "issue", str(rep)])["token"]

        # The OCSP request: a demo-ec certificate, no nonce (the pre-signed or cached answer).
        ec_cert = next(p for (_, iss, _, p) in pool if iss == "demo-ec")
        req = os.path.join(work, "ocsp-req.der")
        subprocess.run(["openssl", "ocsp", "-issuer", os.path.join(pki, "demo-ec", "ca.pem"), "-cert", ec_cert,
                        "-no_nonce", "-reqout", req], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lua = os.path.join(work, "ocsp_post.lua")
        with open(lua, "w") as f:
            f.write('local f = io.open(%s, "rb")\nwrk.body = f:read("*a")\nf:close()\n'
                    'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/ocsp-request"\n' % json.dumps(req))

        chunks = []
        for i in range(0, len(pool), a.chunk):
            part = pool[i:i + a.chunk]
            chunks.append(([p for (_, _, _, p) in part], [(s, iss, ser) for (s, iss, ser, _) in part]))
        pace = a.duration / len(chunks)
        csr_dir = os.path.join(work, "csr")
        os.makedirs(csr_dir)
        print("setup: %d certificates (%d chunks of %d, one every %.2f s), port %d, %.0f s" % (
            len(pool), len(chunks), a.chunk, pace, port, time.monotonic() - t_setup), flush=True)

        wrk_out = open(os.path.join(work, "wrk.out"), "w")
        wrk = subprocess.Popen(["wrk", "-t1", "-c%d" % a.conns, "-d%ds" % int(a.duration), "--timeout", "5s",
                                "-s", lua, "http://127.0.0.1:%d/ocsp" % port], stdout=wrk_out, stderr=subprocess.STDOUT)
        threads = [threading.Thread(target=soak.importer, args=(base, chunks, pace), daemon=True),
                   threading.Thread(target=soak.revoker, args=(port, admin), daemon=True),
                   threading.Thread(target=soak.reserver, args=(port, operator, csr_dir), daemon=True)]
        for t in threads:
            t.start()

        t_end = time.monotonic() + a.duration
        life = {"n": 1}
        while True:
            up = time.monotonic()
            soak.stop.wait(a.warmup)
            life["warm"] = proc_status(d.proc.pid)
            until = min(up + a.kill_every, t_end)
            while time.monotonic() < until:
                time.sleep(min(0.1, max(0.0, until - time.monotonic())))
            if time.monotonic() >= t_end:
                break
            life["end"] = proc_status(d.proc.pid)
            d.kill9()
            lives.append(life)
            audits["runs"] += 1
            v = subprocess.run([ctl, "audit", "verify", "--storage", storage], capture_output=True, text=True)
            if v.returncode != 0:
                audits["failed"] += 1
                audits["failures"].append({"after_kill": life["n"], "exit": v.returncode,
                                           "out": (v.stdout + v.stderr)[-400:]})
                print("audit verify FAILED after kill %d: %s" % (life["n"], (v.stdout + v.stderr)[-400:]), flush=True)
            life = {"n": life["n"] + 1}
            if not d.start():
                restart_failures += 1
                print("trustmond did not restart after kill %d; see %s/stderr" % (life["n"] - 1, data), flush=True)
                if not d.start():
                    return finish(a, soak, lives, audits, restart_failures, None, wrk_out, work, fatal=True)
            if life["n"] % 10 == 0:
                print("%.0f s: %d kills, %d certificates, %d revocations, %d reservations acknowledged" % (
                    a.duration - (t_end - time.monotonic()), len(lives), len(soak.acked_certs),
                    len(soak.acked_revocations), len(soak.acked_reservations)), flush=True)

        soak.stop.set()
        for t in threads:
            t.join(timeout=120)
        wrk.wait(timeout=60)
        wrk = None

        # ---- checks, on the last life (not killed)
        t_check = time.monotonic()
        missing = check(soak, port, admin, operator)
        life["end"] = proc_status(d.proc.pid)
        life["checks_s"] = time.monotonic() - t_check
        lives.append(life)
        d.stop()
        audits["runs"] += 1
        v = subprocess.run([ctl, "audit", "verify", "--storage", storage], capture_output=True, text=True)
        if v.returncode != 0:
            audits["failed"] += 1
            audits["failures"].append({"after_kill": "final stop", "exit": v.returncode,
                                       "out": (v.stdout + v.stderr)[-400:]})
        return finish(a, soak, lives, audits, restart_failures, missing, wrk_out, work)
    finally:
        soak.stop.set()
        if wrk is not None and wrk.poll() is None:
            wrk.terminate()
            wrk.wait()
        d.stop()


def check(soak, port, admin, operator):
    api = Api(port, admin)
    missing = {"certificates": [], "revocations": [], "reservations": []}

    def get(path, who=api):
        for _ in range(5):
            st, body = who.call("GET", path)
            if st is not None:
                return st, body
            time.sleep(0.5)
        return None, None

    for sha in soak.acked_certs:
        st, body = get("/api/v1/certificates?sha256=%s&status=any" % sha)
        if st != 200 or not body.get("certificates"):
            missing["certificates"].append({"sha256": sha, "http": st})
    for (iss, ser) in soak.acked_revocations:
        st, body = get("/api/v1/certificates?issuer_serial=%s:%s&status=any" % (iss, ser))
        certs = (body or {}).get("certificates") or []
        if st != 200 or not certs or certs[0].get("status") != "revoked":
            missing["revocations"].append({"issuer": iss, "serial": ser, "http": st,
                                           "status": certs[0].get("status") if certs else None})
    op = Api(port, operator)
    for rid, csr_sha in soak.acked_reservations.items():
        st, body = get("/api/v1/csr/reservations/%d" % rid, op)
        r = (body or {}).get("reservation", body) if isinstance(body, dict) else None
        if st != 200 or not r or r.get("csr_sha256") != csr_sha:
            missing["reservations"].append({"id": rid, "http": st})
    return missing


def wrk_figures(path):
    text = open(path).read()
    out = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", text)
    if m:
        out["requests"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = {k: int(v) for k, v in zip(("connect", "read", "write", "timeout"), m.groups())}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["req_per_s"] = float(m.group(1))
    return out


def finish(a, soak, lives, audits, restart_failures, missing, wrk_out, work, fatal=False):
    wrk_out.flush()
    ocsp = wrk_figures(os.path.join(work, "wrk.out"))
    mib = lambda k: round(k / 1024.0, 1) if k else None  # noqa: E731
    rss = [{"life": l["n"], "warm_vmrss": mib(l.get("warm", {}).get("VmRSS")),
            "warm_anon": mib(l.get("warm", {}).get("RssAnon")),
            "end_vmrss": mib(l.get("end", {}).get("VmRSS")), "end_anon": mib(l.get("end", {}).get("RssAnon"))}
           for l in lives]
    first_warm = rss[0]["warm_anon"] if rss else None
    last_end = rss[-1]["end_anon"] if rss else None
    bound = first_warm * a.rss_factor + a.rss_slack if first_warm else None
    flat = bool(bound and last_end is not None and last_end <= bound)
    n_missing = sum(len(v) for v in missing.values()) if missing else None
    summary = {
        "duration_s": a.duration, "kill_every_s": a.kill_every, "kills": max(0, len(lives) - 1),
        "restart_failures": restart_failures,
        "acknowledged": {"certificates": len(soak.acked_certs), "revocations": len(soak.acked_revocations),
                         "reservations": len(soak.acked_reservations)},
        "attempts": soak.attempts, "not_acknowledged": soak.failed, "not_acknowledged_replies": soak.why,
        "missing": n_missing, "missing_items": {k: v[:20] for k, v in (missing or {}).items()},
        "audit_verify": {"runs": audits["runs"], "failed": audits["failed"], "failures": audits["failures"][:5]},
        "ocsp": ocsp,
        "rss_mib": {"first_warm_anon": first_warm, "last_end_anon": last_end, "bound": bound, "flat": flat,
                    "first_warm_vmrss": rss[0]["warm_vmrss"] if rss else None,
                    "last_end_vmrss": rss[-1]["end_vmrss"] if rss else None,
                    "max_warm_anon": max((r["warm_anon"] or 0) for r in rss) if rss else None,
                    "lives": rss},
    }
    ok = not fatal and n_missing == 0 and audits["failed"] == 0 and restart_failures == 0
    summary["ok"] = ok
    print()
    print("soak %.0f s, kill -9 every %.0f s of uptime: %d kills, %d restart failures" % (
        a.duration, a.kill_every, summary["kills"], restart_failures))
    print("acknowledged writes: %d certificates (%d import chunks of %d tried, %d not acknowledged), "
          "%d revocations (%d tries), %d CSR reservations (%d tries)" % (
              len(soak.acked_certs), soak.attempts["import_chunks"], a.chunk, soak.failed["import_chunks"],
              len(soak.acked_revocations), soak.attempts["revocations"],
              len(soak.acked_reservations), soak.attempts["reservations"]))
    print("missing after the run: %s" % (n_missing if n_missing is not None else "not checked"))
    print("audit verify: %d runs, %d failed" % (audits["runs"], audits["failed"]))
    print("OCSP load (wrk -c%d): %s requests, %s req/s, non-2xx %s, socket errors %s" % (
        a.conns, ocsp.get("requests"), ocsp.get("req_per_s"), ocsp.get("non_2xx"), ocsp.get("socket_errors")))
    if rss:
        print("memory (MiB, RssAnon / VmRSS): first life after warm-up %s / %s, last life at the end %s / %s; "
              "largest warm-up RssAnon %s; bound %.1f -> %s" % (
                  first_warm, rss[0]["warm_vmrss"], last_end, rss[-1]["end_vmrss"],
                  summary["rss_mib"]["max_warm_anon"], bound or 0, "flat" if flat else "NOT flat"))
        print("per life (warm-up anon / end anon / end VmRSS): " + " ".join(
            "%s/%s/%s" % (r["warm_anon"], r["end_anon"], r["end_vmrss"]) for r in rss))
    print("result: %s" % ("OK" if ok else "FAILED"))
    print("SOAK " + json.dumps(summary, separators=(",", ":")))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
