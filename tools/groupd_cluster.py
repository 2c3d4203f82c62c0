#!/usr/bin/env python3
"""Starts a local groupd cluster: a command-line tool for humans and a library for tests.

Command line (nodes are numbered from 1, named node1..nodeN)::

    groupd_cluster.py start N [--base-port 7001] [--dir /tmp/groupd-cluster] [--bin PATH]
                              [--set option=value ...]
    groupd_cluster.py status|stop [--dir DIR]
    groupd_cluster.py kill|restart|pause|resume|stop-node I [--dir DIR]

`start` runs N nodes on 127.0.0.1 with client ports base..base+N-1 and peer ports 10000 higher,
every node seeded with node1's peer address, and prints one line per node. Each node has its own
directory DIR/nodeI holding groupd.conf (everything the node is started with: the process is
`groupd DIR/nodeI/groupd.conf`), groupd.log, groupd.pid, stderr and the ports file. DIR/cluster.json
records the layout so the other commands find the nodes. Nodes started from the command line
outlive it; `stop` ends them (SIGTERM, then SIGKILL after a grace period). `kill` is SIGKILL,
`restart` starts a stopped or killed node again with the same config (so the same ports),
`pause`/`resume` are SIGSTOP/SIGCONT.

Library::

    from groupd_cluster import Cluster
    with Cluster(3, proxies=True) as c:     # ephemeral ports, temporary directory
        c.start()                            # returns once every node has every other as a peer
        c.port(1), c.peer_port(2), c.name(3)
        c.kill(2); c.restart(2); c.pause(3); c.resume(3); c.stop_node(1)
        c.proxy.cut("node1", "node2")       # with proxies=True (see faultproxy.py)

Without base_port the nodes start on ephemeral ports; the ports they got are written back into
their config files, so restart() reuses them. With proxies=True every node announces a
FaultProxy listener as its peer address and is seeded with node1's proxy, so every peer link
passes through a proxy and can be cut or delayed.

Every process the library starts is tracked: close() stops them, an atexit hook kills any left
over, and the kernel kills them if the process that started them dies (PR_SET_PDEATHSIG), so no
node outlives its test. The groupd binary is $GROUPD_BIN, else build/server/groupd of this tree.
"""

import argparse
import atexit
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(TOOLS_DIR)
DEFAULT_BIN = os.path.join(SOURCE_ROOT, "build", "server", "groupd")
DEFAULT_DIR = "/tmp/groupd-cluster"
PEER_PORT_OFFSET = 10000
STARTUP_TIMEOUT_S = 10.0
STOP_GRACE_S = 5.0

_live_procs = {}  # pid -> Popen, every node process the library started and has not reaped.


def groupd_bin():
    return os.environ.get("GROUPD_BIN") or DEFAULT_BIN


def _kill_leftovers():
    for proc in list(_live_procs.values()):
        if proc.poll() is None:
            try:
                proc.kill()
                proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
    _live_procs.clear()


atexit.register(_kill_leftovers)


def _die_with_parent():
    # Runs in the child between fork and exec: the kernel SIGKILLs the node when the thread
    # that started it dies, even by a SIGKILL that no Python handler sees.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _ignore_sighup():
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # Survives exec, as nohup relies on.


# --- A minimal RESP call, enough for PING / GNODES / SHUTDOWN -----------------------------------

def _read_reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode("utf-8", "surrogateescape")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise ValueError("unexpected reply %r" % line)


def resp_call(port, *args, host="127.0.0.1", timeout=2.0):
    """Sends one command on a fresh connection and returns the RESP2 reply (errors returned as
    RuntimeError values). Raises OSError when the node does not answer."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            b = a if isinstance(a, bytes) else str(a).encode("utf-8", "surrogateescape")
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        s.sendall(b"".join(out))
        with s.makefile("rb") as f:
            return _read_reply(f)


def _quote(value):
    value = str(value)
    if value and not any(ch in value for ch in " \t\"'\\#"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _pid_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def _is_groupd(pid, config_path):
    """Guards against a recycled pid: the process must be running our node's config."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return config_path.encode() in argv


class Node:
    """One node's layout and process. Indexes start at 1."""

    def __init__(self, cluster, index):
        self.cluster = cluster
        self.index = index
        self.name = "node%d" % index
        self.dir = os.path.join(cluster.dir, self.name)
        self.config_path = os.path.join(self.dir, "groupd.conf")
        self.log_path = os.path.join(self.dir, "groupd.log")
        self.pid_path = os.path.join(self.dir, "groupd.pid")
        self.ports_path = os.path.join(self.dir, "ports")
        self.stderr_path = os.path.join(self.dir, "stderr")
        self.port = 0
        self.peer_port = 0
        self.proxy_port = None
        self.proc = None  # Popen when this process started the node.
        self.pid = None
        self.paused = False
        # Argv prefix the node is started through (e.g. an `unshare` that gives it its own
        # /etc/hosts); it must end by exec'ing the command it is given, so the pid stays the
        # node's. Library use only: not saved in cluster.json.
        self.wrapper = []

    @property
    def host(self):
        """The address the node's ports listen on: its `bind` option (127.0.0.1 unless a test
        sets another loopback address, or for a wildcard bind)."""
        bind = str(self.options().get("bind") or "")
        return "127.0.0.1" if bind in ("", "0.0.0.0", "::", "*") else bind

    @property
    def peer_address(self):
        """The address other nodes dial: the proxy's when there is one."""
        if self.proxy_port is not None:
            return "127.0.0.1:%d" % self.proxy_port
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s:%d" % (host, self.peer_port)

    def options(self):
        c = self.cluster
        seed = c.nodes[c.seed_index - 1]
        opts = {
            "bind": "127.0.0.1",
            "port": self.port,
            "peer-port": self.peer_port,
            "node-name": self.name,
            "logfile": self.log_path,
            "loglevel": c.loglevel,
            "ports-file": self.ports_path,
            "peer-timeout": c.peer_timeout,
            "heartbeat-interval": c.heartbeat_interval,
        }
        if seed is not self:
            opts["seeds"] = seed.peer_address
        if self.proxy_port is not None:
            opts["peer-announce"] = self.peer_address
        opts.update(c.options)
        opts.update(c.node_options.get(self.index, {}))
        return opts

    def write_config(self):
        os.makedirs(self.dir, exist_ok=True)
        lines = ["# Written by tools/groupd_cluster.py; restart reads it again."]
        for k, v in self.options().items():
            if v is not None:
                lines.append("%s %s" % (k, _quote(v)))
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def read_pid(self):
        try:
            with open(self.pid_path) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _pid_alive(pid) and _is_groupd(pid, self.config_path) else None

    def alive(self):
        if self.proc is not None:
            return self.proc.poll() is None
        pid = self.pid or self.read_pid()
        return pid is not None and _pid_alive(pid)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def to_json(self):
        return {"name": self.name, "dir": self.dir, "port": self.port,
                "peer_port": self.peer_port, "proxy_port": self.proxy_port}


class Cluster:
    """N local nodes. See the module docstring. Indexes are 1..N.

    n: node count. base_port: client port of node1 (peer ports are 10000 higher); None picks
    ephemeral ports. dir: parent of the node directories (default: a new temporary directory,
    removed by close() unless keep_dir or $GROUPD_KEEP_CLUSTER_DIR). binary: the groupd
    executable. proxies: put a FaultProxy (self.proxy) in front of every peer port.
    peer_timeout / heartbeat_interval: ms, for every node. options: extra groupd options for
    every node ({"shards": 4}); node_options: per node index ({2: {"cluster-secret": "x"}}),
    applied last. detach: command-line mode, nodes outlive this process and are not killed at
    exit. seed_index: the node every other one is seeded with.
    """

    def __init__(self, n=3, base_port=None, dir=None, binary=None, proxies=False,
                 peer_timeout=1000, heartbeat_interval=200, loglevel="info", options=None,
                 node_options=None, detach=False, seed_index=1, keep_dir=None):
        self.n = n
        self.base_port = base_port
        self.binary = binary or groupd_bin()
        self.peer_timeout = peer_timeout
        self.heartbeat_interval = heartbeat_interval
        self.loglevel = loglevel
        self.options = dict(options or {})
        self.node_options = {int(k): dict(v) for k, v in (node_options or {}).items()}
        self.detach = detach  # Command-line mode: nodes outlive this process.
        self.seed_index = seed_index
        self._own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="groupd-cluster-")
        if keep_dir is None:
            keep_dir = bool(os.environ.get("GROUPD_KEEP_CLUSTER_DIR")) or not self._own_dir
        self.keep_dir = keep_dir
        self.nodes = [Node(self, i + 1) for i in range(n)]
        self.proxy = None
        if proxies:
            if TOOLS_DIR not in sys.path:
                sys.path.insert(0, TOOLS_DIR)
            from faultproxy import FaultProxy  # Same folder as this file.
            self.proxy = FaultProxy()
            for node in self.nodes:
                node.proxy_port = self.proxy.add_node(node.name)
        if base_port is not None:
            for node in self.nodes:
                node.port = base_port + node.index - 1
                node.peer_port = node.port + PEER_PORT_OFFSET
        self._closed = False

    # --- Accessors ---------------------------------------------------------------------------

    def node(self, i):
        if not 1 <= i <= self.n:
            raise IndexError("node index %d out of 1..%d" % (i, self.n))
        return self.nodes[i - 1]

    def port(self, i):
        return self.node(i).port

    def peer_port(self, i):
        return self.node(i).peer_port

    def name(self, i):
        return self.node(i).name

    @property
    def names(self):
        return [n.name for n in self.nodes]

    def log(self, i):
        return self.node(i).log()

    def host(self, i):
        return self.node(i).host

    def call(self, i, *args, timeout=2.0):
        return resp_call(self.port(i), *args, host=self.host(i), timeout=timeout)

    # --- Lifecycle ---------------------------------------------------------------------------

    def start(self, wait_mesh=True, timeout=15.0):
        """Starts every node (node seed_index first, so its port is known to the others) and,
        with wait_mesh, waits until each lists every other in GNODES."""
        os.makedirs(self.dir, exist_ok=True)
        seed = self.node(self.seed_index)
        self.start_node(seed.index)
        others = [n for n in self.nodes if n is not seed]
        for node in others:
            self._launch(node)
        for node in others:
            self._wait_ready(node)
        self.save_layout()
        if wait_mesh:
            self.wait_mesh(timeout=timeout)
        return self

    def start_node(self, i):
        node = self.node(i)
        self._launch(node)
        self._wait_ready(node)
        self.save_layout()
        return node

    def restart(self, i, wait=True):
        """Starts node i again (stopping it first if it runs) with the same config and ports."""
        node = self.node(i)
        if node.alive():
            self.stop_node(i)
        self._launch(node)
        if wait:
            self._wait_ready(node)
        return node

    def _launch(self, node):
        if node.alive():
            raise RuntimeError("%s is already running (pid %s)" % (node.name, node.pid))
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError("groupd binary not found or not executable: %s "
                               "(set GROUPD_BIN or build the 'groupd' target)" % self.binary)
        if not os.path.exists(node.config_path):
            node.write_config()  # A restart keeps the config (and ports) the node had.
        for path in (node.ports_path, node.pid_path):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        with open(node.stderr_path, "ab") as err:
            # A detached node runs in its own session, immune to SIGHUP like nohup: its
            # process group is orphaned once this command exits, and the kernel sends SIGHUP to
            # an orphaned group with a stopped member, so `pause` then `resume` would kill it.
            kwargs = {"start_new_session": True, "preexec_fn": _ignore_sighup} if self.detach \
                else {"preexec_fn": _die_with_parent}
            node.proc = subprocess.Popen(list(node.wrapper) + [self.binary, node.config_path],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=err, close_fds=True, **kwargs)
        node.pid = node.proc.pid
        node.paused = False
        if not self.detach:
            _live_procs[node.pid] = node.proc
        with open(node.pid_path, "w") as f:
            f.write("%d\n" % node.pid)

    def _wait_ready(self, node, timeout=STARTUP_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            if node.proc is not None and node.proc.poll() is not None:
                raise RuntimeError("%s exited with status %s during startup:\n%s" % (
                    node.name, node.proc.returncode, self._tail(node)))
            if time.monotonic() > deadline:
                raise RuntimeError("%s did not start within %.0fs:\n%s" % (
                    node.name, timeout, self._tail(node)))
            try:
                with open(node.ports_path) as f:
                    port, peer_port = (int(x) for x in f.read().split())
                break
            except (OSError, ValueError):
                time.sleep(0.02)
        if node.port != port or node.peer_port != peer_port:
            # Ephemeral ports: keep the ones the node got, so a restart binds them again.
            node.port, node.peer_port = port, peer_port
            node.write_config()
        if self.proxy is not None:
            self.proxy.set_upstream(node.name, peer_port)
        while True:
            try:
                # Any reply will do: the node is parsing commands.
                resp_call(port, "PING", host=node.host, timeout=1.0)
                return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("%s does not answer PING:\n%s" % (node.name, self._tail(node)))
            time.sleep(0.02)

    def _tail(self, node, lines=30):
        out = []
        for path in (node.stderr_path, node.log_path):
            try:
                with open(path, errors="replace") as f:
                    text = f.read().splitlines()[-lines:]
                if text:
                    out.append("--- %s\n%s" % (path, "\n".join(text)))
            except OSError:
                pass
        return "\n".join(out) or "(no output)"

    def _signal(self, node, sig):
        pid = node.pid if node.proc is not None else node.read_pid()
        if pid is None or not node.alive():
            raise RuntimeError("%s is not running" % node.name)
        os.kill(pid, sig)
        return pid

    def kill(self, i):
        """SIGKILL: the node dies without telling its peers."""
        node = self.node(i)
        self._signal(node, signal.SIGKILL)
        self._reap(node, STOP_GRACE_S)

    def pause(self, i):
        node = self.node(i)
        self._signal(node, signal.SIGSTOP)
        node.paused = True

    def resume(self, i):
        node = self.node(i)
        self._signal(node, signal.SIGCONT)
        node.paused = False

    def stop_node(self, i, grace=STOP_GRACE_S):
        """SIGTERM (a clean shutdown that tells the peers), then SIGKILL after grace seconds."""
        node = self.node(i)
        if not node.alive():
            self._reap(node, 0)
            return
        pid = self._signal(node, signal.SIGTERM)
        if node.paused:
            os.kill(pid, signal.SIGCONT)
            node.paused = False
        if not self._reap(node, grace):
            os.kill(pid, signal.SIGKILL)
            self._reap(node, grace)

    def _reap(self, node, timeout):
        """Waits up to timeout for node to exit; True if it did."""
        deadline = time.monotonic() + timeout
        pid = node.pid or node.read_pid()
        while True:
            if node.proc is not None:
                if node.proc.poll() is not None:
                    break
            elif pid is None or not _pid_alive(pid):
                break
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        if node.proc is not None:
            _live_procs.pop(node.proc.pid, None)
        node.proc = None
        node.pid = None
        node.paused = False
        try:
            os.unlink(node.pid_path)
        except FileNotFoundError:
            pass
        return True

    def stop(self):
        """Stops every node: SIGTERM to all at once, then SIGKILL to any still up."""
        running = [n for n in self.nodes if n.alive()]
        for node in running:
            try:
                pid = self._signal(node, signal.SIGTERM)
                if node.paused:
                    os.kill(pid, signal.SIGCONT)
            except (RuntimeError, OSError):
                pass
        for node in running:
            if not self._reap(node, STOP_GRACE_S):
                try:
                    os.kill(node.pid or node.read_pid(), signal.SIGKILL)
                except (OSError, TypeError):
                    pass
                self._reap(node, STOP_GRACE_S)

    def close(self):
        """Stops every node and the proxy; removes a temporary directory unless kept."""
        if self._closed:
            return
        self._closed = True
        try:
            self.stop()
        finally:
            if self.proxy is not None:
                self.proxy.close()
            if self._own_dir and not self.keep_dir:
                shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- Observation -------------------------------------------------------------------------

    def gnodes(self, i):
        reply = self.call(i, "GNODES")
        if isinstance(reply, Exception):
            raise reply
        return sorted(reply)

    def wait_mesh(self, nodes=None, timeout=15.0):
        """Waits until each of `nodes` (indexes; default: every running, unpaused node) lists
        exactly the others in GNODES."""
        if nodes is None:
            nodes = [n.index for n in self.nodes if n.alive() and not n.paused]
        want = {i: sorted(self.name(j) for j in nodes if j != i) for i in nodes}
        deadline = time.monotonic() + timeout
        while True:
            got = {}
            for i in nodes:
                try:
                    got[i] = self.gnodes(i)
                except (OSError, RuntimeError) as e:
                    got[i] = repr(e)
            if got == want:
                return
            if time.monotonic() > deadline:
                raise AssertionError("no full mesh within %.1fs: want %r, got %r" %
                                     (timeout, want, got))
            time.sleep(0.05)

    def save_layout(self):
        layout = {"binary": self.binary, "base_port": self.base_port,
                  "nodes": [n.to_json() for n in self.nodes]}
        tmp = os.path.join(self.dir, "cluster.json.tmp")
        with open(tmp, "w") as f:
            json.dump(layout, f, indent=2)
        os.rename(tmp, os.path.join(self.dir, "cluster.json"))

    @classmethod
    def load(cls, dir):
        """The cluster a command-line `start` left in dir (its nodes may or may not run)."""
        with open(os.path.join(dir, "cluster.json")) as f:
            layout = json.load(f)
        c = cls(len(layout["nodes"]), base_port=layout.get("base_port"), dir=dir,
                binary=layout["binary"], detach=True)
        for node, saved in zip(c.nodes, layout["nodes"]):
            node.port, node.peer_port = saved["port"], saved["peer_port"]
            node.pid = node.read_pid()
            node.paused = node.pid is not None and _pid_state(node.pid) == "T"
        return c

    def status_lines(self):
        lines = []
        for node in self.nodes:
            pid = node.pid or node.read_pid()
            if pid is None or not _pid_alive(pid):
                state, peers = "stopped", "-"
            elif _pid_state(pid) == "T":
                state, peers = "paused", "-"
            else:
                state = "running"
                try:
                    peers = ",".join(self.gnodes(node.index)) or "(none)"
                except (OSError, RuntimeError) as e:
                    state, peers = "not answering", str(e)
            lines.append("%-7s %-13s pid %-7s port %-5d peer %-5d peers %s  dir %s" % (
                node.name, state, pid or "-", node.port, node.peer_port, peers, node.dir))
        return lines


# --- Command line ------------------------------------------------------------------------------

def _parse_set(values):
    opts = {}
    for v in values or []:
        if "=" not in v:
            raise SystemExit("--set takes option=value, got %r" % v)
        k, val = v.split("=", 1)
        opts[k] = val
    return opts


def main(argv=None):
    p = argparse.ArgumentParser(description="Run a local groupd cluster.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("Library::")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def with_dir(sp):
        sp.add_argument("--dir", default=DEFAULT_DIR, help="cluster directory (%(default)s)")
        return sp

    s = with_dir(sub.add_parser("start", help="start N nodes"))
    s.add_argument("n", type=int)
    s.add_argument("--base-port", type=int, default=7001)
    s.add_argument("--bin", default=None, help="groupd binary ($GROUPD_BIN or build/server/groupd)")
    s.add_argument("--peer-timeout", type=int, default=5000)
    s.add_argument("--heartbeat-interval", type=int, default=500)
    s.add_argument("--loglevel", default="info")
    s.add_argument("--set", action="append", metavar="OPTION=VALUE",
                   help="extra groupd option for every node (repeatable)")
    with_dir(sub.add_parser("stop", help="stop every node (SIGTERM, then SIGKILL)"))
    with_dir(sub.add_parser("status", help="show each node's state and peers"))
    for cmd, what in (("kill", "SIGKILL node I"), ("restart", "restart node I (same config)"),
                      ("pause", "SIGSTOP node I"), ("resume", "SIGCONT node I"),
                      ("stop-node", "stop node I (SIGTERM, then SIGKILL)")):
        sp = with_dir(sub.add_parser(cmd, help=what))
        sp.add_argument("i", type=int)
    args = p.parse_args(argv)

    if args.cmd == "start":
        if os.path.exists(os.path.join(args.dir, "cluster.json")):
            old = Cluster.load(args.dir)
            if any(n.alive() for n in old.nodes):
                raise SystemExit("a cluster is already running in %s (stop it first)" % args.dir)
            shutil.rmtree(args.dir)
        c = Cluster(args.n, base_port=args.base_port, dir=args.dir, binary=args.bin,
                    peer_timeout=args.peer_timeout, heartbeat_interval=args.heartbeat_interval,
                    loglevel=args.loglevel, options=_parse_set(args.set), detach=True)
        try:
            c.start(wait_mesh=True)
        except BaseException:
            c.stop()
            raise
        for line in c.status_lines():
            print(line)
        return 0

    if not os.path.exists(os.path.join(args.dir, "cluster.json")):
        raise SystemExit("no cluster in %s" % args.dir)
    c = Cluster.load(args.dir)
    if args.cmd == "stop":
        c.stop()
        print("stopped %d nodes" % c.n)
    elif args.cmd == "status":
        for line in c.status_lines():
            print(line)
    else:
        i = args.i
        try:
            if args.cmd == "kill":
                c.kill(i)
            elif args.cmd == "restart":
                c.restart(i)
            elif args.cmd == "pause":
                c.pause(i)
            elif args.cmd == "resume":
                c.resume(i)
            elif args.cmd == "stop-node":
                c.stop_node(i)
        except (RuntimeError, IndexError) as e:
            raise SystemExit("%s: %s" % (args.cmd, e))
        c.save_layout()
        for line in c.status_lines():
            if line.startswith(c.name(i) + " "):
                print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
