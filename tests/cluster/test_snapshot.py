"""Snapshots carry a node's whole state to a peer whenever a link comes up (start, restart,
partition heal) or a peer connects to a named cluster: big ones too, sent in many chunks."""

import struct
import time

import cluster_case
from cluster_case import ClusterTestCase

# More than one snapshot chunk (2048 entries) and spread over every shard.
MANY = 5000


def keys_of_one_hash(bits):
    """2**bits keys of 16 * bits bytes with one std::hash (libstdc++'s MurmurHash64A), whatever
    its seed: see KeysOfOneHash in tests/unit/core/registry_table_test.cc."""
    mul, mask, top = 0xc6a4a7935bd1e995, (1 << 64) - 1, 1 << 63
    inv = pow(mul, -1, 1 << 64)

    def f(k):
        v = (k * mul) & mask
        return ((v ^ (v >> 47)) * mul) & mask

    def f_inverse(y):
        v = (y * inv) & mask
        return ((v ^ (v >> 47)) * inv) & mask

    keys = [b""]
    for b in range(bits):
        a = (0x6b65793a00000000 + b, 0x6b65793a10000000 + b)
        c = (f_inverse(f(a[0]) ^ top), f_inverse(f(a[1]) ^ top))
        keys = [k + struct.pack("<QQ", *pair) for k in keys for pair in (a, c)]
    return keys


class SnapshotTest(ClusterTestCase):

    def _register_many(self, c, i, n, prefix="r/", cluster=None):
        cl = self.client(c, i)
        extra = ("CLUSTER", cluster) if cluster else ()
        replies = cl.pipeline([("GREG", "%s%d" % (prefix, k), *extra) for k in range(n)],
                              timeout=30)
        self.assertEqual(set(replies), {"OK"})
        return cl

    def _count(self, c, i, cluster=None):
        return c.call(i, "GREGCOUNT", *(("CLUSTER", cluster) if cluster else ()))

    def test_restarted_node_receives_every_registration(self):
        c = self.start_cluster(3)
        self._register_many(c, 1, MANY)
        self.wait_equal(lambda: self._count(c, 3), MANY, timeout=10,
                        what="%d registrations streamed to node3" % MANY)
        c.kill(3)
        c.restart(3)
        c.wait_mesh()
        self.wait_equal(lambda: self._count(c, 3), MANY, timeout=5,
                        what="%d registrations on node3 after its restart (snapshot)" % MANY)
        self.assertEqual(len(self.assert_converged(c)), MANY)

    def test_link_flap_keeps_every_registration(self):
        c = self.start_cluster(3, proxies=True)
        self._register_many(c, 1, MANY)
        self.wait_equal(lambda: self._count(c, 2), MANY, timeout=10,
                        what="%d registrations streamed to node2" % MANY)
        c.proxy.cut("node1", "node2")
        self.wait_equal(lambda: self._count(c, 2), 0, what="node2 dropping node1's entries")
        c.proxy.heal_all()
        c.wait_mesh(timeout=10)
        self.wait_equal(lambda: self._count(c, 2), MANY, timeout=5,
                        what="%d registrations back on node2 after the heal" % MANY)
        self.assertEqual(len(self.assert_converged(c)), MANY)

    def test_gconnect_pulls_every_entry_of_a_big_named_cluster(self):
        c = self.start_cluster(3)
        c.call(1, "GCONNECT", "big")
        self._register_many(c, 1, MANY, cluster="big")
        c.call(3, "GCONNECT", "big")
        self.wait_equal(lambda: self._count(c, 3, "big"), MANY, timeout=5,
                        what="%d registrations of 'big' on node3 after GCONNECT" % MANY)
        self.assert_converged(c, clusters=("big",))

    def test_snapshot_of_many_groups_and_members(self):
        c = self.start_cluster(3)
        a = self.client(c, 1)
        self.assertEqual(set(a.pipeline([("GJOIN", "g/%d" % k) for k in range(3000)] +
                                        [("GREG", "k/%d" % k) for k in range(500)],
                                        timeout=30)), {"OK"})
        members = [self.client(c, 1) for _ in range(40)]
        for m in members:
            m.call("GJOIN", "crowd", "META", "x", "y")
        want = 3000 + 500 + 40
        self.wait_equal(lambda: len(self.entries(c, 2)), want, timeout=10,
                        what="everything streamed to node2")
        c.kill(2)
        c.restart(2)
        c.wait_mesh()
        self.wait_equal(lambda: len(self.entries(c, 2)), want, timeout=5,
                        what="%d entries on node2 after its restart" % want)
        self.assertEqual(c.call(2, "GCOUNT", "crowd"), 40)
        self.assertEqual(len(self.assert_converged(c)), want)

    def test_snapshot_while_the_senders_tables_rebuild(self):
        # 20k registrations and 3k groups put every shard's tables past 1,024 slots, where
        # rebuilds are incremental. While node2 restarts and takes node1's snapshot, another
        # client on node1 keeps adding keys and groups in batches, so the tables grow (and
        # rebuild step by step) under the snapshot's walk: node2 must still end with everything.
        c = self.start_cluster(2)
        self._register_many(c, 1, 20000, prefix="base/")
        g = self.client(c, 1)
        self.assertEqual(set(g.pipeline([("GJOIN", "grp/%d" % k) for k in range(3000)],
                                        timeout=30)), {"OK"})
        want = 20000 + 3000
        self.wait_equal(lambda: len(self.entries(c, 2)), want, timeout=20,
                        what="everything streamed to node2")
        c.kill(2)
        c.restart(2)
        for batch in range(20):
            self._register_many(c, 1, 2000, prefix="more%d/" % batch)
            self.assertEqual(set(g.pipeline([("GJOIN", "grp%d/%d" % (batch, k))
                                             for k in range(500)], timeout=30)), {"OK"})
        want += 20 * (2000 + 500)
        c.wait_mesh()
        self.wait_equal(lambda: len(self.entries(c, 2)), want, timeout=20,
                        what="%d entries on node2 after its restart" % want)
        self.assertEqual(len(self.assert_converged(c)), want)

    def test_snapshot_of_one_group_larger_than_a_chunk(self):
        # 120 members with 8 KB of meta each: about 1 MB, four chunks of at most 256 KB, so the
        # sender stops inside the group and resumes from its member cursor.
        c = self.start_cluster(2)
        blob = "v" * 8192
        members = [self.client(c, 1) for _ in range(120)]
        for k, m in enumerate(members):
            self.assertEqual(m.call("GJOIN", "big/crowd", "META", "i", str(k), "blob", blob), "OK")
        self.wait_equal(lambda: c.call(2, "GCOUNT", "big/crowd"), 120, timeout=10,
                        what="120 members streamed to node2")
        c.kill(2)
        c.restart(2)
        c.wait_mesh()
        self.wait_equal(lambda: c.call(2, "GCOUNT", "big/crowd"), 120, timeout=5,
                        what="120 members on node2 after its restart (a snapshot of 4 chunks)")
        self.assertEqual(len(self.assert_converged(c)), 120)

    def test_a_hash_flood_stays_fast_and_reaches_a_restarted_node(self):
        # 65,536 keys crafted to share one std::hash. Each insert would probe past every earlier
        # one (32,768 of them stalled a node 3 s); the shard's table rehashes with SipHash once
        # it sees the flood (0.1 s in all). Then node2 restarts and takes them by snapshot.
        c = self.start_cluster(2)
        keys = keys_of_one_hash(16)
        cl = self.client(c, 1)
        started = time.monotonic()
        self.assertEqual(set(cl.pipeline([("GREG", k) for k in keys], timeout=60)), {"OK"})
        self.assertLess(time.monotonic() - started, 5.0, "the flood stalled node1")
        self.wait_equal(lambda: self._count(c, 2), len(keys), timeout=20,
                        what="the flood streamed to node2")
        c.kill(2)
        c.restart(2)
        c.wait_mesh()
        self.wait_equal(lambda: self._count(c, 2), len(keys), timeout=10,
                        what="%d flood keys on node2 after its restart" % len(keys))
        self.assertEqual(c.call(2, "GLOOKUP", keys[12345]), c.call(1, "GLOOKUP", keys[12345]))

if __name__ == "__main__":
    cluster_case.main()
