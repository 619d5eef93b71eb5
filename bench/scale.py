#!/usr/bin/env python3
"""Ten million certificates (or N): a large store measured against a 100,000 one, same run.

Generates N certificates fast and caches them under /tmp (one P-256 CA; one DER template;
per certificate the serial, the subject's digits and the subject key are patched into the
template's TBSCertificate, which is then signed with ECDSA P-256 by the CA: real,
verifiable certificates, each with CN, O, serialNumber, emailAddress and SAN email/DNS,
so every attribute index and the key registry are written). Subject keys come from a
pool of real P-256 keys (one per certificate up to the pool size, 1,000,000).

Then, on loopback only, two fresh trustmond stores (`trustmonctl init`, one [[issuer]] =
the CA with its own key as OCSP responder key, access log off, no API rate limit):
  small  the first 100,000 certificates, every 20th revoked
  large  all N certificates, every 20th revoked (~5 %)
and reports for both: ingest rate over the whole import (`trustmonctl import --parallel
4`), revocations/s, store size on disk per certificate, the time until the Writer is idle
again (the attr_index merge of closed epochs runs behind the import), pre-signed OCSP
POST req/s and p99 (wrk -t1 -c50, rotating over 1,000 revoked certificates spread over
the store, rounds alternating small/large), exact-attribute search p50/p99 (GET
/api/v1/certificates?cn=..., one keep-alive connection, 2,000 random certificates; as
found, again warm, and cold after a restart with the page cache emptied when run as root),
the tables' sizes (mdb_stat -a),
restart time (SIGTERM to exit, start to /healthz, to the first OCSP answer) and resident
memory (VmRSS / VmHWM). The background re-signer is paced to 1 signature/s in both
stores (its backlog of new certificates would otherwise run under the measurements).

Usage: bench/scale.py BUILD_DIR [N] [--small M] [--rounds R] [--duration S] [--keep]
                      [--cache DIR] [--gen-only]
Every daemon and wrk the script starts, it stops. Delete the cache when done
(rm -r /tmp/trustmon-scale-N).
"""
import argparse
import datetime
import hashlib
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "lib"))
from import_load import Daemon, cpu_seconds, metrics, pem  # noqa: E402
from der import der_item  # noqa: E402
from set_toml import set_key  # noqa: E402
from revoke_during_import import ocsp_request, ocsp_says_revoked, percentile  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

PER_FILE = 100000
POOL = 1000000
DIGITS = b"QQQQQQQQQQ"    # ten digits of the certificate number
ORG = b"WWWWWWW"          # seven digits of the organisation number (100 certificates each)
SERIAL_LEN = 16


def der_len(n):
    if n < 0x80:
        return bytes([n])
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(size)]) + size



def serial_of(i):
    return b"\x10" + i.to_bytes(SERIAL_LEN - 1, "big")


def make_template(ca_key, ca_cert, spki_key):
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Org " + ORG.decode()),
        x509.NameAttribute(NameOID.COMMON_NAME, "Person " + DIGITS.decode()),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, "TINUA-" + DIGITS.decode()),
        x509.NameAttribute(NameOID.EMAIL_ADDRESS, "u" + DIGITS.decode() + "@example.test"),
    ])
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(ca_cert.subject)
            .public_key(spki_key.public_key())
            .serial_number(int.from_bytes(serial_of(0), "big"))
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=730))
            .add_extension(x509.SubjectAlternativeName([
                x509.RFC822Name("u" + DIGITS.decode() + "@example.test"),
                x509.DNSName("h" + DIGITS.decode() + ".example.test")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    _, c0, _ = der_item(der, 0)
    _, t0, t1 = der_item(der, c0)
    tbs = der[c0:t1]
    alg_end = der_item(der, t1)[2]
    alg = der[t1:alg_end]
    return tbs, alg


# Worker state (set before the pool forks).
G = {}


def gen_part(part):
    ca_key = serialization.load_pem_private_key(G["ca_key_pem"], None)
    tbs = G["tbs"]
    digit_at = [m.start() for m in re.finditer(re.escape(DIGITS), tbs)]
    org_at = tbs.find(ORG)
    serial_at = tbs.find(serial_of(0))
    spki_at = tbs.find(G["template_spki"])
    pool = G["pool"]
    n = G["n"]
    out = []
    buf = bytearray(tbs)
    sig_alg = ec.ECDSA(hashes.SHA256())
    for i in range(part * PER_FILE, min(n, (part + 1) * PER_FILE)):
        d = b"%010d" % i
        for at in digit_at:
            buf[at:at + 10] = d
        buf[org_at:org_at + 7] = b"%07d" % (i // 100)
        buf[serial_at:serial_at + SERIAL_LEN] = serial_of(i)
        spki = pool[i % len(pool)]
        buf[spki_at:spki_at + len(spki)] = spki
        t = bytes(buf)
        sig = ca_key.sign(t, sig_alg)
        bits = b"\x03" + der_len(len(sig) + 1) + b"\x00" + sig
        body = t + G["alg"] + bits
        out.append(pem(b"\x30" + der_len(len(body)) + body))
    path = os.path.join(G["cache"], "part-%04d.pem" % part)
    with open(path + ".tmp", "wb") as f:
        f.write(b"".join(out))
    os.replace(path + ".tmp", path)
    return part


def generate(cache, n):
    done = os.path.join(cache, "complete")
    if os.path.exists(done) and open(done).read().strip() == str(n):
        return
    os.makedirs(cache, exist_ok=True)
    t0 = time.monotonic()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "UA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "trustmon scale bench"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "Scale Bench CA P-256")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(1)
               .not_valid_before(now - datetime.timedelta(days=2))
               .not_valid_after(now + datetime.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key_pem = ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    ca_der = ca_cert.public_bytes(serialization.Encoding.DER)
    fd = os.open(os.path.join(cache, "ca.key"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    open(os.path.join(cache, "ca.pem"), "wb").write(pem(ca_der))
    open(os.path.join(cache, "ca.der"), "wb").write(ca_der)
    template_key = ec.generate_private_key(ec.SECP256R1())
    spki = lambda k: k.public_key().public_bytes(serialization.Encoding.DER,  # noqa: E731
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
    pool = [spki(ec.generate_private_key(ec.SECP256R1())) for _ in range(min(n, POOL))]
    tbs, alg = make_template(ca_key, ca_cert, template_key)
    G.update(ca_key_pem=key_pem, tbs=tbs, alg=alg, template_spki=spki(template_key), pool=pool, n=n, cache=cache)
    parts = (n + PER_FILE - 1) // PER_FILE
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 2) as p:
        for _ in p.imap_unordered(gen_part, range(parts)):
            pass
    open(done, "w").write(str(n))
    print("generated %d certificates in %.0f s" % (n, time.monotonic() - t0), flush=True)


def parts_for(cache, count):
    return [os.path.join(cache, "part-%04d.pem" % p) for p in range((count + PER_FILE - 1) // PER_FILE)]


def token(d):
    return open(d.token_file).read().strip()


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) // 1024  # MiB
    return out


def disk_bytes(data):
    total = 0
    for root, _, files in os.walk(data):
        for f in files:
            if f.endswith(".mdb"):
                total += os.stat(os.path.join(root, f)).st_blocks * 512
    return total


def wait_idle(port, quiet=3.0, limit=3600):
    """Seconds until the Writer ran no job for `quiet` seconds (the merge is done)."""
    t0 = time.monotonic()
    last = None
    since = time.monotonic()
    while time.monotonic() - t0 < limit:
        jobs = metrics(port).get("trustmon_writer_jobs_total")
        if jobs != last:
            last, since = jobs, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return since - t0
        time.sleep(0.5)
    return float("nan")


def import_all(d, files, parallel=4):
    cmd = [d.ctl, "--server", "http://127.0.0.1:%d" % d.port, "--token-file", d.token_file,
           "import", "--parallel", str(parallel)] + files
    cpu0 = cpu_seconds(d.proc.pid)
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    try:
        summary = json.loads(p.stdout)
    except ValueError:
        summary = {}
    if p.returncode != 0:
        raise SystemExit("import failed: %s %s" % (p.stdout[-500:], p.stderr[-500:]))
    return wall, summary, cpu_seconds(d.proc.pid) - cpu0


def revoke_all(d, work, name, serials):
    tsv = os.path.join(work, "revoke-%s.tsv" % name)
    with open(tsv, "w") as f:
        for s in serials:
            f.write("bench\t%s\tkeyCompromise\n" % s.hex())
    cmd = [d.ctl, "--server", "http://127.0.0.1:%d" % d.port, "--token-file", d.token_file, "revoke", "--file", tsv]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit("revoke failed: %s %s" % (p.stdout[-500:], p.stderr[-500:]))
    return wall


def wrk_script(path, requests):
    with open(path, "w") as f:
        f.write("local bodies = {}\n")
        for r in requests:
            f.write('bodies[#bodies + 1] = "%s"\n' % r.hex())
        f.write("for i, h in ipairs(bodies) do\n"
                "  bodies[i] = (h:gsub('..', function(cc) return string.char(tonumber(cc, 16)) end))\n"
                "end\n"
                "local n = 0\n"
                "local headers = {['Content-Type'] = 'application/ocsp-request'}\n"
                "request = function()\n"
                "  n = n % #bodies + 1\n"
                "  return wrk.format('POST', '/ocsp/', headers, bodies[n])\n"
                "end\n")


def run_wrk(port, lua, duration, conns=50):
    out = subprocess.run(["wrk", "-t1", "-c%d" % conns, "-d%ds" % duration, "--latency", "-s", lua,
                          "http://127.0.0.1:%d/ocsp/" % port], capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rps, p99, int(non2xx.group(1)) if non2xx else 0


def ocsp_once(port, req):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/ocsp/", body=req, headers={"Content-Type": "application/ocsp-request"})
    r = c.getresponse()
    return r.status, r.read()


def search_latency(d, n, count=2000, seed=7):
    rnd = random.Random(seed)
    tok = token(d)
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=30)
    lat = []
    misses = 0
    for _ in range(count):
        i = rnd.randrange(n)
        path = "/api/v1/certificates?cn=person%%20%010d&limit=10" % i
        t0 = time.perf_counter()
        c.request("GET", path, headers={"Authorization": "Bearer " + tok})
        r = c.getresponse()
        body = r.read()
        lat.append((time.perf_counter() - t0) * 1e3)
        if r.status != 200 or b"%010d" % i not in body:
            misses += 1
    lat.sort()
    return percentile(lat, 50), percentile(lat, 99), misses


def drop_page_cache():
    """Empties the kernel's page cache (root only); False when not allowed."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
        return True
    except OSError:
        return False


def search_passes(d, n):
    """The same 2,000 searches three times: as the store is found after the OCSP rounds,
    again (every page they touch now in memory: the probes' own cost), and cold: the
    daemon stopped (pages mapped by a process stay cached), the page cache emptied, the
    daemon started again, so every page is read from disk (root only; else skipped)."""
    found = search_latency(d, n)
    warm = search_latency(d, n)
    d.stop()
    cold = None
    if drop_page_cache():
        d.start()
        cold = search_latency(d, n)
    else:
        d.start()
    return {"found": found, "warm": warm, "cold": cold}


def table_pages(data):
    """Pages per table (branch + leaf + overflow) from mdb_stat -a: where the bytes go."""
    try:
        out = subprocess.run(["mdb_stat", "-a", data], capture_output=True, text=True, timeout=600).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    pages, name = {}, None
    for line in out.splitlines():
        m = re.match(r"Status of (\S+)", line)
        if m:
            name = m.group(1)
            pages[name] = 0
        m = re.match(r"\s+(Branch|Leaf|Overflow) pages: (\d+)", line)
        if m and name:
            pages[name] += int(m.group(2))
    return pages


def restart(d, req):
    t0 = time.monotonic()
    d.stop()
    stop_s = time.monotonic() - t0
    t0 = time.monotonic()
    d.start()
    up_s = time.monotonic() - t0
    st, body = ocsp_once(d.port, req)
    first_s = time.monotonic() - t0
    return stop_s, up_s, first_s, st


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("n", type=int, nargs="?", default=10000000)
    ap.add_argument("--small", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--cache")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--gen-only", action="store_true")
    a = ap.parse_args()
    cache = a.cache or "/tmp/trustmon-scale-%d" % a.n
    generate(cache, a.n)
    if a.gen_only:
        return
    small = min(a.small, a.n)
    work = tempfile.mkdtemp(prefix="trustmon-scale-run-")
    ca_pem, ca_key = os.path.join(cache, "ca.pem"), os.path.join(cache, "ca.key")
    ca_der = open(os.path.join(cache, "ca.der"), "rb").read()
    daemons = {}
    rows = {}
    try:
        for name, count in (("small", small), ("large", a.n)):
            d = Daemon(a.build, work, name, ca_pem, ca_key)
            # The re-signer paced to one signature a second: its backlog (a response for
            # every new certificate) would otherwise run under every measurement, longer
            # for the larger store. Revoked certificates are pre-signed at revocation.
            text = open(d.conf).read()
            open(d.conf, "w").write(set_key(text, "ocsp", "refresh_rate", "1"))
            daemons[name] = d
            d.start()
            wall, summary, server_cpu = import_all(d, parts_for(cache, count))
            if summary.get("stored") != count:
                raise SystemExit("%s: stored %s of %d" % (name, summary.get("stored"), count))
            revoked = [serial_of(i) for i in range(0, count, 20)]
            rwall = revoke_all(d, work, name, revoked)
            settle = wait_idle(d.port)
            rows[name] = {"n": count, "ingest_s": wall, "ingest_rate": count / wall, "server_cpu": server_cpu,
                          "revoked": len(revoked), "revoke_rate": len(revoked) / rwall, "settle_s": settle,
                          "disk": disk_bytes(d.data)}
            print("%s: %d stored in %.1f s (%.0f/s), %d revoked in %.1f s, writer idle %.1f s later, %.2f GB"
                  % (name, count, wall, count / wall, len(revoked), rwall, settle, rows[name]["disk"] / 1e9), flush=True)
        # Requests for 1,000 revoked certificates spread over each store.
        luas = {}
        first_req = {}
        for name, d in daemons.items():
            count = rows[name]["n"]
            step = max(20, (count // 1000) // 20 * 20)
            picked = list(range(0, count, step))[:1000]
            reqs = [ocsp_request(ca_der, serial_of(i)) for i in picked]
            st, body = ocsp_once(d.port, reqs[-1])
            if st != 200 or not ocsp_says_revoked(body, serial_of(picked[-1])):
                print("warning: %s: OCSP sanity check did not see revoked (status %d)" % (name, st))
            luas[name] = os.path.join(work, "ocsp-%s.lua" % name)
            wrk_script(luas[name], reqs)
            first_req[name] = reqs[0]
        for name in daemons:
            rows[name]["ocsp"] = []
        for r in range(a.rounds):
            for name, d in daemons.items():
                rows[name]["ocsp"].append(run_wrk(d.port, luas[name], a.duration))
        for name, d in daemons.items():
            rows[name]["mem"] = status(d.proc.pid)
            rows[name]["search"] = search_passes(d, rows[name]["n"])
            rows[name]["tables"] = table_pages(os.path.join(d.data, "db"))
            rows[name]["restart"] = restart(d, first_req[name])
            rows[name]["mem_restarted"] = status(d.proc.pid)
    finally:
        for d in daemons.values():
            d.stop()
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    med = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
    print()
    print("| | %s | %s | large / small |" % ("{:,}".format(rows["small"]["n"]), "{:,}".format(rows["large"]["n"])))
    print("|---|---|---|---|")

    def line(label, f, fmt):
        s, l = f(rows["small"]), f(rows["large"])
        ratio = l / s if s else float("nan")
        print("| %s | %s | %s | %.2f× |" % (label, fmt % s, fmt % l, ratio))
    line("ingest, certificates/s (whole import)", lambda r: r["ingest_rate"], "%.0f")
    line("server CPU per 1,000 certificates, s", lambda r: r["server_cpu"] / r["n"] * 1000, "%.3f")
    line("revocations/s (5 %)", lambda r: r["revoke_rate"], "%.0f")
    line("Writer busy after the revocations (merge), s", lambda r: r["settle_s"], "%.1f")
    line("store on disk per certificate, bytes", lambda r: r["disk"] / r["n"], "%.0f")
    line("OCSP POST pre-signed, req/s (median of rounds)", lambda r: med([x[0] for x in r["ocsp"]]), "%.0f")
    line("OCSP POST p99, ms (median of rounds)", lambda r: med([x[1] for x in r["ocsp"]]), "%.2f")
    for label, kind in (("as found after the OCSP rounds", "found"), ("again (warm)", "warm"),
                        ("after emptying the page cache (cold)", "cold")):
        if rows["small"]["search"][kind] is None or rows["large"]["search"][kind] is None:
            continue
        line("exact search (cn) p50, ms, " + label, lambda r: r["search"][kind][0], "%.2f")
        line("exact search (cn) p99, ms, " + label, lambda r: r["search"][kind][1], "%.2f")
    line("stop (SIGTERM to exit), s", lambda r: r["restart"][0], "%.2f")
    line("start to /healthz, s", lambda r: r["restart"][1], "%.2f")
    line("start to first OCSP answer, s", lambda r: r["restart"][2], "%.2f")
    line("resident memory after the runs, MiB (VmRSS)", lambda r: r["mem"]["VmRSS"], "%d")
    line("peak resident memory, MiB (VmHWM)", lambda r: r["mem"]["VmHWM"], "%d")
    line("resident after restart + 1 request, MiB", lambda r: r["mem_restarted"]["VmRSS"], "%d")
    for name in ("small", "large"):
        r = rows[name]
        misses = sum(x[2] for x in r["search"].values() if x)
        print("%s: ocsp rounds %s; search misses %d; non-2xx %s" % (
            name, ["%.0f/%.2fms" % (x[0], x[1]) for x in r["ocsp"]], misses, [x[2] for x in r["ocsp"]]))
        total = sum(r["tables"].values()) or 1
        print("%s: tables by size: %s" % (name, ", ".join(
            "%s %.2f GB (%.0f%%)" % (t, p * 4096 / 1e9, 100.0 * p / total)
            for t, p in sorted(r["tables"].items(), key=lambda kv: -kv[1]) if p * 50 >= total)))


if __name__ == "__main__":
    main()
