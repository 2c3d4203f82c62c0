"""Network faults, with every peer link behind a fault proxy.

Registrations made on both sides of a partition must end, once it heals, with one winner per key
on every node (the oldest, by default); losers are evicted with reason registry_conflict and,
with the default conflict-action kill, their connections closed. A link that only stops in one
direction must be declared down by the side that stops hearing."""

import time

import cluster_case
from cluster_case import PEER_TIMEOUT_MS, ClusterTestCase


class PartitionTest(ClusterTestCase):

    def _reg(self, c, i, key):
        cl = self.client(c, i)
        pid = cl.call("GPID")
        self.assertEqual(cl.call("GREG", key, "META", "node", c.name(i)), "OK")
        return cl, pid

    def test_partition_with_registrations_on_both_sides_heals_to_one_winner_per_key(self):
        c = self.start_cluster(3, proxies=True)
        mon1 = self.monitor(c, 1)
        mon2 = self.monitor(c, 2)
        _, before = self._reg(c, 2, "before")
        self.wait_until(lambda: c.call(1, "GLOOKUP", "before"), what="'before' on node1")

        # node1 alone | node2 + node3.
        c.proxy.cut("node1", "node2")
        c.proxy.cut("node1", "node3")
        self.wait_until(lambda: c.call(1, "GNODES") == [], what="node1 isolated")
        self.wait_until(lambda: c.call(2, "GNODES") == ["node3"], what="node2 sees node3 only")
        self.wait_until(lambda: c.call(1, "GLOOKUP", "before") is None,
                        what="node1 dropping node2's entries")

        # Per key, the older registration must win once the sides meet.
        a_old, a_win = self._reg(c, 1, "a")       # node1 first ...
        b_old, b_win = self._reg(c, 2, "b")       # ... node2 first.
        time.sleep(0.02)
        a_new, a_lose = self._reg(c, 3, "a")
        b_new, b_lose = self._reg(c, 1, "b")
        _, only1 = self._reg(c, 1, "only1")
        _, only3 = self._reg(c, 3, "only3")
        g1 = self.client(c, 1)
        g1.call("GJOIN", "shared")
        g3 = self.client(c, 3)
        g3.call("GJOIN", "shared")
        # Each side holds its own view.
        for i, key, pid in ((1, "a", a_win), (2, "a", a_lose), (3, "a", a_lose),
                            (1, "b", b_lose), (2, "b", b_win), (3, "b", b_win)):
            self.wait_equal(lambda: self.lookup_pid(c, i, key), pid,
                            what="holder of %s on node%d during the partition" % (key, i))

        c.proxy.heal_all()
        c.wait_mesh(timeout=10)
        for cl in (a_new, b_new):
            self.assertTrue(cl.is_closed_by_peer(5), "a loser's connection stayed open")
        self.assertEqual(a_old.call("GPID"), a_win)  # Winners keep their connections.
        self.assertEqual(b_old.call("GPID"), b_win)
        ev = mon2.wait_event(type="unregistered", key="a", pid=a_lose)
        self.assertEqual(ev["reason"], "registry_conflict")
        # node1 held its own loser for b: it evicts it. node2 held its own winner and never
        # stores node1's loser, so it reports nothing for b.
        ev = mon1.wait_event(type="unregistered", key="b", pid=b_lose)
        self.assertEqual(ev["reason"], "registry_conflict")
        ev = mon1.wait_event(type="unregistered", key="before", pid=before)
        self.assertEqual(ev["reason"], "nodedown")
        mon1.wait_event(type="registered", key="before", pid=before)  # Back after the heal.

        view = self.assert_converged(c)
        regs = {r[1]: r[2] for r in view if r[0] == "registry"}
        self.assertEqual(regs, {"before": before, "a": a_win, "b": b_win, "only1": only1,
                                "only3": only3})
        self.assertEqual(c.call(2, "GCOUNT", "shared"), 2)

    def test_partial_partition_bridged_by_a_third_node_heals_to_one_winner(self):
        # node1 and node2 lose each other but both still reach node3, which relays nothing:
        # each keeps its own registration of the key until they meet again.
        c = self.start_cluster(3, proxies=True)
        c.proxy.cut("node1", "node2")
        self.wait_until(lambda: c.call(1, "GNODES") == ["node3"], what="node1 sees node3 only")
        self.wait_until(lambda: c.call(2, "GNODES") == ["node3"], what="node2 sees node3 only")
        _, older = self._reg(c, 1, "k")
        time.sleep(0.02)
        newer_client, newer = self._reg(c, 2, "k")
        self.wait_until(lambda: self.lookup_pid(c, 3, "k") == older, what="node3 keeping older")
        self.assertEqual(self.lookup_pid(c, 2, "k"), newer)

        c.proxy.heal_all()
        c.wait_mesh(timeout=10)
        self.assertTrue(newer_client.is_closed_by_peer(5), "the loser's connection stayed open")
        view = self.assert_converged(c)
        self.assertEqual([r[:3] for r in view], [["registry", "k", older]])

    def test_one_way_cut_is_declared_down_by_the_side_that_stops_hearing(self):
        c = self.start_cluster(3, proxies=True)
        mon2 = self.monitor(c, 2)
        _, pid1 = self._reg(c, 1, "from1")
        _, pid2 = self._reg(c, 2, "from2")
        mon2.wait_event(type="registered", key="from1", pid=pid1)
        self.assert_converged(c)

        t0 = time.monotonic()
        c.proxy.cut_one_way("node1", "node2")  # node2 stops hearing node1.
        ev = mon2.wait_event(timeout=PEER_TIMEOUT_MS / 1000 + 3, type="unregistered",
                             key="from1", pid=pid1)
        self.assertEqual(ev["reason"], "nodedown")
        self.assertGreater(time.monotonic() - t0, PEER_TIMEOUT_MS / 1000 * 0.8)
        self.assert_log_contains(c, 2, "peer node1 silent for")
        self.wait_until(lambda: "node1" not in c.call(2, "GNODES"), what="node1 out of node2")
        # node3 hears both and keeps everything.
        self.assertEqual(self.lookup_pid(c, 3, "from1"), pid1)
        self.assertEqual(self.lookup_pid(c, 3, "from2"), pid2)

        # While the cut lasts, node2 keeps node1 out: no handshake can finish.
        time.sleep(0.5)
        self.assertNotIn("node1", c.call(2, "GNODES"))
        self.assertIsNone(self.lookup_pid(c, 2, "from1"))

        c.proxy.heal("node1", "node2")
        c.wait_mesh(timeout=10)
        mon2.wait_event(type="registered", key="from1", pid=pid1)
        view = self.assert_converged(c)
        self.assertEqual(sorted(r[2] for r in view), sorted([pid1, pid2]))


if __name__ == "__main__":
    cluster_case.main()
