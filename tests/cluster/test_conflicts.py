"""Registry conflicts: the same key registered on two nodes before either heard of the other.

Every node must pick the same winner (by resolve-registry-conflict: oldest by default, newest,
meta-max/meta-min of a meta field); the loser is evicted with reason registry_conflict and, by
conflict-action, killed (its connection closed) or only unregistered (and told on its notice
channel). node1's links get a delay from the fault proxy so both registrations succeed locally.
"""

import json
import time

import cluster_case
from cluster_case import ClusterTestCase, Push

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

    def test_killed_resp3_loser_gets_its_push_notice_before_the_connection_closes(self):
        # The loser is told before it goes (applier.cc: "a push frame on RESP3"), so a client
        # can tell a lost conflict from a network failure.
        c = self.start_cluster(3, proxies=True)
        c.proxy.delay("node1", "node2", DELAY_MS)
        c.proxy.delay("node1", "node3", DELAY_MS)
        _, winner = self._reg(c, 1, "lock")
        time.sleep(0.05)
        loser_client = self.client(c, 2, protocol=3)
        loser = loser_client.call("GPID")
        self.assertEqual(loser_client.call("GREG", "lock"), "OK")
        frames = []
        try:
            while True:
                frames.append(loser_client.read_reply(3))
        except OSError:
            pass  # Closed (kill), as it must be after the notice.
        self.assertEqual(len(frames), 1, "want one push notice before the close, got %r" % frames)
        self.assertIsInstance(frames[0], Push)
        kind, channel, payload = frames[0]
        self.assertEqual((kind, channel), ("message", "__gnotice__:" + loser))
        notice = json.loads(payload)
        self.assertEqual((notice["winner_pid"], notice["action"]), (winner, "kill"))
        c.proxy.heal_all()
        view = self.assert_converged(c)
        self.assertEqual([r[:3] for r in view], [["registry", "lock", winner]])

    def test_simultaneous_registrations_end_with_exactly_one_holder_per_key(self):
        # No delay this time: both GREGs of each key leave at once, so each pair either
        # conflicts in flight or is refused with TAKEN, whichever the timing gives.
        c = self.start_cluster(3)
        keys = ["race/%d" % k for k in range(20)]
        pairs = []
        for key in keys:
            a, b = self.client(c, 1), self.client(c, 2)
            pairs.append((key, (a, a.call("GPID")), (b, b.call("GPID"))))
        for key, (a, _), (b, _) in pairs:
            a.send("GREG", key)
            b.send("GREG", key)
        replies = {}
        for key, (a, pa), (b, pb) in pairs:
            for cl, pid in ((a, pa), (b, pb)):
                try:
                    replies[pid] = cl.read_reply()
                except OSError:
                    # Killed for a lost conflict in the very loop turn that registered it,
                    # before its +OK went out (see the RESP3 notice test).
                    replies[pid] = None
        view = self.assert_converged(c)
        holders = {r[1]: r[2] for r in view if r[0] == "registry"}
        self.assertEqual(sorted(holders), sorted(keys), "a key was lost or duplicated")
        for key, (a, pa), (b, pb) in pairs:
            holder = holders[key]
            self.assertIn(holder, (pa, pb))
            self.assertEqual(replies[holder], "OK")
            loser_client, loser = (b, pb) if holder == pa else (a, pa)
            if replies[loser] in ("OK", None):  # It lost a conflict: killed.
                self.assertTrue(loser_client.is_closed_by_peer(3), "%s survived" % loser)
            else:
                self.assertTrue(str(replies[loser]).startswith("TAKEN"), replies[loser])

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
