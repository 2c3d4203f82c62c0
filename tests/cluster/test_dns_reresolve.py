"""A seed given as a host name is re-resolved every seed-resolve-interval while the node runs:
when the name starts pointing at another address, the node dials it, with no restart.

The name must change what it resolves to under a running node, without touching the machine's
/etc/hosts (shared with every other process) and without a DNS server. So node1 runs in a
private mount namespace (`unshare --mount`) in which a hosts file of this test is bind-mounted
over /etc/hosts; glibc reads /etc/hosts again on every lookup, so rewriting that file in place
(same inode: the bind mount follows the inode, a rename would not be seen) changes what
`seedname` resolves to for node1 alone. The seed carries a port, so the two nodes the name
points at in turn listen on the same peer port, on two loopback addresses (127.0.0.2 and
127.0.0.3; Linux routes all of 127.0.0.0/8 to lo).

This needs the right to make a mount namespace: root, or unprivileged user namespaces (then
node1 runs under `unshare --user --map-root-user`). Without either, the test fails and says why:
skipping would hide that the behaviour is untested.
"""

import os
import shutil
import subprocess
import time

import cluster_case
from cluster_case import Cluster, ClusterTestCase, HEARTBEAT_MS

SEED_NAME = "seedname"
ADDR_B = "127.0.0.2"
ADDR_C = "127.0.0.3"
RESOLVE_INTERVAL_MS = 200

# Runs as `sh -c SCRIPT hosts-file groupd config`: mounts $0 over /etc/hosts, then becomes the
# node (exec keeps the pid, so the launcher's pid is the node's).
MOUNT_AND_EXEC = 'mount --bind "$0" /etc/hosts && exec "$@"'


def write_in_place(path, text):
    """Replaces path's content keeping its inode, so a bind mount of it shows the new text."""
    with open(path, "r+") as f:
        f.seek(0)
        f.truncate()
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def hosts_text(addr):
    return "127.0.0.1 localhost\n::1 localhost\n%s %s\n" % (addr, SEED_NAME)


def unshare_prefix(hosts_path):
    """The argv prefix that runs a command with hosts_path as its /etc/hosts, and an error text
    (None when the prefix works here). Tries the prefix once on a harmless command."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "unshare(1) is not installed (Debian package util-linux)"
    if os.geteuid() == 0:
        base = [unshare, "--mount"]
    else:
        base = [unshare, "--user", "--map-root-user", "--mount"]
    prefix = base + ["sh", "-c", MOUNT_AND_EXEC, hosts_path]
    try:
        probe = subprocess.run(prefix + ["cat", "/etc/hosts"], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "%s failed: %s" % (" ".join(base), e)
    if probe.returncode != 0 or SEED_NAME not in probe.stdout:
        return None, ("cannot give a process its own /etc/hosts with `%s ... mount --bind` "
                      "(exit status %d: %s). Run as root, or enable unprivileged user namespaces "
                      "(sysctl kernel.unprivileged_userns_clone=1)." %
                      (" ".join(base), probe.returncode, probe.stderr.strip() or "no output"))
    return prefix, None


class DnsReresolveTest(ClusterTestCase):

    def test_seed_name_that_starts_resolving_to_another_node_is_dialed_without_a_restart(self):
        # node1 = A, seeded only with the name; node2 = B and node3 = C know no one and listen
        # on the same peer port at two addresses the name points to in turn.
        c = Cluster(3, peer_timeout=cluster_case.PEER_TIMEOUT_MS,
                    heartbeat_interval=HEARTBEAT_MS, keep_dir=True,
                    node_options={2: {"bind": ADDR_B, "seeds": None},
                                  3: {"bind": ADDR_C, "seeds": None}})
        self._clusters.append(c)
        self.addCleanup(c.close)
        os.makedirs(c.dir, exist_ok=True)
        hosts = os.path.join(c.dir, "hosts")
        with open(hosts, "w") as f:
            f.write(hosts_text(ADDR_B))
        prefix, why = unshare_prefix(hosts)
        if prefix is None:
            self.fail("this test needs a private mount namespace for node1: " + why)

        c.start_node(2)
        port = c.peer_port(2)
        c.node(3).peer_port = port  # Same peer port as node2, on the other address.
        c.start_node(3)
        self.assertEqual((c.host(3), c.peer_port(3)), (ADDR_C, port))
        c.node_options[1] = {"seeds": "%s:%d" % (SEED_NAME, port),
                             "seed-resolve-interval": RESOLVE_INTERVAL_MS}
        c.node(1).wrapper = prefix
        c.start_node(1)
        pid = c.node(1).pid

        # The name resolves to node2's address: node1 links with node2, and only with it.
        self.wait_equal(lambda: c.gnodes(1), ["node2"], timeout=10, what="node1's peers")
        self.assertEqual(c.gnodes(2), ["node1"])
        self.assertIn("discovered peer address %s:%d" % (ADDR_B, port), c.log(1))
        # Several re-resolutions later nothing else has been found (node3 is reachable only by
        # the name, and the name does not point at it yet).
        time.sleep(5 * RESOLVE_INTERVAL_MS / 1000.0)
        self.assertEqual(c.gnodes(1), ["node2"])
        self.assertEqual(c.gnodes(3), [])
        on_c = self.client(c, 3)
        self.assertEqual(on_c.call("GREG", "on-c", "META", "where", "node3"), "OK")
        self.assertIsNone(self.lookup_pid(c, 1, "on-c"))

        write_in_place(hosts, hosts_text(ADDR_C))
        changed = time.monotonic()
        self.wait_until(lambda: "node3" in c.gnodes(1) and "node1" in c.gnodes(3), timeout=10,
                        what="node1 and node3 linked after the name moved to %s" % ADDR_C)
        took = time.monotonic() - changed
        self.assertIn("discovered peer address %s:%d" % (ADDR_C, port), c.log(1))
        self.wait_until(lambda: self.lookup_pid(c, 1, "on-c"), timeout=5,
                        what="'on-c' (registered on node3) in node1's view")
        self.assertEqual(c.call(1, "GLOOKUP", "on-c")[1], ["where", "node3"])
        # The same process did it: no restart.
        self.assertEqual(c.node(1).pid, pid)
        self.assertTrue(c.node(1).alive())
        # node1 tells each of the others about the other, so the three form one mesh.
        c.wait_mesh(timeout=10)
        self.assert_converged(c)
        # Well within a few resolve intervals plus a handshake.
        self.assertLess(took, 5.0)


if __name__ == "__main__":
    cluster_case.main()
