#!/usr/bin/env python3
"""Turn the TSV rows that peers/load.sh appended during one bench/load.sh run into the
Markdown results: one table per TSV (pinned, unpinned, sweep), medians over repeats,
each row's req/s as a ratio to nginx (the static-file ceiling) for the same method and
connection count in the same table, and the issue's targets with met / missed.

Policy: only ratios between rows measured in the same run are shown as comparisons;
absolute req/s are printed for reference. A row label is "<server> <request list>"
(e.g. "trustmon-w1 nonce"); nginx rows use the no-nonce list for both methods and
serve as the reference for every POST and GET row. A missing reference or target
input prints "n/a" rather than failing, so a partial run still reports what it has.

Usage: report.py OUT_DIR   (reads pinned.tsv, unpinned.tsv, sweep.tsv, speed-*.txt, env.txt)
"""
import glob
import os
import re
import statistics
import sys
from collections import OrderedDict

NAMES = {
    "trustmon-w1": "trustmon, 1 worker, CPU 1",
    "trustmon-w1-accesslog": "trustmon, 1 worker, CPU 1, access log to a file",
    "trustmon-base-w1": "trustmon before the change (BASE), 1 worker, CPU 1",
    "trustmon-w2": "trustmon, 2 workers, unpinned",
    "nginx": "nginx static file (peer C)",
    "openssl-ocsp": "`openssl ocsp -multi 2` (peer A, live signing)",
    "cfssl": "`cfssl ocspserve` (peer B, pre-signed)",
}


REQUESTS = {"nononce": "SHA-1", "nonce": "SHA-1 + nonce", "sha256": "SHA-256"}


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def load_tsv(path):
    rows = OrderedDict()
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            server, _, reqs = r["label"].rpartition(" ")
            rows.setdefault((server, reqs, r["method"], r["conns"]), []).append(r)
    return rows


def summarize(rs):
    extra = " ".join(r.get("cpu_and_check", "") for r in rs)

    def cpu(n):
        return median([float(m) for m in re.findall(r"cpu%d=(\d+)%%" % n, extra)])

    def total(key):
        return sum(int(m) for m in re.findall(r"\b%s=(\d+)" % key, extra))

    errs = {}
    for r in rs:
        for kv in r.get("errors", "").split(","):
            k, _, v = kv.partition("=")
            if k:
                errs[k] = errs.get(k, 0) + int(v or 0)
    rps = [num(r["rps"]) or 0.0 for r in rs]
    return {
        "runs": len(rs),
        "rps": median(rps),
        "lo": min(rps),
        "hi": max(rps),
        "p50": median([num(r["p50_ms"]) for r in rs]),
        "p99": median([num(r["p99_ms"]) for r in rs]),
        "cpu0": cpu(0),
        "cpu1": cpu(1),
        "ok": total("ocsp_successful"),
        "non200": total("http_non200"),
        "notok": total("ocsp_not_successful"),
        "errors": ", ".join("%s %d" % (k, v) for k, v in errs.items() if v) or "none",
    }


def fmt(v, pattern="%.2f"):
    return "n/a" if v is None else pattern % v


def thousands(v):
    return "n/a" if v is None else "{:,.0f}".format(v)


def table(rows, title, out):
    stats = OrderedDict((k, summarize(rs)) for k, rs in rows.items())
    ref = {(m, c): s["rps"] for (srv, _, m, c), s in stats.items() if srv == "nginx"}
    out.append("### %s\n" % title)
    out.append("| server | method | CertID | conns | runs | req/s (median) | range | p50 ms | p99 ms "
               "| × nginx same method | CPU 0 / CPU 1 | responses checked | errors |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (srv, reqs, method, conns), s in stats.items():
        r = ref.get((method, conns))
        ratio = "%.2f" % (s["rps"] / r) if r and srv != "nginx" else ("1.00" if srv == "nginx" else "n/a")
        chk = "%d OK" % s["ok"]
        if s["non200"] or s["notok"]:
            chk += ", %d non-200, %d not successful" % (s["non200"], s["notok"])
        out.append("| %s | %s | %s | %s | %d | %s | %s–%s | %s | %s | %s | %s / %s | %s | %s |" % (
            NAMES.get(srv, srv), method.upper(), REQUESTS.get(reqs, reqs), conns, s["runs"],
            thousands(s["rps"]), thousands(s["lo"]), thousands(s["hi"]), fmt(s["p50"]), fmt(s["p99"]), ratio,
            fmt(s["cpu0"], "%.0f%%"), fmt(s["cpu1"], "%.0f%%"), chk, s["errors"]))
    out.append("")
    return stats


def speed_runs(outdir):
    vals = []
    for p in sorted(glob.glob(os.path.join(outdir, "speed-*.txt"))):
        with open(p) as f:
            for line in f:
                if re.search(r"256 bits ecdsa \(nistp256\)", line):
                    vals.append(float(line.split()[-2]))
    return vals


def main():
    outdir = sys.argv[1]
    out = []
    pinned = table(load_tsv(os.path.join(outdir, "pinned.tsv")),
                   "Pinned: server on CPU 1, wrk on CPU 0 (c=50, median of the repeats)", out)
    unpinned_rows = load_tsv(os.path.join(outdir, "unpinned.tsv"))
    if unpinned_rows:
        table(unpinned_rows, "Unpinned: server and wrk share both cores (trustmon and nginx with 2 workers)", out)
    sweep_rows = load_tsv(os.path.join(outdir, "sweep.tsv"))
    if sweep_rows:
        table(sweep_rows, "Concurrency sweep, pinned (one run each)", out)

    speed = speed_runs(outdir)
    sp = statistics.mean(speed) if speed else None
    out.append("### `openssl speed -seconds 3 ecdsap256` on CPU 1\n")
    out.append("sign/s per run: %s; mean %s (≈ %s µs per signature)\n" % (
        ", ".join("{:,.0f}".format(v) for v in speed) or "n/a",
        "{:,.0f}".format(sp) if sp else "n/a", "%.1f" % (1e6 / sp) if sp else "n/a"))

    def get(srv, reqs, method, conns="50"):
        s = pinned.get((srv, reqs, method, conns))
        return s["rps"] if s else None

    def verdict(ratio, want):
        return "n/a" if ratio is None else ("met" if ratio >= want else "missed")

    out.append("### Targets (pinned, c=50)\n")
    out.append("| target | trustmon | reference | ratio | verdict |")
    out.append("|---|---|---|---|---|")
    for method, reqs, what in (("post", "nononce", "pre-signed POST ≥ 0.9 × nginx POST"),
                               ("get", "nononce", "GET ≥ 0.9 × nginx GET"),
                               ("get", "sha256", "SHA-256 CertID GET ≥ 0.9 × nginx GET")):
        t, n = get("trustmon-w1", reqs, method), get("nginx", "nononce", method)
        ratio = t / n if t and n else None
        out.append("| %s | %s req/s | %s req/s | %s | %s |" % (
            what, fmt(t, "%.0f"), fmt(n, "%.0f"), fmt(ratio), verdict(ratio, 0.9)))
    t = get("trustmon-w1", "nonce", "post")
    ratio = t / sp if t and sp else None
    out.append("| live P-256 signing (POST + nonce) ≥ 0.7 × `openssl speed` sign/s, one core | %s req/s | %s sign/s | %s | %s |"
               % (fmt(t, "%.0f"), fmt(sp, "%.0f"), fmt(ratio), verdict(ratio, 0.7)))
    for (srv, reqs, method, conns), s in pinned.items():
        if srv == "trustmon-w1" and conns == "50":
            if reqs == "nonce":
                continue  # live signing is judged by its rate above
            ok = s["p99"] is not None and s["p99"] < 2.0
            out.append("| p99 < 2 ms, %s %s | %s ms | 2 ms | – | %s |" % (
                method.upper(), REQUESTS.get(reqs, reqs), fmt(s["p99"]), "met" if ok else "missed"))
    a, b = get("trustmon-w1-accesslog", "nononce", "post"), get("trustmon-w1", "nononce", "post")
    if a and b:
        out.append("\nAccess log to a file (POST, no nonce, same run): %.0f req/s vs %.0f req/s with "
                   "`access = \"off\"`, %.2f× (%+.0f %% throughput).\n" % (a, b, a / b, 100 * (a / b - 1)))
    print("\n".join(out))


if __name__ == "__main__":
    main()
