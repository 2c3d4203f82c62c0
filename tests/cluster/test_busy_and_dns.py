"""A peer that stops reading is dropped as busy once the sender's unsent output passes
peer-output-buffer-limit, and the retry's snapshot restores the full state; seeds given as host
names are resolved (and re-resolved) until the mesh forms.

The busy case needs real TCP back-pressure: the sender's kernel buffers must fill so that its
own output queue grows. FaultProxy's stall() and delay() cannot make that happen: both keep
reading from the sender (stall discards what it reads, delay queues it in the proxy without
bound), so the sender's queue stays empty whatever it sends. HoldingFaultProxy below adds
hold(src, dst): the proxy stops reading what src sends to dst, so the bytes pile up in src's
socket and then in groupd's own output queue, as they do in front of a peer that is alive but
not reading.
"""

import asyncio
import socket
import time
import unittest

import cluster_case
from cluster_case import Cluster, ClusterTestCase, HEARTBEAT_MS, RespError
from faultproxy import FaultProxy

# Over the 1 MB peer-output-buffer-limit even after the loopback socket buffers between node1
# and the proxy have soaked up their share: 20000 changes of ~1.1 KB each.
META = "m" * 1000
LOAD_COMMANDS = 20000
PIPELINE = 2000
BASE_ENTRIES = 50  # Registrations and as many memberships node2 holds before the stall.


class _HeldReader:
    """Wraps a pump's StreamReader: read() waits while its direction is held, so the proxy
    leaves the bytes in the kernel and TCP flow control pushes back on the sender."""

    def __init__(self, proxy, conn, reader, frm, to):
        self._proxy, self._conn, self._reader = proxy, conn, reader
        self._dir = (frm, to)

    async def read(self, n):
        while self._dir in self._proxy._held and not self._conn.closed:
            await asyncio.sleep(0.01)
        if self._conn.closed:
            return b""
        return await self._reader.read(n)


class HoldingFaultProxy(FaultProxy):
    """FaultProxy with one more fault: hold(src, dst) stops reading src's bytes bound for dst
    (existing and new connections) until release(src, dst). The other direction flows."""

    def __init__(self, *args, **kwargs):
        self._held = set()  # (src, dst); loop thread only after construction.
        super().__init__(*args, **kwargs)

    def hold(self, src, dst):
        self._run(lambda: self._held.add((src, dst)))

    def release(self, src, dst):
        self._run(lambda: self._held.discard((src, dst)))

    async def _pump(self, conn, reader, writer, frm, to, initial):
        return await super()._pump(conn, _HeldReader(self, conn, reader, frm, to), writer, frm,
                                   to, initial)


def info_field(c, i, field):
    for line in c.call(i, "INFO", "replication").split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError("%s missing from INFO replication of %s" % (field, c.name(i)))


def free_port():
    """A port nothing listens on right now (bound once by the kernel's choice, then freed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BusyDistTest(ClusterTestCase):

    def assert_alive(self, c):
        for node in c.nodes:
            if node.proc is not None and node.proc.poll() is not None:
                rc = node.proc.returncode
                how = ("killed by signal %d" % -rc) if rc < 0 else ("exit status %d" % rc)
                self.fail("%s died (%s)" % (node.name, how))

    def wait_mesh_alive(self, c, timeout):
        """wait_mesh() that fails at once, naming the node, if a node process died."""
        deadline = time.monotonic() + timeout
        while True:
            self.assert_alive(c)
            try:
                c.wait_mesh(timeout=0.5)
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def assert_same_entries(self, c, timeout):
        """Waits until node1 and node2 have the same GENTRIES and returns it. Fails at once if a
        node died; on timeout it shows the sizes and the first differences, not 20 MB of views."""
        deadline = time.monotonic() + timeout
        while True:
            self.assert_alive(c)
            try:
                one, two = self.entries(c, 1), self.entries(c, 2)
            except (OSError, RespError) as e:
                one, two = e, None
            if one == two:
                return one
            if time.monotonic() > deadline:
                if isinstance(one, Exception):
                    self.fail("GENTRIES failed: %r" % one)
                only1 = [e[:3] for e in one if e not in two][:3]
                only2 = [e[:3] for e in two if e not in one][:3]
                self.fail("GENTRIES differ after %.0fs: node1 has %d entries, node2 %d; only on "
                          "node1: %r...; only on node2: %r..." %
                          (timeout, len(one), len(two), only1, only2))
            time.sleep(0.1)

    def start_held_cluster(self, n, peer_timeout, **kwargs):
        """Like start_cluster(proxies=True) with a HoldingFaultProxy in front of every node."""
        c = Cluster(n, proxies=False, peer_timeout=peer_timeout,
                    heartbeat_interval=HEARTBEAT_MS, keep_dir=True, **kwargs)
        self._clusters.append(c)
        self.addCleanup(c.close)  # Also closes c.proxy.
        c.proxy = HoldingFaultProxy()
        for node in c.nodes:
            node.proxy_port = c.proxy.add_node(node.name)
        c.start()
        return c

    def _load(self, cl, start, count):
        """count GREG/GJOIN commands with ~1 KB meta, pipelined."""
        for at in range(start, start + count, PIPELINE):
            cmds = []
            for k in range(at, min(at + PIPELINE, start + count)):
                cmd = "GREG" if k % 2 == 0 else "GJOIN"
                cmds.append((cmd, "load/%d" % k, "META", "blob", META, "n", str(k)))
            replies = cl.pipeline(cmds, timeout=60)
            self.assertEqual(set(replies), {"OK"})

    def test_peer_that_stops_reading_is_dropped_as_busy_and_resynced_after(self):
        # A peer-timeout far above the time the load takes: node2 must lose node1 because node1
        # drops the link as busy, not because node2 stopped hearing heartbeats.
        c = self.start_held_cluster(2, peer_timeout=8000,
                                    options={"peer-output-buffer-limit": "1mb",
                                             "busy-dist-retry-interval": 200})
        self.assertEqual(info_field(c, 1, "busy_disconnects"), 0)
        cl = self.client(c, 1)
        self.assertEqual(set(cl.pipeline(
            [("GREG", "base/%d" % k, "META", "blob", META) for k in range(BASE_ENTRIES)] +
            [("GJOIN", "base/g%d" % k, "META", "blob", META) for k in range(BASE_ENTRIES)])),
            {"OK"})
        base = self.assert_converged(c)
        self.assertEqual(len(base), 2 * BASE_ENTRIES)
        # Watches only the base entries (the load's 20 MB of events would swamp it), from now.
        monitor = self.monitor(c, 2, "base/")

        c.proxy.hold("node1", "node2")
        started = time.monotonic()
        self._load(cl, 0, LOAD_COMMANDS)
        self.wait_until(lambda: info_field(c, 1, "busy_disconnects") >= 1, timeout=10,
                        what="node1 dropping node2 as busy")
        busy_after = time.monotonic() - started
        self.assertIn("not keeping up", c.log(1))

        self.assert_alive(c)
        # node2 loses node1's entries it held (nodedown) well before its own peer-timeout.
        self.wait_equal(lambda: self.entries(c, 2), [], timeout=6,
                        what="node1's entries removed from node2's view")
        ev = monitor.wait_event(type="unregistered", key="base/0", timeout=2)
        self.assertEqual(ev["reason"], "nodedown")
        self.assertEqual(ev["node"], "node1")
        self.assertLess(time.monotonic() - started, 8.0,
                        "node2 dropped node1 only at its peer-timeout (busy after %.1fs)"
                        % busy_after)
        self.assertNotIn("node1", c.gnodes(2))

        # While the peer still does not read, the retries cannot complete a handshake.
        time.sleep(0.5)
        self.assertEqual(c.gnodes(1), [])

        self.assert_alive(c)
        # The resync snapshot is chunked to stay under the 1mb limit, so it gets through.
        c.proxy.release("node1", "node2")
        self.wait_mesh_alive(c, timeout=20)
        view = self.assert_same_entries(c, timeout=20)
        self.assertEqual(len(view), 2 * BASE_ENTRIES + LOAD_COMMANDS)
        self.assertEqual(c.call(2, "GREGCOUNT"), BASE_ENTRIES + LOAD_COMMANDS // 2)
        self.assertGreaterEqual(info_field(c, 2, "snapshots_received"), 2)
        # The snapshot re-announced what node2 had dropped.
        monitor.wait_event(type="registered", key="base/0", node="node1", timeout=5)

    # A snapshot is sent in chunks of 2048 entries whatever their size, and the pump only waits
    # for the socket above 4 MB of unsent output: with peer-output-buffer-limit 1mb and ~4 KB of
    # meta per entry, one chunk (~8 MB) passes the limit before a peer that reads as fast as it
    # can has had a chance to take it. The sender drops the link as busy, retries, sends the
    # same first chunk, and the peer never gets a full snapshot (about 100 busy drops in 15 s).
    # Suggested fix: cap a chunk's bytes too (e.g. min(256 KB, limit / 4)) and make the pump wait
    # for the drain above min(4 MB, limit / 2). 
    def test_snapshot_larger_than_the_output_limit_reaches_a_peer_that_reads(self):
        c = Cluster(2, peer_timeout=5000, heartbeat_interval=HEARTBEAT_MS, keep_dir=True,
                    options={"peer-output-buffer-limit": "1mb"})
        self._clusters.append(c)
        self.addCleanup(c.close)
        c.start_node(1)
        cl = self.client(c, 1)
        meta = "s" * 4000
        for at in range(0, 3000, 500):
            self.assertEqual(set(cl.pipeline(
                [("GREG", "big/%d" % k, "META", "blob", meta) for k in range(at, at + 500)],
                timeout=60)), {"OK"})
        c.start_node(2)
        self.wait_mesh_alive(c, timeout=10)
        self.wait_equal(lambda: c.call(2, "GREGCOUNT"), 3000, timeout=10,
                        what="node1's 3000 registrations on node2")
        self.assertEqual(info_field(c, 1, "busy_disconnects"), 0)


class DnsSeedTest(ClusterTestCase):

    def start_node_with(self, c, i, **options):
        c.node_options[i] = {k.replace("_", "-"): v for k, v in options.items()}
        c.start_node(i)

    def new_cluster(self, n):
        c = Cluster(n, peer_timeout=cluster_case.PEER_TIMEOUT_MS,
                    heartbeat_interval=HEARTBEAT_MS, keep_dir=True)
        self._clusters.append(c)
        self.addCleanup(c.close)
        return c

    def test_seed_given_as_a_host_name_is_resolved_and_forms_the_mesh(self):
        c = self.new_cluster(2)
        c.start_node(1)
        # node1 has no seeds: only node2 dialing the resolved name can link them.
        self.start_node_with(c, 2, seeds="localhost:%d" % c.peer_port(1))
        c.wait_mesh(timeout=10)
        self.assertEqual(c.gnodes(1), ["node2"])
        self.assertEqual(c.gnodes(2), ["node1"])
        self.assertIn("discovered peer address 127.0.0.1:%d" % c.peer_port(1), c.log(2))
        # And the link carries changes.
        cl = self.client(c, 2)
        cl.call("GREG", "via-dns")
        self.wait_until(lambda: self.lookup_pid(c, 1, "via-dns"), what="'via-dns' on node1")
        self.assert_converged(c)

    def test_named_seed_whose_node_starts_later_still_forms_the_mesh(self):
        c = self.new_cluster(2)
        port = free_port()
        c.node(1).peer_port = port
        self.start_node_with(c, 2, seeds="localhost:%d" % port, seed_resolve_interval=200)
        # Nothing listens on the port yet: node2 keeps trying without a peer.
        time.sleep(1.0)
        self.assertEqual(c.gnodes(2), [])
        self.assertTrue(c.node(2).alive())
        c.start_node(1)
        self.assertEqual(c.peer_port(1), port)
        c.wait_mesh(timeout=15)
        self.assertEqual(c.gnodes(1), ["node2"])
        self.assert_converged(c)


if __name__ == "__main__":
    cluster_case.main()
