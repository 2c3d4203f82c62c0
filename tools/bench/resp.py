"""A minimal blocking RESP2 client for the benchmark orchestrator's control commands (INFO,
DBSIZE, GREGCOUNT, GNODES, FLUSHALL...). Load never goes through here: that is the loadgen's and
redis-benchmark's job."""

import socket


class RespError(Exception):
    """An error reply (-ERR ...)."""


class Resp:
    """One connection. Replies come back as str / int / None / list; errors raise RespError."""

    def __init__(self, port, host="127.0.0.1", timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.sock.makefile("rb")

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        return b"".join(out)

    def send(self, *args):
        self.sock.sendall(self.encode(*args))

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            return self.f.read(n + 2)[:-2].decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError("unexpected reply %r" % line)

    def call(self, *args):
        self.send(*args)
        return self.read()

    def info(self, section=None):
        text = self.call("INFO", section) if section else self.call("INFO")
        out = {}
        for ln in text.splitlines():
            if ":" in ln and not ln.startswith("#"):
                k, v = ln.split(":", 1)
                out[k] = v
        return out


def call(port, *args, timeout=5.0):
    """One command on a fresh connection."""
    with Resp(port, timeout=timeout) as r:
        return r.call(*args)
