#!/usr/bin/env python3
"""Ingest-to-delivery latency of certificate watches, on loopback.

Starts a real trustmond (temporary data folder, demo PKI), registers two watches on the
demo EC issuer -- one delivered by webhook to a receiver in this script, one by server-sent
events read by this script -- then ingests N certificates one at a time and measures, for
each, the time from sending the ingest request to the notification arriving. The peer in
the same run is the ingest request itself (sent to durable commit and acknowledged), so
the ratio says what the watch path adds on top of the write.

Usage: bench/watch_latency.py [BUILD_DIR] [N]   (defaults: build, 200)
Only loopback addresses are used.
"""
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200
CTL = os.path.join(BUILD, "tools", "trustmonctl")
DAEMON = os.path.join(BUILD, "responder", "trustmond")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def main():
    work = tempfile.mkdtemp(prefix="trustmon-watch-bench-")
    pki, data = os.path.join(work, "pki"), os.path.join(work, "data")
    run(CTL, "demo-pki", "--out", pki, "--count", "1")
    port = free_port()
    issuers = []
    for line in open(os.path.join(pki, "issuers.txt")):
        if line.strip():
            issuers += ["--issuer", line.strip()]
    run(CTL, "init", "--data", data, "--listen", "127.0.0.1:%d" % port, *issuers)
    conf = os.path.join(data, "trustmon.toml")
    text = open(conf).read().replace('access = ""', 'access = "off"')
    open(conf, "w").write(text)
    daemon = subprocess.Popen([DAEMON, "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        ctl = [CTL, "--server", base, "--token-file", os.path.join(data, "admin.token")]
        qtsp = json.loads(run(*ctl, "participant", "add", "--kind", "qtsp", "--name", "Bench", "--code", "1"))["id"]
        run(*ctl, "participant", "issuer-add", str(qtsp), "demo-ec")
        rep = json.loads(run(*ctl, "representative", "add", str(qtsp), "--name", "op", "--role", "operator"))["id"]
        token = json.loads(run(*ctl, "token", "issue", str(rep), "--rate", "100000"))["token"]
        auth = {"Authorization": "Bearer " + token}

        arrivals_hook, arrivals_sse = {}, {}

        class Receiver(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                now = time.perf_counter()
                serial = json.loads(body).get("event", {}).get("serial")
                if serial and serial not in arrivals_hook:
                    arrivals_hook[serial] = now
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        hook_port = free_port()
        receiver = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()

        def api(method, path, body=None, headers=None):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            h = dict(auth)
            h.update(headers or {})
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            return r.status, r.read()

        for delivery in ("webhook", "stream"):
            w = {"issuer": "demo-ec", "kinds": ["issued"], "delivery": delivery}
            if delivery == "webhook":
                w["url"] = "http://127.0.0.1:%d/hook" % hook_port
            status, body = api("POST", "/api/v1/watches", json.dumps(w), {"Content-Type": "application/json"})
            assert status == 201, body

        def sse_reader():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            c.request("GET", "/api/v1/events/stream", headers=auth)
            r = c.getresponse()
            for raw in r:
                line = raw.decode("utf-8", "replace")
                if line.startswith("data: "):
                    now = time.perf_counter()
                    event = json.loads(line[6:])
                    if event.get("type") == "watch.match":
                        serial = event.get("event", {}).get("serial")
                        if serial and serial not in arrivals_sse:
                            arrivals_sse[serial] = now

        threading.Thread(target=sse_reader, daemon=True).start()
        time.sleep(0.5)

        # Certificates for one key, serials 0x10000.., issued by the demo EC CA.
        certs = os.path.join(work, "certs")
        os.makedirs(certs)
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", "/CN=bench/serialNumber=TINUA-0000000001", "-keyout", os.path.join(certs, "k.pem"),
            "-out", os.path.join(certs, "r.csr"))
        pems = []
        for i in range(N):
            out = os.path.join(certs, "%d.pem" % i)
            run("openssl", "x509", "-req", "-in", os.path.join(certs, "r.csr"), "-CA",
                os.path.join(pki, "demo-ec", "ca.pem"), "-CAkey", os.path.join(pki, "demo-ec", "ca.key"),
                "-set_serial", str(0x10000 + i), "-days", "30", "-out", out)
            hexserial = "%X" % (0x10000 + i)
            if len(hexserial) % 2:
                hexserial = "0" + hexserial  # as the server writes serials: whole octets
            pems.append((hexserial, open(out, "rb").read()))

        sent, acked = {}, []
        for serial, pem in pems:
            t0 = time.perf_counter()
            status, body = api("POST", "/api/v1/certificates", pem, {"Content-Type": "application/x-pem-file"})
            t1 = time.perf_counter()
            assert status == 200 and b'"stored":1' in body, body
            sent[serial] = t0
            acked.append(t1 - t0)
            time.sleep(0.02)
        deadline = time.time() + 10
        while time.time() < deadline and (len(arrivals_hook) < N or len(arrivals_sse) < N):
            time.sleep(0.05)

        if len(arrivals_hook) < N or len(arrivals_sse) < N:
            print("delivered: webhook %d, sse %d of %d" % (len(arrivals_hook), len(arrivals_sse), N), file=sys.stderr)

        def summary(name, arrivals):
            lat = [(arrivals[s] - sent[s]) * 1000 for s in sent if s in arrivals]
            return {"path": name, "delivered": len(lat), "p50_ms": round(percentile(lat, 50), 2),
                    "p99_ms": round(percentile(lat, 99), 2), "max_ms": round(max(lat), 2)}

        ack = [a * 1000 for a in acked]
        results = [summary("webhook", arrivals_hook), summary("sse", arrivals_sse),
                   {"path": "ingest ack (peer)", "delivered": len(ack), "p50_ms": round(percentile(ack, 50), 2),
                    "p99_ms": round(percentile(ack, 99), 2), "max_ms": round(max(ack), 2)}]
        peer = results[2]
        for r in results[:2]:
            r["p50_vs_ack"] = round(r["p50_ms"] / peer["p50_ms"], 2)
            r["p99_vs_ack"] = round(r["p99_ms"] / peer["p99_ms"], 2)
        print(json.dumps({"certificates": N, "results": results}, indent=2))
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)


if __name__ == "__main__":
    main()
