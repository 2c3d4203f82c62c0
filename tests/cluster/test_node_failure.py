"""Losing a node: SIGKILL (nodedown after the peer timeout), restart (resync without stale
entries) and clean shutdown (reason shutdown, at once)."""

import time

import cluster_case
from cluster_case import PEER_TIMEOUT_MS, ClusterTestCase, RespError


class NodeFailureTest(ClusterTestCase):

    def _hold(self, c, i, key, group):
        """A client on node i that registers key and joins group; returns (client, pid)."""
        cl = self.client(c, i)
        pid = cl.call("GPID")
        cl.call("GREG", key, "META", "owner", c.name(i))
        cl.call("GJOIN", group)
        return cl, pid

    def test_killed_node_is_nodedown_everywhere_and_restart_resyncs_without_stale_entries(self):
        c = self.start_cluster(3)
        mon1 = self.monitor(c, 1)
        mon3 = self.monitor(c, 3)
        _, old_pid = self._hold(c, 2, "svc/2", "workers")
        _, pid1 = self._hold(c, 1, "svc/1", "workers")
        for mon in (mon1, mon3):
            mon.wait_event(type="joined", key="workers", pid=old_pid)
        self.assert_converged(c)

        killed_at = time.monotonic()
        c.kill(2)
        for mon in (mon1, mon3):
            ev = mon.wait_event(timeout=PEER_TIMEOUT_MS / 1000 + 3, type="unregistered",
                                key="svc/2")
            self.assertEqual((ev["pid"], ev["reason"], ev["node"]), (old_pid, "nodedown", "node2"))
            ev = mon.wait_event(type="left", key="workers", pid=old_pid)
            self.assertEqual(ev["reason"], "nodedown")
        elapsed = time.monotonic() - killed_at
        for i in (1, 3):
            self.assertNotIn("node2", c.call(i, "GNODES"))
            self.assertIsNone(c.call(i, "GLOOKUP", "svc/2"))
            self.assertEqual(c.call(i, "GCOUNT", "workers"), 1)
        self.assertLess(elapsed, PEER_TIMEOUT_MS / 1000 + 3)

        ports = (c.port(2), c.peer_port(2))
        c.restart(2)
        self.assertEqual((c.port(2), c.peer_port(2)), ports)
        c.wait_mesh()
        _, new_pid = self._hold(c, 2, "svc/2", "workers")
        self.assertNotEqual(new_pid, old_pid)
        for mon in (mon1, mon3):
            mon.wait_event(type="registered", key="svc/2", pid=new_pid)
        view = self.assert_converged(c)
        pids = {row[2] for row in view}
        self.assertNotIn(old_pid, pids)
        self.assertEqual(pids, {pid1, new_pid})
        self.assertEqual(len(view), 4)

    def test_seed_node_restart_rejoins_the_cluster(self):
        # node1 is every other node's only seed and has no seed itself: the others must keep
        # dialing it after it dies.
        c = self.start_cluster(3)
        mon2 = self.monitor(c, 2)
        _, old_pid = self._hold(c, 1, "svc/1", "workers")
        mon2.wait_event(type="joined", key="workers", pid=old_pid)
        c.kill(1)
        self.assertEqual(mon2.wait_event(type="unregistered", key="svc/1")["reason"], "nodedown")
        time.sleep(1.0)  # Let the others' redial backoff grow a little.
        c.restart(1)
        c.wait_mesh(timeout=10)
        _, new_pid = self._hold(c, 1, "svc/1", "workers")
        mon2.wait_event(type="registered", key="svc/1", pid=new_pid)
        view = self.assert_converged(c)
        self.assertEqual([r[2] for r in view], [new_pid, new_pid])

    def test_paused_node_is_declared_down_after_peer_timeout_and_resyncs_on_resume(self):
        # SIGSTOP keeps the sockets open, so only the heartbeat timeout can find the node gone.
        c = self.start_cluster(3)
        mon1 = self.monitor(c, 1)
        _, pid3 = self._hold(c, 3, "svc/3", "workers")
        _, pid1 = self._hold(c, 1, "svc/1", "workers")
        mon1.wait_event(type="joined", key="workers", pid=pid3)
        self.assert_converged(c)

        t0 = time.monotonic()
        c.pause(3)
        ev = mon1.wait_event(timeout=PEER_TIMEOUT_MS / 1000 + 3, type="unregistered",
                             key="svc/3")
        elapsed = time.monotonic() - t0
        self.assertEqual(ev["reason"], "nodedown")
        self.assertEqual(mon1.wait_event(type="left", pid=pid3)["reason"], "nodedown")
        self.assertGreater(elapsed, PEER_TIMEOUT_MS / 1000 * 0.8,
                           "node3 dropped before the peer timeout could have expired")
        self.assert_log_contains(c, 1, "peer node3 silent for")

        c.resume(3)
        c.wait_mesh()
        mon1.wait_event(type="registered", key="svc/3", pid=pid3)
        view = self.assert_converged(c)
        self.assertEqual(sorted(r[2] for r in view), sorted([pid1, pid1, pid3, pid3]))

    def test_restart_before_peers_notice_drops_the_old_incarnation(self):
        # The proxies hide node3's death (its old links stay open and silent), so when it comes
        # back its peers still hold the old link: the new incarnation in the handshake alone
        # must make them drop everything the old one owned, long before the peer timeout.
        c = self.start_cluster(3, proxies=True, peer_timeout=5000)
        mon1 = self.monitor(c, 1)
        mon2 = self.monitor(c, 2)
        _, old_pid = self._hold(c, 3, "svc/3", "workers")
        for mon in (mon1, mon2):
            mon.wait_event(type="joined", key="workers", pid=old_pid)

        c.proxy.stall("node3", "node1")
        c.proxy.stall("node3", "node2")
        c.kill(3)
        t0 = time.monotonic()
        c.restart(3)
        for mon in (mon1, mon2):
            ev = mon.wait_event(timeout=4, type="unregistered", key="svc/3", pid=old_pid)
            self.assertEqual(ev["reason"], "nodedown")
            self.assertEqual(mon.wait_event(type="left", pid=old_pid)["reason"], "nodedown")
        self.assertLess(time.monotonic() - t0, 3.0)
        self.assert_log_contains(c, 1, "peer node3 restarted")
        c.wait_mesh()
        _, new_pid = self._hold(c, 3, "svc/3", "workers")
        c.proxy.heal_all()
        self.wait_until(lambda: self.lookup_pid(c, 1, "svc/3") == new_pid, what="new svc/3")
        view = self.assert_converged(c)
        self.assertEqual([r[2] for r in view], [new_pid, new_pid])

    def _assert_shutdown_seen_quickly(self, c, stop):
        mon1 = self.monitor(c, 1)
        mon2 = self.monitor(c, 2)
        _, pid = self._hold(c, 3, "svc/3", "workers")
        for mon in (mon1, mon2):
            mon.wait_event(type="joined", key="workers", pid=pid)
        t0 = time.monotonic()
        stop()
        for mon in (mon1, mon2):
            ev = mon.wait_event(timeout=5, type="unregistered", key="svc/3", pid=pid)
            self.assertEqual(ev["reason"], "shutdown")
            self.assertEqual(mon.wait_event(type="left", pid=pid)["reason"], "shutdown")
        elapsed = time.monotonic() - t0
        # The peer timeout is 5 s here: a clean shutdown must not wait for it.
        self.assertLess(elapsed, 1.0, "peers took %.2fs to drop a node that shut down" % elapsed)
        for i in (1, 2):
            self.assert_log_contains(c, i, "peer node3 is shutting down")
        self.wait_until(lambda: "node3" not in c.call(1, "GNODES"), what="node3 out of GNODES")
        self.assertEqual(self.assert_converged(c, nodes=[1, 2]), [])

    def test_sigterm_makes_peers_drop_entries_with_reason_shutdown_at_once(self):
        c = self.start_cluster(3, peer_timeout=5000)
        self._assert_shutdown_seen_quickly(c, lambda: c.stop_node(3))

    def test_shutdown_command_makes_peers_drop_entries_with_reason_shutdown_at_once(self):
        c = self.start_cluster(3, peer_timeout=5000)

        def shutdown():
            admin = self.client(c, 3)
            try:
                reply = admin.execute("SHUTDOWN", timeout=2)
            except OSError:
                return  # The node closed the connection: it is going down.
            if isinstance(reply, RespError) and "unknown command" in str(reply):
                self.skipTest("this build has no SHUTDOWN command")

        self._assert_shutdown_seen_quickly(c, shutdown)


if __name__ == "__main__":
    cluster_case.main()
