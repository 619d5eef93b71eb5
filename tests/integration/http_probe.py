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
"""
import json
import re
import socket
import sys
import threading
import time


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
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
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
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(payload)
    if halfclose:
        s.shutdown(socket.SHUT_WR)
    s.settimeout(5)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
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
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
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
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((bind, 0))
        s.connect(("127.0.0.1", port))
        conns.append(s)
    print("open", flush=True)
    sys.stdin.read()
    for s in conns:
        s.close()


def cmd_one(port, bind, request):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((bind, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
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
        cmd_raw(int(args[0]), args[1] == "1")
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
