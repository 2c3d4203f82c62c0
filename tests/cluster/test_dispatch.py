"""GDISPATCH and PUBLISH cross nodes: a message sent on one node reaches members, registered
processes and subscribers on the others."""

import cluster_case
from cluster_case import ClusterTestCase, Push, RespError


class DispatchTest(ClusterTestCase):

    def test_gdispatch_reaches_subscribed_resp2_member_on_another_node(self):
        c = self.start_cluster(3)
        member = self.subscriber(c, 2)
        pid = member.conn.call("GPID")
        member.conn.call("GJOIN", "workers")
        member.subscribe("side-channel")  # Subscribed: the connection can take the frame.
        watcher = self.subscriber(c, 3).subscribe("__gdispatch__:workers")
        self.wait_until(lambda: c.call(1, "GCOUNT", "workers") == 1, what="member on node1")

        sender = self.client(c, 1)
        sender.call("GDISPATCH", "workers", "job-1")
        self.assertEqual(member.next_message(3), ("__gdispatch__:workers", "job-1"))
        self.assertEqual(watcher.next_message(3), ("__gdispatch__:workers", "job-1"))
        # Each connection takes the message once.
        self.assertEqual(member.messages(0.3), [])
        self.assertEqual(watcher.messages(0.1), [])

        # The process registered under the group's name gets it too, on its own node.
        holder = self.subscriber(c, 3)
        holder.conn.call("GREG", "workers")
        holder.subscribe("x")
        self.wait_until(lambda: c.call(1, "GLOOKUP", "workers") is not None,
                        what="registration on node1")
        sender.call("GDISPATCH", "workers", "job-2")
        self.assertEqual(member.next_message(3), ("__gdispatch__:workers", "job-2"))
        self.assertEqual(holder.next_message(3), ("__gdispatch__:workers", "job-2"))
        self.assertEqual(watcher.next_message(3), ("__gdispatch__:workers", "job-2"))
        self.assertIn(pid, {r[2] for r in self.assert_converged(c)})

    def test_gdispatch_reaches_resp3_member_on_another_node(self):
        c = self.start_cluster(3)
        probe = self.client(c, 2)
        if isinstance(probe.execute("HELLO", "3"), RespError):
            self.skipTest("this build has no HELLO 3")
        member = self.client(c, 2, protocol=3)
        member.call("GJOIN", "workers")
        self.wait_until(lambda: c.call(3, "GCOUNT", "workers") == 1, what="member on node3")
        self.client(c, 3).call("GDISPATCH", "workers", "push-me")
        frame = member.read_reply(3)
        self.assertIsInstance(frame, Push)
        self.assertEqual(list(frame), ["message", "__gdispatch__:workers", "push-me"])
        self.assert_converged(c)

    def test_gdispatch_in_named_cluster_reaches_members_in_that_cluster_only(self):
        c = self.start_cluster(3)
        for i in (1, 2):
            c.call(i, "GCONNECT", "blue")
        member = self.subscriber(c, 2)
        member.conn.call("GJOIN", "workers", "CLUSTER", "blue")
        member.subscribe("x")
        default_member = self.subscriber(c, 3)
        default_member.conn.call("GJOIN", "workers")
        default_member.subscribe("x")
        self.wait_until(lambda: c.call(1, "GCOUNT", "workers", "CLUSTER", "blue") == 1,
                        what="blue member on node1")
        self.client(c, 1).call("GDISPATCH", "workers", "blue-job", "CLUSTER", "blue")
        self.assertEqual(member.next_message(3), ("__gdispatch__@blue:workers", "blue-job"))
        self.assertEqual(default_member.messages(0.5), [])
        self.assert_converged(c, clusters=("blue",))

    def test_gdispatch_reaches_resp2_process_through_its_inbox_on_another_node(self):
        c = self.start_cluster(2)
        worker = self.client(c, 2)
        pid = worker.call("GPID")
        worker.call("GJOIN", "workers")
        inbox = self.subscriber(c, 2).subscribe("__ginbox__:" + pid)
        self.wait_until(lambda: c.call(1, "GCOUNT", "workers") == 1, what="member on node1")
        self.client(c, 1).call("GDISPATCH", "workers", "to-inbox")
        self.assertEqual(inbox.next_message(3), ("__ginbox__:" + pid, "to-inbox"))
        self.assert_converged(c)

    def test_publish_on_one_node_reaches_subscribers_on_every_other(self):
        c = self.start_cluster(3)
        sub2 = self.subscriber(c, 2).subscribe("news")
        psub3 = self.subscriber(c, 3).psubscribe("ne*")
        local = self.subscriber(c, 1).subscribe("news")
        self.client(c, 1).call("PUBLISH", "news", "hello")
        self.assertEqual(sub2.next_message(3), ("news", "hello"))
        self.assertEqual(psub3.next_message(3), ("news", "hello"))
        self.assertEqual(local.next_message(3), ("news", "hello"))
        # Published once: nobody gets a second copy relayed by another node.
        for s in (sub2, psub3, local):
            self.assertEqual(s.messages(0.3), [])
        self.assert_converged(c)


if __name__ == "__main__":
    cluster_case.main()
