"""A fault-injecting TCP proxy for groupd peer links.

How it works
------------
One proxy listener stands in front of each node's peer port. The node is started with
``--peer-announce 127.0.0.1:<proxy port>``, so the address it gossips to the other nodes is its
proxy's, and every peer connection *to* that node (whoever dials it) passes through its proxy.
Seeds point at a proxy address too. Peer links are symmetric once up, so the proxy in front of the
dialed node sees both directions of every link.

For each accepted connection the proxy learns the far (dialing) node's name from the first bytes
the dialer sends, its HELLO frame: a 12-byte header (magic u32 LE 0x44505247, version u8, type
u8, flags u16, length u32 LE) followed by the payload, whose first field is the node name as a
LEB128 varint length and then that many bytes. Only those bytes are read before the proxy
decides; they are then forwarded unchanged, so the proxy never re-frames or alters the stream.
A connection whose first bytes are not a peer frame is forwarded untouched and never faulted.
The near node's name is the one the listener was registered with (add_node). Each connection is
then two pumps, dialer -> node and node -> dialer, and each pump applies the faults of its own
direction, chunk by chunk:

- cut(a, b): both directions. Existing connections between a and b are aborted at once and new
  ones are accepted, identified and closed, so the nodes see their link drop and every redial
  fail until heal.
- cut_one_way(src, dst): bytes from src to dst are read and silently discarded while the TCP
  connection stays open, and dst -> src keeps flowing. dst stops hearing src (no heartbeats) and
  declares it down after its peer-timeout; new links cannot finish their handshake meanwhile.
  A close (FIN) from src is held back too, as a lost packet would be: dst keeps the connection
  until its own timeout. A stream that lost bytes is corrupt from then on, so heal closes such
  connections and the nodes redial cleanly.
- stall(a, b): the connections between a and b that exist now stop carrying anything, either
  way, and hide closes, while new connections between them work normally. This is a node that
  vanished without its peers noticing (power loss): kill it and restart it, and its peers still
  hold the old link when the new incarnation connects. heal closes stalled connections.
- delay(a, b, ms): every chunk in either direction is held ms milliseconds before it is
  forwarded, in order (a queue per direction, so the delay adds latency without capping
  throughput). delay(a, b, 0) removes it.
- heal(a, b) removes every fault between a and b; heal_all() removes all of them.

Threading: the proxy runs an asyncio loop on one background daemon thread. The control methods
may be called from any thread; each runs on the loop thread and returns once it has taken effect
(after cut() returns, the existing connections are closed). close() stops everything.

Library use::

    proxy = FaultProxy()
    port = proxy.add_node("node1")          # before the node starts: announce this port
    proxy.set_upstream("node1", peer_port)  # once the node's peer port is known
    proxy.cut("node1", "node2"); ...; proxy.heal_all()
    proxy.close()
"""

import asyncio
import struct
import threading

PEER_MAGIC = 0x44505247
PEER_HEADER_SIZE = 12
MAX_NAME_LEN = 4096
CONTROL_TIMEOUT_S = 10.0


async def _read_hello_name(reader):
    """Reads a HELLO frame's header and node name. Returns (bytes read, name or None)."""
    head = await reader.readexactly(PEER_HEADER_SIZE)
    magic, _version, _type, _flags, _length = struct.unpack("<IBBHI", head)
    if magic != PEER_MAGIC:
        return head, None
    consumed = bytearray(head)
    length = 0
    shift = 0
    for _ in range(10):
        b = await reader.readexactly(1)
        consumed += b
        length |= (b[0] & 0x7F) << shift
        shift += 7
        if not b[0] & 0x80:
            break
    else:
        return bytes(consumed), None
    if length > MAX_NAME_LEN:
        return bytes(consumed), None
    name = await reader.readexactly(length) if length else b""
    consumed += name
    return bytes(consumed), name.decode("utf-8", "replace")


class _Listener:
    def __init__(self, name, upstream_host, upstream_port):
        self.name = name
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.server = None
        self.port = None


class _Conn:
    """One proxied connection: src dialed dst (dst is the node behind the listener)."""

    def __init__(self, dst, client):
        self.src = None
        self.dst = dst
        self.client = client
        self.upstream = None
        self.dropped = {}  # (from, to) -> bytes discarded by a one-way cut or a stall.
        self.stalled = False
        self.closed = False

    def pair(self):
        return frozenset((self.src, self.dst))

    def abort(self):
        self.closed = True
        for w in (self.client, self.upstream):
            if w is not None:
                w.transport.abort()


class FaultProxy:
    """Proxies in front of nodes' peer ports with injectable faults. See the module docstring."""

    def __init__(self, host="127.0.0.1", hello_timeout=5.0):
        self.host = host
        self.hello_timeout = hello_timeout
        self._listeners = {}  # Node name -> _Listener. Loop thread only, like all state below.
        self._conns = set()
        self._cuts = set()  # frozenset({a, b})
        self._one_way = set()  # (src, dst)
        self._delays = {}  # frozenset({a, b}) -> seconds
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faultproxy",
                                        daemon=True)
        self._thread.start()
        self._closed = False

    # --- Control (any thread) ----------------------------------------------------------------

    def _run(self, fn, *args):
        if self._closed:
            raise RuntimeError("FaultProxy is closed")

        async def call():
            result = fn(*args)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(CONTROL_TIMEOUT_S)

    def add_node(self, name, upstream_port=None, listen_port=0, upstream_host=None):
        """Starts a listener in front of node `name`; returns its port. The upstream (the
        node's real peer port) may be set later with set_upstream(); until then connections
        are closed after identification."""
        return self._run(self._add_node, name, upstream_host or self.host, upstream_port,
                         listen_port)

    def set_upstream(self, name, upstream_port, upstream_host=None):
        def set_it():
            lst = self._listeners[name]
            lst.upstream_port = upstream_port
            if upstream_host:
                lst.upstream_host = upstream_host
        self._run(set_it)

    def port(self, name):
        return self._run(lambda: self._listeners[name].port)

    def address(self, name):
        return "%s:%d" % (self.host, self.port(name))

    def cut(self, a, b):
        """Cuts a <-> b both ways: aborts their connections and refuses new ones."""
        def do():
            self._cuts.add(frozenset((a, b)))
            self._abort_where(lambda c: c.pair() == frozenset((a, b)))
        self._run(do)

    def cut_one_way(self, src, dst):
        """Silently drops bytes from src to dst; connections stay open."""
        self._run(lambda: self._one_way.add((src, dst)))

    def stall(self, a, b):
        """Freezes the existing connections between a and b (see the module docstring)."""
        def do():
            for c in self._conns:
                if not c.closed and c.pair() == frozenset((a, b)):
                    c.stalled = True
                    c.dropped.setdefault((c.src, c.dst), 0)
        self._run(do)

    def delay(self, a, b, ms):
        """Delays every chunk between a and b (both directions) by ms; 0 removes the delay."""
        def do():
            if ms > 0:
                self._delays[frozenset((a, b))] = ms / 1000.0
            else:
                self._delays.pop(frozenset((a, b)), None)
        self._run(do)

    def heal(self, a, b):
        """Removes every fault between a and b; closes connections that lost bytes."""
        def do():
            pair = frozenset((a, b))
            self._cuts.discard(pair)
            self._one_way.discard((a, b))
            self._one_way.discard((b, a))
            self._delays.pop(pair, None)
            self._abort_where(lambda c: c.pair() == pair and c.dropped)
        self._run(do)

    def heal_all(self):
        def do():
            self._cuts.clear()
            self._one_way.clear()
            self._delays.clear()
            self._abort_where(lambda c: bool(c.dropped))
        self._run(do)

    def connections(self):
        """[(src, dst, {direction: dropped bytes})] of the open proxied connections."""
        return self._run(lambda: [(c.src, c.dst, dict(c.dropped)) for c in self._conns
                                  if not c.closed])

    def faults(self):
        return self._run(lambda: {
            "cut": sorted(tuple(sorted(p)) for p in self._cuts),
            "one_way": sorted(self._one_way),
            "delay_ms": {tuple(sorted(p)): int(s * 1000) for p, s in self._delays.items()},
        })

    def close(self):
        if self._closed:
            return

        async def shutdown():
            for lst in self._listeners.values():
                if lst.server is not None:
                    lst.server.close()
            self._abort_where(lambda c: True)
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(CONTROL_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - closing must not fail the caller's cleanup.
            pass
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONTROL_TIMEOUT_S)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- Loop thread ---------------------------------------------------------------------------

    async def _add_node(self, name, upstream_host, upstream_port, listen_port):
        if name in self._listeners:
            raise ValueError("node %r already has a proxy" % name)
        lst = _Listener(name, upstream_host, upstream_port)
        lst.server = await asyncio.start_server(
            lambda r, w: self._handle(lst, r, w), self.host, listen_port)
        lst.port = lst.server.sockets[0].getsockname()[1]
        self._listeners[name] = lst
        return lst.port

    def _abort_where(self, pred):
        for c in list(self._conns):
            if not c.closed and pred(c):
                c.abort()

    def _dropping(self, conn, frm, to):
        return conn.stalled or (frm is not None and (frm, to) in self._one_way)

    def _cut(self, src, dst):
        return src is not None and frozenset((src, dst)) in self._cuts

    async def _handle(self, lst, reader, writer):
        conn = _Conn(lst.name, writer)
        self._conns.add(conn)
        try:
            try:
                first, conn.src = await asyncio.wait_for(_read_hello_name(reader),
                                                         self.hello_timeout)
            except asyncio.IncompleteReadError:
                return  # Closed before saying who it is.
            except asyncio.TimeoutError:
                first, conn.src = b"", None
            if conn.closed or self._cut(conn.src, conn.dst) or lst.upstream_port is None:
                return
            try:
                up_reader, conn.upstream = await asyncio.open_connection(lst.upstream_host,
                                                                         lst.upstream_port)
            except OSError:
                return
            if conn.closed:
                return
            forward = asyncio.ensure_future(
                self._pump(conn, reader, conn.upstream, conn.src, conn.dst, first))
            backward = asyncio.ensure_future(
                self._pump(conn, up_reader, writer, conn.dst, conn.src, b""))
            await asyncio.wait([forward, backward], return_when=asyncio.FIRST_COMPLETED)
            conn.abort()
            for t in (forward, backward):
                t.cancel()
            await asyncio.gather(forward, backward, return_exceptions=True)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            conn.abort()
            self._conns.discard(conn)

    async def _pump(self, conn, reader, writer, frm, to, initial):
        """Copies reader to writer, applying the faults of direction frm -> to."""
        queue = asyncio.Queue()
        sender = asyncio.ensure_future(self._send(queue, writer))
        try:
            data = initial
            while True:
                if data:
                    if self._dropping(conn, frm, to):
                        conn.dropped[(frm, to)] = conn.dropped.get((frm, to), 0) + len(data)
                    else:
                        delay = self._delays.get(frozenset((frm, to)), 0.0) if frm else 0.0
                        queue.put_nowait((self._loop.time() + delay, data))
                if sender.done():
                    break
                try:
                    data = await reader.read(65536)
                except OSError:
                    data = b""  # A reset is a close too.
                if not data:
                    # A close travels like data: a dropping direction hides it until healed.
                    while self._dropping(conn, frm, to) and not conn.closed:
                        conn.dropped.setdefault((frm, to), 0)
                        await asyncio.sleep(0.05)
                    break
        finally:
            queue.put_nowait(None)
        try:
            await sender
        except OSError:
            pass

    async def _send(self, queue, writer):
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                due, data = item
                wait = due - self._loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if writer.transport.is_closing():
                    return
                writer.write(data)
                await writer.drain()
        except OSError:
            return  # The far end went away; the pumps close the connection.
