"""Every kind of change made on one node reaches every other node, as entries and as events."""

import time

import cluster_case
from cluster_case import PEER_TIMEOUT_MS, ClusterTestCase


class PropagationTest(ClusterTestCase):

    def test_every_change_kind_reaches_remote_monitors_with_previous_meta_and_reason(self):
        c = self.start_cluster(3)
        mon3 = self.monitor(c, 3, "*")
        mon2 = self.monitor(c, 2, "k/", "g/")
        a = self.client(c, 1)
        pid = a.call("GPID")

        def expect(mon, **fields):
            ev = mon.wait_event(**fields)
            self.assertEqual(ev["node"], "node1")
            self.assertIsNone(ev["cluster"])
            return ev

        a.call("GREG", "k/1", "META", "v", "1")
        for mon in (mon3, mon2):
            ev = expect(mon, type="registered", key="k/1", pid=pid)
            self.assertEqual(ev["meta"], {"v": "1"})
            self.assertIsNone(ev["previous_meta"])
            self.assertIsNone(ev["reason"])

        a.call("GREG", "k/1", "META", "v", "2", "w", "x")
        for mon in (mon3, mon2):
            ev = expect(mon, type="registered", key="k/1", pid=pid)
            self.assertEqual(ev["meta"], {"v": "2", "w": "x"})
            self.assertEqual(ev["previous_meta"], {"v": "1"})

        self.assertEqual(c.call(3, "GLOOKUP", "k/1"), [pid, ["v", "2", "w", "x"]])

        a.call("GUNREG", "k/1")
        for mon in (mon3, mon2):
            ev = expect(mon, type="unregistered", key="k/1", pid=pid)
            self.assertEqual(ev["reason"], "unregister")
            self.assertEqual(ev["meta"], {"v": "2", "w": "x"})

        a.call("GJOIN", "g/1", "META", "role", "a")
        for mon in (mon3, mon2):
            ev = expect(mon, type="joined", key="g/1", pid=pid)
            self.assertEqual(ev["meta"], {"role": "a"})
            self.assertIsNone(ev["previous_meta"])

        a.call("GJOIN", "g/1", "META", "role", "b")
        for mon in (mon3, mon2):
            ev = expect(mon, type="joined", key="g/1", pid=pid)
            self.assertEqual(ev["meta"], {"role": "b"})
            self.assertEqual(ev["previous_meta"], {"role": "a"})
        self.assertEqual(c.call(3, "GMEMBERS", "g/1"), [[pid, ["role", "b"]]])

        a.call("GLEAVE", "g/1")
        for mon in (mon3, mon2):
            ev = expect(mon, type="left", key="g/1", pid=pid)
            self.assertEqual(ev["reason"], "leave")
            self.assertEqual(ev["meta"], {"role": "b"})

        # Closing the connection ends everything the process held, everywhere.
        a.call("GREG", "k/2")
        a.call("GJOIN", "g/2")
        for mon in (mon3, mon2):
            expect(mon, type="joined", key="g/2", pid=pid)
        a.close()
        for mon in (mon3, mon2):
            self.assertEqual(expect(mon, type="unregistered", key="k/2")["reason"], "disconnect")
            self.assertEqual(expect(mon, type="left", key="g/2")["reason"], "disconnect")

        self.assertEqual(self.assert_converged(c), [])
        # Every change node3 saw got the next sequence number.
        seqs = [ev["seq"] for ev in mon3.history]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + len(seqs))))

    def test_changes_from_every_node_reach_all(self):
        c = self.start_cluster(3)
        clients, pids = {}, {}
        for i in (1, 2, 3):
            clients[i] = self.client(c, i)
            pids[i] = clients[i].call("GPID")
            clients[i].call("GREG", "reg/%d" % i, "META", "from", c.name(i))
            clients[i].call("GJOIN", "room", "META", "n", str(i))
            clients[i].call("GJOIN", "own/%d" % i)

        want = sorted(
            [["registry", "reg/%d" % i, pids[i], c.name(i), ["from", c.name(i)]]
             for i in (1, 2, 3)] +
            [["pg", "room", pids[i], c.name(i), ["n", str(i)]] for i in (1, 2, 3)] +
            [["pg", "own/%d" % i, pids[i], c.name(i), []] for i in (1, 2, 3)])
        self.wait_until(lambda: all(sorted(self.entries(c, i)) == want for i in (1, 2, 3)),
                        what="every node holding every entry")
        for i in (1, 2, 3):
            self.assertEqual(c.call(i, "GCOUNT", "room"), 3)
            self.assertEqual(c.call(i, "GLOCALCOUNT", "room"), 1)
            self.assertEqual(c.call(i, "GREGCOUNT"), 3)
            self.assertEqual(c.call(i, "GLOCALREGCOUNT"), 1)
            self.assertEqual(c.call(i, "GCOUNT", "own/"), 3)

        # Updates, removals and disconnects from nodes 2 and 3 in one burst.
        clients[2].call("GREG", "reg/2", "META", "from", "node2", "again", "yes")
        clients[2].call("GLEAVE", "room")
        clients[3].call("GUNREG", "reg/3")
        clients[3].call("GJOIN", "room", "META", "n", "three")
        clients[1].close()

        view = self.assert_converged(c)
        self.assertEqual(sorted(view), sorted([
            ["registry", "reg/2", pids[2], "node2", ["from", "node2", "again", "yes"]],
            ["pg", "room", pids[3], "node3", ["n", "three"]],
            ["pg", "own/2", pids[2], "node2", []],
            ["pg", "own/3", pids[3], "node3", []],
        ]))

    def test_binary_keys_and_meta_replicate_unchanged(self):
        c = self.start_cluster(3)
        a = self.client(c, 2)
        pid = a.call("GPID")
        key = b"bin\x00\xff\r\n\xc3\xa9 key"
        group = b"grp/\x01\x02"
        a.call("GREG", key, "META", b"", b"v\r\n\x00", "f", "")
        a.call("GJOIN", group, "META", "big", "x" * 4000)
        view = self.assert_converged(c)
        text = lambda b: b.decode("utf-8", "surrogateescape")
        self.assertEqual(sorted(view), sorted([
            ["registry", text(key), pid, "node2", ["", "v\r\n\x00", "f", ""]],
            ["pg", text(group), pid, "node2", ["big", "x" * 4000]],
        ]))
        self.assertEqual(c.call(3, "GLOOKUP", key)[0], pid)

    def test_idle_links_stay_up_beyond_the_peer_timeout(self):
        c = self.start_cluster(3)
        a = self.client(c, 1)
        a.call("GREG", "idle")
        time.sleep(2.5 * PEER_TIMEOUT_MS / 1000)  # Nothing but heartbeats meanwhile.
        c.wait_mesh(timeout=0.5)
        for i in (1, 2, 3):
            self.assertNotIn("down", c.log(i), "a link went down on an idle cluster")
        self.assertEqual(len(self.assert_converged(c)), 1)

    def test_gnodes_lists_every_other_node_through_one_seed(self):
        # Nodes 2..4 know only node1's address; gossip must complete the mesh.
        c = self.start_cluster(4)
        for i in range(1, 5):
            self.assertEqual(sorted(c.call(i, "GNODES")),
                             sorted(n for n in c.names if n != c.name(i)))
        for i in (2, 4):
            self.assertEqual(c.call(i, "GCONNECT", "blue"), "OK")
        self.wait_until(
            lambda: all(sorted(c.call(i, "GCLUSTERNODES", "blue")) == ["node2", "node4"]
                        for i in (2, 4)),
            what="GCLUSTERNODES blue == [node2, node4] on node2 and node4")
        # A node outside the cluster still sees which peers are in it.
        self.wait_until(lambda: sorted(c.call(1, "GCLUSTERNODES", "blue")) == ["node2", "node4"],
                        what="GCLUSTERNODES blue on node1 (not connected)")
        c.call(1, "GCONNECT", "blue")
        self.wait_until(lambda: sorted(c.call(4, "GCLUSTERNODES", "blue")) ==
                        ["node1", "node2", "node4"], what="node1 joining blue seen by node4")
        self.assert_converged(c, clusters=("blue",))


if __name__ == "__main__":
    cluster_case.main()
