#!/usr/bin/env python3
"""Raw-socket HTTP probes for http_itest.cpp (the connection gate, responder/http/gate.hpp).

Each command prints one JSON object on stdout. Loopback only.

  bodies PORT PID N SIZE PATH [TOKEN]   N connections each announce and send SIZE body bytes to
                                        POST PATH at once; statuses and the daemon's RSS (kB)
  raw PORT HALFCLOSE                    sends stdin as is (then shuts down writing if HALFCLOSE=1),
                                        reads until the server closes; statuses and first body
  slow PORT INTERVAL                    sends a request head one byte every INTERVAL s; how long
                                        until the server closed the connection
  hold PORT BIND N                      opens N connections from address BIND and keeps them
                                        (prints when open; exits when stdin closes)
  one PORT BIND REQUEST                 one request (\\r\\n escapes) from BIND; status, headers

Over TLS (the HTTPS listener) when HTTP_PROBE_TLS_CA names the server's certificate (its
chain is checked, not its name); HTTP_PROBE_TLS_CERT/_KEY add a client certificate. The TLS
client runs on memory BIOs so it can half-close the TCP connection (HALFCLOSE=1: a FIN with
no close_notify; HALFCLOSE=2: close_notify, then the FIN) and still read the answers.
"""
import json
import os
import re
import socket
import ssl
import sys
import threading
import time

TLS_CA = os.environ.get("HTTP_PROBE_TLS_CA")


class TlsConn:
    """A TLS client over a connected TCP socket, with the socket's interface the probes use."""

    def __init__(self, sock):
        ctx = ssl.create_default_context(cafile=TLS_CA)
        ctx.check_hostname = False  # the test certificate names no IP address; the chain is checked
        if os.environ.get("HTTP_PROBE_TLS_CERT"):
            ctx.load_cert_chain(os.environ["HTTP_PROBE_TLS_CERT"], os.environ["HTTP_PROBE_TLS_KEY"])
        self.sock = sock
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.incoming, self.outgoing, server_side=False)
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionResetError("closed during the TLS handshake")
                self.incoming.write(data)
        self._flush()

    def _flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def sendall(self, data):
        view = memoryview(data)
        for i in range(0, len(view), 16384):
            self.obj.write(view[i:i + 16384])
            self._flush()

    def send(self, data):
        self.sendall(data)
        return len(data)

    def recv(self, n):
        while True:
            try:
                return self.obj.read(n)
            except ssl.SSLWantReadError:
                data = self.sock.recv(65536)
                if not data:
                    return b""  # the TCP end (with or without close_notify)
                self.incoming.write(data)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def close_notify(self):
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass
        self._flush()

    def shutdown(self, how):
        self.sock.shutdown(how)

    def settimeout(self, t):
        self.sock.settimeout(t)

    def close(self):
        self.sock.close()


def connect(port, bind=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if bind:
        s.bind((bind, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return TlsConn(s) if TLS_CA else s


def rss_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon"):
                out[key] = int(value.split()[0])
    return out


def read_response_status(sock, timeout=20.0):
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else 0


def cmd_bodies(port, pid, n, size, path, token=None):
    before = rss_kb(pid)
    peak = dict(before)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            now = rss_kb(pid)
            for k, v in now.items():
                peak[k] = max(peak.get(k, 0), v)
            time.sleep(0.05)

    statuses = [0] * n
    errors = [""] * n

    def client(i):
        try:
            s = connect(port, timeout=30)
            head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
            if token:
                head += f"Authorization: Bearer {token}\r\n"
            s.sendall((head + "\r\n").encode())
            # The gate answers on the head alone: read that first (a 413 closes the
            # connection, and a reset could drop an answer read only after the body).
            statuses[i] = read_response_status(s, timeout=10.0)
            piece = b"[" * 65536
            sent = 0
            try:
                while sent < size:
                    k = min(len(piece), size - sent)
                    s.sendall(piece[:k])
                    sent += k
            except OSError:
                pass  # refused and closed: the rest of the body is not wanted
            s.close()
        except OSError as e:
            errors[i] = str(e)

    sampler = threading.Thread(target=sample)
    sampler.start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.3)
    stop.set()
    sampler.join()
    print(json.dumps({"statuses": statuses, "errors": [e for e in errors if e], "before": before, "peak": peak,
                      "after": rss_kb(pid)}))


def cmd_raw(port, halfclose):
    payload = sys.stdin.buffer.read()
    s = connect(port, timeout=10)
    s.sendall(payload)
    if halfclose == "2" and TLS_CA:
        s.close_notify()
    if halfclose in ("1", "2"):
        s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError, ssl.SSLError):
        pass
    s.close()
    statuses = [int(x) for x in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]
    first_body = b""
    head_end = data.find(b"\r\n\r\n")
    m = re.search(rb"\r\nContent-Length: *(\d+)\r\n", data[:head_end + 2], re.I) if head_end >= 0 else None
    if m:
        start = head_end + 4
        first_body = data[start:start + int(m.group(1))]
    try:
        body_text = first_body.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        body_text = first_body.decode("latin-1")
        utf8 = False
    print(json.dumps({"statuses": statuses, "body": body_text, "utf8": utf8}))


def cmd_slow(port, interval):
    s = connect(port, timeout=30)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 1000
    start = time.monotonic()
    closed_after = None
    sent = 0
    for byte in head:
        try:
            s.send(bytes([byte]))
            sent += 1
        except OSError:
            closed_after = time.monotonic() - start
            break
        s.settimeout(interval)
        try:
            if s.recv(1024) == b"":
                closed_after = time.monotonic() - start
                break
        except socket.timeout:
            pass
        except OSError:
            closed_after = time.monotonic() - start
            break
        if time.monotonic() - start > 60:
            break
    print(json.dumps({"closed_after": closed_after, "bytes_sent": sent}))


def cmd_hold(port, bind, n):
    conns = []
    for _ in range(n):
        conns.append(connect(port, bind, timeout=30))
    print("open", flush=True)
    sys.stdin.read()
    for s in conns:
        s.close()


def cmd_one(port, bind, request):
    s = connect(port, bind, timeout=10)
    payload = request.encode().decode("unicode_escape").encode("latin-1")
    try:
        s.sendall(payload)
    except OSError:
        pass
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    s.close()
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    m = re.match(r"HTTP/1\.1 (\d{3})", head)
    print(json.dumps({"status": int(m.group(1)) if m else 0, "head": head}))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "bodies":
        cmd_bodies(int(args[0]), int(args[1]), int(args[2]), int(args[3]), args[4], args[5] if len(args) > 5 else None)
    elif cmd == "raw":
        cmd_raw(int(args[0]), args[1])
    elif cmd == "slow":
        cmd_slow(int(args[0]), float(args[1]))
    elif cmd == "hold":
        cmd_hold(int(args[0]), args[1], int(args[2]))
    elif cmd == "one":
        cmd_one(int(args[0]), args[1], args[2])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
