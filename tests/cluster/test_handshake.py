"""Peers that must not form a cluster refuse each other's handshake, on both sides."""

import re
import time

import cluster_case
from cluster_case import ClusterTestCase

# Long enough for several dial attempts (the first comes within ~100 ms).
SETTLE_S = 1.0


class HandshakeTest(ClusterTestCase):

    def _assert_refused(self, c, line):
        for i in (1, 2):
            self.assert_log_contains(c, i, line)
        time.sleep(SETTLE_S)
        for i in (1, 2):
            self.assertEqual(c.call(i, "GNODES"), [], "%s accepted a peer" % c.name(i))
            self.assertIsNone(re.search(r"peer \S+ up \(", c.log(i)),
                              "a link came up on %s" % c.name(i))
        # Each node keeps its own entries to itself.
        cl = self.client(c, 1)
        cl.call("GREG", "mine")
        time.sleep(0.2)
        self.assertEqual(self.entries(c, 2), [])
        self.assertEqual(self.assert_converged(c, nodes=[2]), [])

    def test_shard_count_mismatch_is_refused_by_both_sides(self):
        c = self.start_cluster(2, wait_mesh=False,
                               node_options={1: {"shards": 4}, 2: {"shards": 8}})
        self._assert_refused(c, "shard count mismatch")
        for i in (1, 2):
            self.assertIn("refusing peer", c.log(i))

    def test_wrong_cluster_secret_is_refused_by_both_sides(self):
        c = self.start_cluster(2, wait_mesh=False,
                               node_options={1: {"cluster-secret": "alpha-secret"},
                                             2: {"cluster-secret": "beta-secret"}})
        self._assert_refused(c, "wrong cluster secret")
        for i in (1, 2):
            self.assertIn("refusing peer", c.log(i))
        for i in (1, 2):
            for secret in ("alpha-secret", "beta-secret"):
                self.assertNotIn(secret, c.log(i), "a secret was logged")

    def test_secret_on_one_side_only_is_refused(self):
        c = self.start_cluster(2, wait_mesh=False,
                               node_options={2: {"cluster-secret": "only-here"}})
        self._assert_refused(c, "cluster-secret mismatch")

    def test_same_secret_and_shards_form_a_cluster(self):
        c = self.start_cluster(3, options={"cluster-secret": "s3cret", "shards": 8})
        cl = self.client(c, 1)
        pid = cl.call("GPID")
        cl.call("GREG", "mine")
        self.wait_until(lambda: self.lookup_pid(c, 3, "mine") == pid, what="'mine' on node3")
        self.assert_converged(c)


if __name__ == "__main__":
    cluster_case.main()
