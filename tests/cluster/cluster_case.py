"""Shared scaffolding for the multi-node tests: a TestCase base class with bounded waits.

Every cluster a test starts is closed when the test ends, pass or fail (addCleanup), and so is
every client connection; the launcher's atexit hook and PR_SET_PDEATHSIG cover a test process
that dies. When a test fails, the tail of every node's log is printed before its directory is
removed (set GROUPD_KEEP_CLUSTER_DIR=1 to keep the directories).

Tests end with assert_converged(): every node's GENTRIES (and GENTRIES CLUSTER c for the named
clusters given) must become equal within a deadline.
"""

import os
import shutil
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "tools")
for p in (HERE, TOOLS):
    if p not in sys.path:
        sys.path.insert(0, p)

from groupd_cluster import Cluster  # noqa: E402
from resp import Push, RespClient, RespError, Subscriber  # noqa: E402,F401 (re-exported)

# Every node runs with these unless a test says otherwise (the defaults are 5000 / 500).
PEER_TIMEOUT_MS = 1000
HEARTBEAT_MS = 200
CONVERGE_TIMEOUT_S = 10.0
LOG_TAIL_LINES = 40


class ClusterTestCase(unittest.TestCase):
    maxDiff = None

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        self._clusters = []
        before = len(result.failures) + len(result.errors)
        try:
            return super().run(result)
        finally:
            failed = len(result.failures) + len(result.errors) > before
            for c in self._clusters:
                if failed:
                    self._dump_logs(c)
                if not os.environ.get("GROUPD_KEEP_CLUSTER_DIR"):
                    shutil.rmtree(c.dir, ignore_errors=True)
                else:
                    sys.stderr.write("cluster directory kept: %s\n" % c.dir)

    def _dump_logs(self, c):
        out = ["", "==== node logs of %s ====" % self.id()]
        for node in c.nodes:
            lines = node.log().splitlines()[-LOG_TAIL_LINES:]
            out.append("---- %s (%s)" % (node.name, node.log_path))
            out.extend(lines)
        sys.stderr.write("\n".join(out) + "\n")

    # --- Starting things -----------------------------------------------------------------------

    def start_cluster(self, n=3, proxies=False, wait_mesh=True, peer_timeout=PEER_TIMEOUT_MS,
                      heartbeat_interval=HEARTBEAT_MS, **kwargs):
        c = Cluster(n, proxies=proxies, peer_timeout=peer_timeout,
                    heartbeat_interval=heartbeat_interval, keep_dir=True, **kwargs)
        self._clusters.append(c)
        self.addCleanup(c.close)
        c.start(wait_mesh=wait_mesh)
        return c

    def client(self, c, i, protocol=2):
        conn = RespClient(c.port(i), host=c.host(i), protocol=protocol)
        self.addCleanup(conn.close)
        return conn

    def subscriber(self, c, i, protocol=2):
        s = Subscriber(c.port(i), host=c.host(i), protocol=protocol)
        self.addCleanup(s.close)
        return s

    def monitor(self, c, i, *patterns, cluster=None):
        return self.subscriber(c, i).gmonitor(*(patterns or ("*",)), cluster=cluster)

    # --- Bounded waits -------------------------------------------------------------------------

    def wait_until(self, pred, timeout=5.0, what="condition", interval=0.02):
        """Polls pred until it returns a truthy value (returned); fails after timeout, showing
        the last value."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                last = pred()
            except (OSError, RespError) as e:
                last = e
            if last and not isinstance(last, Exception):
                return last
            if time.monotonic() > deadline:
                self.fail("%s not reached within %.1fs (last: %r)" % (what, timeout, last))
            time.sleep(interval)

    def wait_equal(self, fn, want, timeout=5.0, what="value"):
        """Polls fn() until it equals want; fails after timeout showing the last value."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = fn()
            except (OSError, RespError) as e:
                got = e
            if got == want:
                return got
            if time.monotonic() > deadline:
                self.fail("%s: want %r, still %r after %.1fs" % (what, want, got, timeout))
            time.sleep(0.02)

    def entries(self, c, i, cluster=None):
        args = ["GENTRIES"] + (["CLUSTER", cluster] if cluster is not None else [])
        reply = c.call(i, *args)
        if isinstance(reply, Exception):
            raise RespError(str(reply))
        return reply

    def lookup_pid(self, c, i, key, cluster=None):
        """The pid holding key in node i's view, or None."""
        for kind, k, pid, _node, _meta in self.entries(c, i, cluster):
            if kind == "registry" and k == key:
                return pid
        return None

    def assert_converged(self, c, clusters=(), nodes=None, timeout=CONVERGE_TIMEOUT_S):
        """Waits until every node in `nodes` (default: every running node) has the same
        GENTRIES, for the default cluster and for each named cluster in `clusters` (on the
        nodes connected to it). Returns the default cluster's common view."""
        if nodes is None:
            nodes = [n.index for n in c.nodes if n.alive() and not n.paused]
        deadline = time.monotonic() + timeout
        while True:
            views = {}
            for name in [None, *clusters]:
                per_node = {}
                for i in nodes:
                    try:
                        if name is not None and c.call(i, "GCONNECTED", name) != 1:
                            continue
                        per_node[c.name(i)] = self.entries(c, i, name)
                    except (OSError, RespError) as e:
                        per_node[c.name(i)] = repr(e)
                views[name] = per_node
            if all(len({repr(v) for v in per_node.values()}) <= 1 for per_node in views.values()):
                default = views[None]
                return next(iter(default.values())) if default else []
            if time.monotonic() > deadline:
                lines = ["GENTRIES did not converge within %.1fs:" % timeout]
                for name, per_node in views.items():
                    lines.append("cluster %s:" % ("(default)" if name is None else name))
                    for node, v in per_node.items():
                        lines.append("  %s: %r" % (node, v))
                self.fail("\n".join(lines))
            time.sleep(0.05)

    def assert_log_contains(self, c, i, text, timeout=5.0):
        self.wait_until(lambda: text in c.log(i), timeout,
                        "log line %r on %s" % (text, c.name(i)))


def main():
    unittest.main(verbosity=2)
