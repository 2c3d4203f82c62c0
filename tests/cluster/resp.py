"""A tiny RESP client over raw sockets for the multi-node tests (standard library only).

RespClient sends commands as RESP2 multibulk arrays and parses every RESP2 and RESP3 reply type,
so one class serves plain RESP2 connections, RESP3 connections after `HELLO 3` (maps, sets,
nulls, push frames) and subscribed connections. Error replies come back as RespError values from
read_reply(); call() raises them instead.

Subscriber wraps a connection in subscribed mode: it collects `message` / `pmessage` frames (RESP2
arrays or RESP3 pushes) and hands them out with bounded waits, so a test never blocks forever on
an event that does not come.

Bulk strings are decoded as UTF-8 (with surrogateescape, so binary survives a round trip);
integers become int, nulls None, maps dict (RESP3) and push frames a Push list.
"""

import json
import socket
import time

DEFAULT_TIMEOUT_S = 5.0


class RespError(Exception):
    """An error reply (`-ERR ...`). str() is the whole error line without the dash."""

    @property
    def code(self):
        return str(self).split(" ", 1)[0]


class Push(list):
    """A RESP3 push frame (`>`): a list whose kind is its first element."""


class ConnectionClosed(ConnectionError):
    pass


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, bytes):
            b = a
        else:
            b = str(a).encode("utf-8", "surrogateescape")
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _text(b):
    return b.decode("utf-8", "surrogateescape")


class RespClient:
    """One connection. Not thread-safe: a connection belongs to one thread."""

    def __init__(self, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT_S, protocol=2):
        self.host, self.port = host, port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self.pushes = []  # RESP3 push frames read while waiting for a reply.
        if protocol == 3:
            self.call("HELLO", "3")

    # --- Sending and receiving ---------------------------------------------------------------

    def send(self, *args):
        self.sock.sendall(_encode(args))

    def call(self, *args, timeout=None):
        """Sends one command and returns its reply; raises RespError on an error reply.

        RESP3 push frames that arrive before the reply are kept in self.pushes."""
        reply = self.execute(*args, timeout=timeout)
        if isinstance(reply, RespError):
            raise reply
        return reply

    def execute(self, *args, timeout=None):
        """Like call() but returns an error reply as a RespError value instead of raising."""
        self.send(*args)
        while True:
            reply = self.read_reply(timeout)
            if isinstance(reply, Push):
                self.pushes.append(reply)
                continue
            return reply

    def pipeline(self, commands, timeout=None):
        """Sends every command in one write, then reads as many replies (errors as values)."""
        self.sock.sendall(b"".join(_encode(list(c)) for c in commands))
        replies = []
        while len(replies) < len(commands):
            reply = self.read_reply(timeout)
            if isinstance(reply, Push):
                self.pushes.append(reply)
            else:
                replies.append(reply)
        return replies

    def read_reply(self, timeout=None):
        """Reads one whole frame. Raises socket.timeout when none arrives within timeout."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            parsed = self._parse(0)
            if parsed is not None:
                value, end = parsed
                del self._buf[:end]
                return value
            self._fill(deadline)

    def try_read_reply(self, timeout):
        """Like read_reply() but returns None when nothing arrives within timeout."""
        try:
            return self.read_reply(timeout)
        except (socket.timeout, TimeoutError):
            return None

    def is_closed_by_peer(self, timeout=2.0):
        """True when the server closes the connection within timeout (buffered frames skipped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._buf.clear()
                self._fill(deadline)
        except ConnectionClosed:
            return True
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True
        return False

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out waiting for a reply")
        self.sock.settimeout(left)
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionClosed("connection closed by server")
        self._buf += data

    def _line(self, pos):
        end = self._buf.find(b"\r\n", pos)
        if end < 0:
            return None
        return bytes(self._buf[pos:end]), end + 2

    def _parse(self, pos):
        """Returns (value, end) for a whole frame at pos, or None when more bytes are needed."""
        if pos >= len(self._buf):
            return None
        line = self._line(pos)
        if line is None:
            return None
        head, nxt = line
        kind, rest = chr(head[0]), head[1:]
        if kind == "+":
            return _text(rest), nxt
        if kind == "-":
            return RespError(_text(rest)), nxt
        if kind == ":":
            return int(rest), nxt
        if kind == "_":
            return None, nxt
        if kind == "#":
            return rest == b"t", nxt
        if kind == ",":
            return float(rest), nxt
        if kind == "(":
            return int(rest), nxt
        if kind in "$=!":
            n = int(rest)
            if n < 0:
                return None, nxt
            if len(self._buf) < nxt + n + 2:
                return None
            data = bytes(self._buf[nxt:nxt + n])
            if kind == "=":
                data = data[4:]  # Verbatim string: drop the "txt:" format prefix.
            if kind == "!":
                return RespError(_text(data)), nxt + n + 2
            return _text(data), nxt + n + 2
        if kind in "*~>|%":
            n = int(rest)
            if n < 0:
                return None, nxt
            count = n * 2 if kind in "%|" else n
            items = []
            for _ in range(count):
                parsed = self._parse(nxt)
                if parsed is None:
                    return None
                value, nxt = parsed
                items.append(value)
            if kind == "%":
                return dict(zip(items[::2], items[1::2])), nxt
            if kind == "|":
                # An attribute precedes the real reply; skip it.
                return self._parse(nxt)
            if kind == ">":
                return Push(items), nxt
            return items, nxt
        raise ValueError("unexpected RESP type byte %r" % head[:1])

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def meta_dict(meta):
    """Meta as a dict, from a RESP2 flat array or a RESP3 map."""
    if meta is None:
        return None
    if isinstance(meta, dict):
        return meta
    return dict(zip(meta[::2], meta[1::2]))


class Subscriber:
    """A subscribed connection that collects message frames.

    next_message() returns (channel, payload) (for pmessage: the channel, not the pattern) or
    None on timeout. Frames that are not messages (subscribe confirmations, pongs) are skipped."""

    def __init__(self, port, host="127.0.0.1", protocol=2):
        self.conn = RespClient(port, host, protocol=protocol)
        self.protocol = protocol
        self._backlog = []
        self._pending = []  # Events read by wait_event() that did not match.
        self.history = []  # Every event read, in arrival order.

    def _confirm(self, kind, count):
        seen = 0
        while seen < count:
            frame = self.conn.read_reply()
            if isinstance(frame, RespError):
                raise frame
            if isinstance(frame, list) and frame and frame[0] == kind:
                seen += 1
            elif self._as_message(frame) is not None:
                self._backlog.append(self._as_message(frame))

    def subscribe(self, *channels):
        self.conn.send("SUBSCRIBE", *channels)
        self._confirm("subscribe", len(channels))
        return self

    def psubscribe(self, *patterns):
        self.conn.send("PSUBSCRIBE", *patterns)
        self._confirm("psubscribe", len(patterns))
        return self

    def gmonitor(self, *patterns, cluster=None):
        args = ["GMONITOR", *patterns]
        if cluster is not None:
            args += ["CLUSTER", cluster]
        self.conn.send(*args)
        self._confirm("subscribe", len(patterns))
        return self

    @staticmethod
    def _as_message(frame):
        if not isinstance(frame, list) or not frame:
            return None
        if frame[0] == "message" and len(frame) == 3:
            return frame[1], frame[2]
        if frame[0] == "pmessage" and len(frame) == 4:
            return frame[2], frame[3]
        return None

    def next_message(self, timeout=DEFAULT_TIMEOUT_S):
        if self._backlog:
            return self._backlog.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            frame = self.conn.try_read_reply(left)
            if frame is None:
                return None
            msg = self._as_message(frame)
            if msg is not None:
                return msg

    def messages(self, timeout):
        """Every message that arrives within timeout seconds."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.next_message(max(0.0, deadline - time.monotonic()))
            if msg is None:
                return out
            out.append(msg)

    def next_event(self, timeout=DEFAULT_TIMEOUT_S):
        msg = self.next_message(timeout)
        if msg is None:
            return None
        ev = json.loads(msg[1])
        self.history.append(ev)
        return ev

    def wait_event(self, timeout=DEFAULT_TIMEOUT_S, **fields):
        """Returns the first event whose fields equal the given ones; raises AssertionError
        listing what was seen when none comes within timeout. Events that do not match are
        kept for later waits, so the order of waits need not follow the order of events."""
        for ev in self._pending:
            if all(ev.get(k) == v for k, v in fields.items()):
                self._pending.remove(ev)
                return ev
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ev = self.next_event(left) if left > 0 else None
            if ev is None:
                raise AssertionError("no event matching %r within %.1fs; unmatched: %r" %
                                     (fields, timeout, self._pending))
            if all(ev.get(k) == v for k, v in fields.items()):
                return ev
            self._pending.append(ev)

    def pending_events(self):
        """Events read by wait_event() that no wait has matched yet (and clears them)."""
        out, self._pending = self._pending, []
        return out

    def events(self, timeout):
        return [json.loads(p) for _, p in self.messages(timeout)]

    def close(self):
        self.conn.close()
