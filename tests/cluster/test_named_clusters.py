"""Named clusters are scoped: only nodes connected to a cluster hold its entries or emit its
events; connecting pulls the cluster's snapshot, disconnecting drops it, leases expire."""

import time

import cluster_case
from cluster_case import ClusterTestCase


class NamedClusterTest(ClusterTestCase):

    def test_node_outside_a_cluster_never_holds_or_reports_its_entries(self):
        c = self.start_cluster(3)
        for i in (1, 2):
            self.assertEqual(c.call(i, "GCONNECT", "red"), "OK")
        self.wait_until(lambda: sorted(c.call(1, "GCLUSTERNODES", "red")) == ["node1", "node2"],
                        what="node1 and node2 in red")
        # node3 listens on red's event channels directly (it cannot GMONITOR a cluster it is
        # not connected to) and on every event channel by pattern.
        outsider = self.subscriber(c, 3)
        outsider.subscribe("__gevent__@red:*", "__gdispatch__@red:team")
        outsider.psubscribe("__gevent__@*")
        mon2 = self.monitor(c, 2, "*", cluster="red")

        a = self.client(c, 1)
        pid = a.call("GPID")
        a.call("GREG", "lock", "CLUSTER", "red", "META", "x", "1")
        a.call("GJOIN", "team", "CLUSTER", "red")
        ev = mon2.wait_event(type="registered", key="lock")
        self.assertEqual((ev["cluster"], ev["pid"]), ("red", pid))
        ev = mon2.wait_event(type="joined", key="team")
        self.assertEqual(ev["cluster"], "red")
        a.call("GDISPATCH", "team", "hello", "CLUSTER", "red")  # Must not reach node3 either.

        err = c.call(3, "GENTRIES", "CLUSTER", "red")
        self.assertIsInstance(err, Exception)
        self.assertTrue(str(err).startswith("NOCLUSTER"), err)
        self.assertEqual(c.call(3, "GCONNECTED", "red"), 0)
        self.assertEqual(self.entries(c, 3), [])
        self.assertEqual(self.entries(c, 1), [])  # Nothing leaked into the default cluster.
        # Give a stray frame time to arrive before concluding none does.
        self.assertEqual(outsider.messages(0.5), [])
        view = self.assert_converged(c, clusters=("red",))
        self.assertEqual(view, [])
        self.assertEqual(len(self.entries(c, 2, "red")), 2)

    def test_gconnect_pulls_snapshot_and_gdisconnect_drops(self):
        c = self.start_cluster(3)
        for i in (1, 2):
            c.call(i, "GCONNECT", "red")
        holders = {}
        for i in (1, 2):
            cl = self.client(c, i)
            holders[i] = cl.call("GPID")
            cl.call("GREG", "r/%d" % i, "CLUSTER", "red", "META", "n", str(i))
            cl.call("GJOIN", "team", "CLUSTER", "red")
        self.wait_until(lambda: len(self.entries(c, 1, "red")) == 4, what="red complete on node1")

        # Subscribed to red's event channel before connecting: the snapshot's entries arrive
        # as registered/joined events.
        early = self.subscriber(c, 3).subscribe("__gevent__@red:*")
        self.assertEqual(c.call(3, "GCONNECT", "red"), "OK")
        self.assertEqual(c.call(3, "GCONNECTED", "red"), 1)
        want = self.entries(c, 1, "red")
        self.wait_until(lambda: self.entries(c, 3, "red") == want, what="red snapshot on node3")
        for i in (1, 2):
            ev = early.wait_event(type="registered", key="r/%d" % i)
            self.assertEqual((ev["pid"], ev["cluster"], ev["meta"]),
                             (holders[i], "red", {"n": str(i)}))
            early.wait_event(type="joined", key="team", pid=holders[i])
        self.wait_until(lambda: sorted(c.call(1, "GCLUSTERNODES", "red")) == c.names,
                        what="node3 in GCLUSTERNODES red")

        # node3 now takes part in red both ways.
        mon1 = self.monitor(c, 1, "*", cluster="red")
        third = self.client(c, 3)
        pid3 = third.call("GPID")
        third.call("GREG", "r/3", "CLUSTER", "red")
        third.call("GJOIN", "team", "CLUSTER", "red")
        mon1.wait_event(type="joined", key="team", pid=pid3)
        self.assertEqual(c.call(2, "GCOUNT", "team", "CLUSTER", "red"), 3)
        self.assert_converged(c, clusters=("red",))

        # GDISCONNECT removes node3's own entries everywhere and red from node3.
        self.assertEqual(c.call(3, "GDISCONNECT", "red"), 1)
        ev = mon1.wait_event(type="unregistered", key="r/3")
        self.assertEqual((ev["pid"], ev["reason"], ev["cluster"]),
                         (pid3, "cluster_disconnect", "red"))
        self.assertEqual(mon1.wait_event(type="left", pid=pid3)["reason"], "cluster_disconnect")
        self.assertEqual(c.call(3, "GCONNECTED", "red"), 0)
        err = c.call(3, "GENTRIES", "CLUSTER", "red")
        self.assertTrue(str(err).startswith("NOCLUSTER"), err)
        self.assertEqual(c.call(3, "GDISCONNECT", "red"), 0)
        self.wait_until(lambda: sorted(c.call(1, "GCLUSTERNODES", "red")) == ["node1", "node2"],
                        what="node3 out of GCLUSTERNODES red")
        self.assertEqual(sorted(r[2] for r in self.entries(c, 2, "red")),
                         sorted([holders[1], holders[1], holders[2], holders[2]]))
        # What red's members on node1/node2 do now never reaches node3.
        more = self.client(c, 2)
        more.call("GREG", "r/late", "CLUSTER", "red")
        self.wait_until(lambda: len(self.entries(c, 1, "red")) == 5, what="r/late on node1")
        self.assertTrue(str(c.call(3, "GENTRIES", "CLUSTER", "red")).startswith("NOCLUSTER"))
        self.assert_converged(c, clusters=("red",))

    def test_unused_lease_expires(self):
        c = self.start_cluster(3)
        self.assertEqual(c.call(2, "GCONNECT", "tmp", "TTL", "300"), "OK")
        self.assertEqual(c.call(2, "GCONNECTED", "tmp"), 1)
        self.wait_until(lambda: sorted(c.call(1, "GCLUSTERNODES", "tmp")) == ["node2"],
                        what="node1 seeing node2 in tmp")
        t0 = time.monotonic()
        self.wait_until(lambda: c.call(2, "GCONNECTED", "tmp") == 0, timeout=3,
                        what="lease expiry", interval=0.01)
        self.assertGreater(time.monotonic() - t0, 0.2)
        # Peers learn that node2 left tmp.
        self.wait_until(lambda: c.call(1, "GCLUSTERNODES", "tmp") == [],
                        what="node2 out of GCLUSTERNODES tmp on node1")

        # A lease in use does not expire: a registration keeps the cluster connected.
        self.assertEqual(c.call(2, "GCONNECT", "tmp", "TTL", "300"), "OK")
        user = self.client(c, 2)
        user.call("GREG", "keep", "CLUSTER", "tmp")
        time.sleep(0.6)
        self.assertEqual(c.call(2, "GCONNECTED", "tmp"), 1)
        self.assert_converged(c, clusters=("tmp",))


if __name__ == "__main__":
    cluster_case.main()
