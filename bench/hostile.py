#!/usr/bin/env python3
"""Hostile clients of bench/server-load.sh and bench/hostile.sh (loopback only).

  hostile.py idle HOST PORT N SECONDS
      Open N TCP connections and never send a byte. Prints "ready CONNECTED/N" once
      the connects are settled, holds them up to SECONDS (or until SIGTERM), then
      prints "idle: N sockets, C connected, K closed by the server".
  hostile.py slow-tls HOST PORT N INTERVAL SECONDS
      N TLS clients (certificate not verified) each send a request line and then one
      header line every INTERVAL seconds, never ending the head. Prints
      "ready HANDSHAKEN/N", holds up to SECONDS (or until SIGTERM), then a summary.
  hostile.py headers HOST PORT COUNT SECONDS
      One TLS request with COUNT header lines, streamed; prints the HTTP status the
      server answered with ("000" for none), when, and how the exchange ended.

Every wait is bounded by SECONDS; the caller bounds the process with timeout(1) too.
"""

import errno
import select
import signal
import socket
import ssl
import sys
import threading
import time


def out(line):
    print(line, flush=True)


def stop_on_term():
    def handler(_sig, _frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # a throwaway loopback server; nothing to protect
    return ctx


def status_of(data):
    """Return the status code of the first HTTP response line in data, or "000"."""
    line = data.split(b"\r\n", 1)[0].split()
    if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit():
        return line[1].decode()
    return "000"


def idle(host, port, n, seconds):
    stop_on_term()
    socks = []
    poller = select.poll()
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            s.close()
            continue
        socks.append(s)
        poller.register(s, select.POLLOUT)
    # Settle the connects: a socket is connected once writable with no pending error.
    pending = {s.fileno(): s for s in socks}
    connected = {}
    deadline = time.monotonic() + min(15.0, seconds)
    while pending and time.monotonic() < deadline:
        for fd, _ev in poller.poll(200):
            s = pending.pop(fd, None)
            if s is None:
                continue
            poller.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected[fd] = s
    for fd in pending:
        poller.unregister(fd)
    out(f"ready {len(connected)}/{n}")
    closed = 0
    end = time.monotonic() + seconds
    for fd in connected:
        poller.register(fd, select.POLLIN)
    try:
        while connected and time.monotonic() < end:
            for fd, _ev in poller.poll(500):
                s = connected.pop(fd)
                poller.unregister(fd)
                try:
                    s.recv(1)  # EOF or a refusal: either way the server let go
                except OSError:
                    pass
                closed += 1
    finally:
        out(f"idle: {n} sockets, {len(connected) + closed} connected, {closed} closed by the server")


def slow_tls(host, port, n, interval, seconds):
    stop_on_term()
    ctx = tls_context()
    lock = threading.Lock()
    state = {"handshaken": 0, "closed": 0, "statuses": {}}
    stop = threading.Event()

    def client(i):
        try:
            raw = socket.create_connection((host, port), timeout=seconds)
            tls = ctx.wrap_socket(raw, server_hostname=host)
            tls.sendall(b"GET /SWCLM/SystemStatus HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")
        except OSError:
            with lock:
                state["closed"] += 1
            return
        with lock:
            state["handshaken"] += 1
        line = 0
        tls.settimeout(interval)
        while not stop.is_set():
            try:
                data = tls.recv(4096)  # waits INTERVAL: the pause between two lines
            except socket.timeout:
                data = None
            except OSError:
                data = b""
            if data is not None:
                with lock:
                    if data:
                        code = status_of(data)
                        state["statuses"][code] = state["statuses"].get(code, 0) + 1
                    state["closed"] += 1
                return
            line += 1
            try:
                tls.sendall(b"X-Slow-%d: %d\r\n" % (line, i))
            except OSError:
                with lock:
                    state["closed"] += 1
                return

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + min(15.0, seconds)
    while time.monotonic() < deadline:
        with lock:
            if state["handshaken"] + state["closed"] >= n:
                break
        time.sleep(0.1)
    with lock:
        out(f"ready {state['handshaken']}/{n}")
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.5)
    finally:
        stop.set()
        with lock:
            codes = ",".join(f"{c}x{k}" for k, c in sorted(state["statuses"].items())) or "none"
            out(f"slow-tls: {n} clients, {state['handshaken']} handshaken, {state['closed']} closed by the server, answers {codes}")


def headers(host, port, count, seconds):
    stop_on_term()
    ctx = tls_context()
    start = time.monotonic()
    end = start + seconds
    raw = socket.create_connection((host, port), timeout=seconds)
    tls = ctx.wrap_socket(raw, server_hostname=host)
    tls.sendall(b"POST /SWCLM/KeyInfo HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n")
    how = "all headers sent"
    batch = 10000
    sent = 0
    try:
        while sent < count and time.monotonic() < end:
            k = min(batch, count - sent)
            tls.sendall(b"".join(b"X-H%d: 0\r\n" % (sent + j) for j in range(k)))
            sent += k
        if sent < count:
            how = f"gave up after {sent} headers ({seconds} s)"
        else:
            tls.sendall(b"Content-Length: 2\r\n\r\n{}")
    except OSError as e:
        how = f"server stopped reading after {sent} headers ({type(e).__name__})"
    data = b""
    tls.settimeout(max(1.0, end - time.monotonic()))
    try:
        while b"\r\n" not in data:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    out(f"{status_of(data)} after {time.monotonic() - start:.2f}s, {how}")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    mode, args = argv[1], argv[2:]
    if mode == "idle" and len(args) == 4:
        idle(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif mode == "slow-tls" and len(args) == 5:
        slow_tls(args[0], int(args[1]), int(args[2]), float(args[3]), float(args[4]))
    elif mode == "headers" and len(args) == 4:
        headers(args[0], int(args[1]), int(args[2]), float(args[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
