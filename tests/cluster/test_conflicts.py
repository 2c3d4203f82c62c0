"""Registry conflicts: the same key registered on two nodes before either heard of the other.

Every node must pick the same winner (by resolve-registry-conflict: oldest by default, newest,
meta-max/meta-min of a meta field); the loser is evicted with reason registry_conflict and, by
conflict-action, killed (its connection closed) or only unregistered (and told on its notice
channel). node1's links get a delay from the fault proxy so both registrations succeed locally.
"""

import json
import time

import cluster_case
from cluster_case import ClusterTestCase

DELAY_MS = 400


class ConflictTest(ClusterTestCase):

    def _reg(self, c, i, key, *meta):
        cl = self.client(c, i)
        pid = cl.call("GPID")
        self.assertEqual(cl.call("GREG", key, "META", "node", c.name(i), *meta), "OK")
        return cl, pid

    def _race(self, c, meta1=(), meta2=()):
        """node1 registers 'lock', then node2 does 50 ms later while node1's change is still in
        flight. Returns (client1, pid1, client2, pid2)."""
        c.proxy.delay("node1", "node2", DELAY_MS)
        c.proxy.delay("node1", "node3", DELAY_MS)
        cl1, pid1 = self._reg(c, 1, "lock", *meta1)
        time.sleep(0.05)
        cl2, pid2 = self._reg(c, 2, "lock", *meta2)
        return cl1, pid1, cl2, pid2

    def test_concurrent_registration_keeps_oldest_everywhere_and_kills_loser(self):
        c = self.start_cluster(3, proxies=True)
        mon3 = self.monitor(c, 3, "lock")
        mon2 = self.monitor(c, 2, "lock")
        first, winner, second, loser = self._race(c)

        # node3 sees the newer registration first, then replaces it by the older one.
        ev = mon3.wait_event(type="registered", key="lock", pid=loser)
        ev = mon3.wait_event(type="unregistered", key="lock", pid=loser)
        self.assertEqual(ev["reason"], "registry_conflict")
        mon3.wait_event(type="registered", key="lock", pid=winner)
        ev = mon2.wait_event(type="unregistered", key="lock", pid=loser)
        self.assertEqual(ev["reason"], "registry_conflict")
        self.assertTrue(second.is_closed_by_peer(3), "the loser's connection stayed open")
        self.assertEqual(first.call("GPID"), winner)  # The winner's connection is untouched.

        c.proxy.heal_all()
        view = self.assert_converged(c)
        self.assertEqual(view, [["registry", "lock", winner, "node1", ["node", "node1"]]])

    def _assert_winner(self, c, winner, winner_node, loser, loser_client, watch):
        ev = watch.wait_event(type="unregistered", key="lock", pid=loser)
        self.assertEqual(ev["reason"], "registry_conflict")
        c.proxy.heal_all()
        view = self.assert_converged(c)
        self.assertEqual([r[:4] for r in view], [["registry", "lock", winner, winner_node]])
        self.assertTrue(loser_client.is_closed_by_peer(3), "the loser's connection stayed open")

    def test_newest_policy_keeps_the_newer_registration_everywhere(self):
        c = self.start_cluster(3, proxies=True, options={"resolve-registry-conflict": "newest"})
        # node3 hears node2's registration first and never stores node1's loser; node1 holds
        # the loser itself and must evict it.
        watch = self.monitor(c, 1, "lock")
        cl1, pid1, cl2, pid2 = self._race(c)
        self._assert_winner(c, pid2, "node2", pid1, cl1, watch)

    def test_meta_max_policy_keeps_the_highest_field_everywhere(self):
        c = self.start_cluster(3, proxies=True,
                               options={"resolve-registry-conflict": "meta-max prio"})
        watch = self.monitor(c, 1, "lock")
        # The older registration has the lower priority (and 10 > 9 numerically, not as text).
        cl1, pid1, cl2, pid2 = self._race(c, meta1=("prio", "9"), meta2=("prio", "10"))
        self._assert_winner(c, pid2, "node2", pid1, cl1, watch)

    def test_conflict_action_unregister_keeps_the_loser_connected_and_notifies_it(self):
        c = self.start_cluster(3, proxies=True, options={"conflict-action": "unregister"})
        watch = self.monitor(c, 2, "lock")
        c.proxy.delay("node1", "node2", DELAY_MS)
        c.proxy.delay("node1", "node3", DELAY_MS)
        _, winner = self._reg(c, 1, "lock")
        time.sleep(0.05)
        loser_client = self.client(c, 2)
        loser = loser_client.call("GPID")
        notices = self.subscriber(c, 2).subscribe("__gnotice__:" + loser)
        self.assertEqual(loser_client.call("GREG", "lock"), "OK")

        ev = watch.wait_event(type="unregistered", key="lock", pid=loser)
        self.assertEqual(ev["reason"], "registry_conflict")
        msg = notices.next_message(3)
        self.assertIsNotNone(msg, "no notice on __gnotice__:<pid>")
        self.assertEqual(msg[0], "__gnotice__:" + loser)
        notice = json.loads(msg[1])
        self.assertEqual(
            {k: notice.get(k) for k in ("type", "cluster", "key", "pid", "winner_pid",
                                        "winner_node", "action")},
            {"type": "registry_conflict", "cluster": None, "key": "lock", "pid": loser,
             "winner_pid": winner, "winner_node": "node1", "action": "unregister"})
        # Still connected, no longer the owner.
        self.assertEqual(loser_client.call("GPID"), loser)
        self.assertEqual(loser_client.call("GLOOKUP", "lock")[0], winner)
        self.assertEqual(loser_client.execute("GUNREG", "lock").code, "NOTOWNER")
        c.proxy.heal_all()
        view = self.assert_converged(c)
        self.assertEqual([r[:4] for r in view], [["registry", "lock", winner, "node1"]])


if __name__ == "__main__":
    cluster_case.main()
