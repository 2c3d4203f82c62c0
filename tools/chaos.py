#!/usr/bin/env python3
"""Chaos test: five groupd nodes behind fault proxies, under client load, with random faults.

    chaos.py [--seconds 300] [--seed N] [--bin PATH] [--workers 3 --threads 4] [--rate 600]
             [--conflict-action kill|unregister|mixed] [--keep] [--dir DIR] ...

Every node runs with --peer-timeout 1000 --heartbeat-interval 200 behind a FaultProxy
(tools/faultproxy.py), so every peer link can be cut, cut one way, stalled or delayed. The groupd
binary is --bin, else $GROUPD_BIN, else build/server/groupd of this tree.

Load. Worker processes (--workers), each with --threads threads; each thread is one client that
holds one connection at a time (RESP2 or RESP3, on a random node) plus a subscriber on its own
notice channel __gnotice__:<pid> on the same node. It registers random keys from a key space small
enough that registrations collide (GREG with META), re-registers keys it holds (new meta),
unregisters, joins / re-joins / leaves random groups, looks keys up, and now and then quits or
drops its connection and opens a new one. A quarter of the operations use the named cluster
'chaos'. A monitor process subscribes to __gevent__:* and __gevent__@chaos:* on every node but one
(reconnecting after restarts).

Faults, drawn from a random.Random seeded by the printed seed (--seed replays the schedule;
thread timing still varies): SIGKILL + restart of a node, a node that vanishes (its links stalled,
then SIGKILL and a quick restart, so its peers still hold the old links when it comes back),
SIGSTOP/SIGCONT pauses shorter and longer than the peer timeout, two-way partitions, one-way cuts
and delays, each undone after a random time. At most two nodes are down or paused at once.

The client model. Each connection keeps what it believes it holds, from its own replies only:
  - GREG +OK: it holds the key (with that meta) right after the command; -TAKEN: it does not.
  - GUNREG +OK / -NOTOWNER: it does not hold the key afterwards. GJOIN / GLEAVE likewise for
    memberships, which nothing but GLEAVE or the connection's end may take away.
  - A conflict eviction: RESP3 connections get the notice as a push frame in their own reply
    stream, so it is applied exactly where it happened. RESP2 connections only see it on their
    notice subscriber, a second socket: a notice drained after reply R_j was emitted no earlier
    than the loop turn of R_{j-1}, so it may precede or follow the last two commands. The model
    tries every order consistent with the replies (an eviction needs the key held; -TAKEN and
    -NOTOWNER need it not held; +OK of GUNREG needs it held) and keeps the key as held or not
    held when all orders agree, else marks it uncertain (counted; skipped by the checks). RESP3
    connections also check that a lookup on their own node agrees with what they hold.
  - A connection closed by the server, or whose node died, holds nothing any more.
Faults never change what a live connection holds, except conflict evictions, which must come
with a notice (and, with conflict-action kill, the connection's close).

At the end: faults stop, load stops, every link is healed, paused nodes resumed, dead nodes
restarted; then the nodes must form a full mesh and their views (GENTRIES, and GENTRIES CLUSTER
chaos) must become identical and stay unchanged for a quiet period (bounded). Checked:
  1. no node crashed (every node that was not killed on purpose is alive; restarts counted);
  2. every node's view is identical, for the default and the named cluster;
  3. no registry key appears twice, no (group, pid) twice, every row's node is its pid's node;
  4. no zombies: every pid in the views is an open worker connection on its node's current
     incarnation;
  5. nothing lost: for each open connection, its bookkeeping (keys and meta) equals the rows of its
     pid exactly (uncertain keys aside);
  6. every conflict loser was notified: each "unregistered" event with reason registry_conflict
     seen by a monitor names a pid whose connection got a notice for that key, or was closed, or
     had itself unregistered the key; conversely each notice is matched by such an event on the
     loser's node when a monitor watched that node for the connection's whole life; a connection
     the server closed while its node lived had a notice with action kill first; a key a
     connection found gone (-TAKEN / -NOTOWNER while it believed it held it) had a notice;
     monitors see consecutive event sequence numbers;
  7. memory: INFO used_memory per node after every client disconnected is near the baseline taken
     at start (and every view is empty by then).
A node that crashes is restarted at once so the run goes on; its exit status, log tail and (when
the kernel writes a core file into the run directory and gdb is installed) backtrace are
reported.
Figures are printed (duration, seed, ops by type, faults by type, conflicts, events, convergence
time, memory). Any violation makes the exit status 1 and keeps the run directory (node logs,
chaos.log with the fault timeline, worker-*.log with every client command, monitors.log with
the conflict events). Exit status: 0 all invariants hold, 1 violations, 2 an error of the tool
itself, 130 interrupted. Ctrl-C (or SIGTERM) stops everything started; if this process is
killed outright, the kernel kills its nodes and helper processes (PR_SET_PDEATHSIG).
"""

import argparse
import collections
import copy
import ctypes
import json
import multiprocessing
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(TOOLS_DIR)
for _p in (TOOLS_DIR, os.path.join(SOURCE_ROOT, "tests", "cluster")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from groupd_cluster import Cluster, groupd_bin  # noqa: E402
from resp import ConnectionClosed, RespClient, RespError  # noqa: E402

NODES = 5
PEER_TIMEOUT_MS = 1000
HEARTBEAT_MS = 200
NAMED = "chaos"
MAX_DOWN = 2  # Nodes down or paused at the same time.

# --- Helpers shared by every process ------------------------------------------------------------


def _die_with_parent():
    """The kernel kills this process when the thread that started it dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _wall():
    t = time.time()
    return time.strftime("%H:%M:%S", time.localtime(t)) + ".%03d" % int(t % 1 * 1000)


def pid_incarnation(pid):
    """'<id>.<incarnation>@<node>' -> (node, incarnation)."""
    head, _, node = pid.partition("@")
    return node, head.partition(".")[2]


def meta_of(flat):
    if isinstance(flat, dict):
        return dict(flat)
    return dict(zip(flat[::2], flat[1::2])) if flat else {}


def _drain_nonblocking(client):
    """Every whole frame already received on client's socket, without waiting.
    Raises ConnectionClosed when the server closed it."""
    frames = []
    while True:
        parsed = client._parse(0)  # noqa: SLF001 - resp.RespClient's own parser.
        if parsed is not None:
            value, end = parsed
            del client._buf[:end]  # noqa: SLF001
            frames.append(value)
            continue
        readable, _, _ = select.select([client.sock], [], [], 0)
        if not readable:
            return frames
        data = client.sock.recv(65536)
        if not data:
            raise ConnectionClosed("connection closed by server")
        client._buf += data  # noqa: SLF001


def _notice(frame):
    """(channel, payload dict) of a __gnotice__ message frame (RESP2 array or RESP3 push)."""
    if isinstance(frame, list) and len(frame) == 3 and frame[0] == "message" and \
            isinstance(frame[1], str) and frame[1].startswith("__gnotice__:"):
        try:
            return frame[1], json.loads(frame[2])
        except (ValueError, TypeError):
            return frame[1], {"unparsed": frame[2]}
    return None


class _Log:
    """A line log shared by threads; every line starts with seconds since the run began and the
    wall clock, so it lines up with the node logs."""

    def __init__(self, path, t0):
        self.f = open(path, "a", buffering=1 << 16)
        self.t0 = t0
        self.lock = threading.Lock()

    def __call__(self, text):
        line = "%9.3f %s %s\n" % (time.monotonic() - self.t0, _wall(), text)
        with self.lock:
            self.f.write(line)

    def close(self):
        with self.lock:
            self.f.close()


# --- Client model -------------------------------------------------------------------------------

CLOSED = object()  # What Worker.exec returns when the connection is gone.

# What a reply about key k says: the state after the command and the state it requires before.
# (None: any.)
CMD_RULES = {"greg_ok": (True, None), "taken": (False, False), "unreg_ok": (False, True),
             "notowner": (False, False)}


class Conn:
    """One worker connection and what it believes it holds."""

    def __init__(self, node, proto):
        self.node = node
        self.proto = proto
        self.pid = None
        self.client = None
        self.sub = None
        self.sub_closed = False
        self.held = {}  # (cluster, kind, key) -> meta dict; cluster "" is the default one.
        self.uncertain = set()  # Registry keys the model cannot decide (RESP2 only).
        # The last two commands: (kid, rule, belief before) for GREG / GUNREG, else None.
        self.recent = collections.deque(maxlen=2)
        self.inband = []  # Notices pushed on the connection itself: (cluster, key, action).
        self.subnotices = []  # Notices on the notice subscriber: (cluster, key, action).
        self.silent = []  # Keys found gone by a reply while believed held.
        self.released = set()  # Keys this connection unregistered itself (GUNREG +OK).
        self.anomalies = []  # Replies that contradict the model (reported as violations).
        self.created = None
        self.closed = None  # None while open; else "server", "client", "timeout", "setup".
        self.closed_at = None
        self.ops = 0

    def belief(self, kid):
        if kid in self.uncertain:
            return None
        return kid in self.held

    def summary(self):
        return {"pid": self.pid, "node": self.node, "proto": self.proto, "closed": self.closed,
                "created": self.created, "closed_at": self.closed_at,
                "held": {k: dict(v) for k, v in self.held.items()},
                "uncertain": sorted(self.uncertain), "inband": list(self.inband),
                "subnotices": list(self.subnotices), "silent": list(self.silent),
                "released": sorted(self.released), "anomalies": list(self.anomalies),
                "ops": self.ops}


def resolve_notice(s_init, cmds):
    """The states a key can be in after a RESP2 notice (an eviction) whose place among the
    commands `cmds` ([rule, ...], oldest first) is unknown. s_init: the believed state before the
    first command (None: unknown). Returns the set of possible final states (empty: no order
    fits the replies)."""
    finals = set()
    for s0 in ([True, False] if s_init is None else [s_init]):
        for pos in range(len(cmds) + 1):
            s, ok = s0, True
            for idx in range(len(cmds) + 1):
                if idx == pos:
                    if not s:
                        ok = False
                        break
                    s = False
                if idx < len(cmds):
                    after, need = CMD_RULES[cmds[idx]]
                    if need is not None and s != need:
                        ok = False
                        break
                    s = after
            if ok:
                finals.add(s)
    return finals


class Worker:
    """One client thread: one connection at a time, random operations, exact bookkeeping."""

    WEIGHTS = {"greg": 30, "rereg": 8, "gunreg": 10, "gjoin": 14, "rejoin": 4, "gleave": 9,
               "lookup": 5, "reconnect": 1.5}
    MAX_REGS = 10
    MAX_GROUPS = 8

    def __init__(self, cfg, wid, node_up, stop, log):
        self.cfg = cfg
        self.wid = wid
        self.node_up = node_up
        self.stop = stop
        self.log = log
        self.rng = random.Random(cfg["seed"] * 1000003 + wid)
        self.conn = None
        self.done = []  # Summaries of closed connections.
        self.counts = collections.Counter()  # (op, outcome) -> n
        self.counter = 0
        self.error = None
        self.timeout = cfg["cmd_timeout"]

    # --- Running -----------------------------------------------------------------------------

    def run(self):
        try:
            per_thread = self.cfg["rate"] / max(1, self.cfg["threads_total"])
            interval = 1.0 / per_thread if per_thread > 0 else 0.0
            next_at = time.monotonic()
            while not self.stop.is_set():
                if self.conn is None and not self.connect():
                    time.sleep(0.05)
                    continue
                self.step()
                if interval:
                    next_at += interval
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    elif delay < -1.0:
                        next_at = time.monotonic()
        except Exception:  # noqa: BLE001 - reported to the main process as a tool error.
            self.error = traceback.format_exc()
            self.log("w%d crashed: %s" % (self.wid, self.error))

    def connect(self):
        n = self.cfg["nodes"]
        up = [i for i in range(1, n + 1) if self.node_up[i]]
        node = self.rng.choice(up or list(range(1, n + 1)))
        proto = 3 if self.rng.random() < self.cfg["resp3_ratio"] else 2
        port = self.cfg["ports"][node]
        c = Conn(node, proto)
        try:
            c.client = RespClient(port, protocol=proto, timeout=self.timeout)
            c.pid = c.client.call("GPID", timeout=self.timeout)
        except (OSError, RespError, ValueError):
            if c.client is not None:
                c.client.close()
            return False
        c.created = time.monotonic()
        try:
            c.sub = RespClient(port, timeout=self.timeout)
            c.sub.send("SUBSCRIBE", "__gnotice__:" + c.pid)
            while True:
                frame = c.sub.read_reply(self.timeout)
                if isinstance(frame, list) and frame and frame[0] == "subscribe":
                    break
                if isinstance(frame, RespError):
                    raise frame
        except (OSError, RespError, ValueError) as e:
            self.log("w%d %s setup failed: %r" % (self.wid, c.pid, e))
            c.client.close()
            if c.sub is not None:
                c.sub.close()
            c.closed, c.closed_at = "setup", time.monotonic()
            self.done.append(c.summary())
            return False
        self.conn = c
        self.counts[("connect", "resp%d" % proto)] += 1
        self.log("w%d %s connect node%d resp%d" % (self.wid, c.pid, node, proto))
        return True

    def step(self):
        c = self.conn
        regs = [k for k in c.held if k[1] == "registry"]
        groups = [k for k in c.held if k[1] == "pg"]
        w = dict(self.WEIGHTS)
        if len(regs) >= self.MAX_REGS:
            w["greg"] = 0
        if not regs:
            w["rereg"] = 0
        if not regs and not c.uncertain:
            w["gunreg"] = 0
        if len(groups) >= self.MAX_GROUPS:
            w["gjoin"] = 0
        if not groups:
            w["rejoin"] = w["gleave"] = 0
        ops = [k for k in w if w[k] > 0]
        op = self.rng.choices(ops, [w[k] for k in ops])[0]
        c.ops += 1
        if op == "greg":
            self.greg(("" if self.rng.random() >= self.cfg["named_ratio"] else NAMED, "registry",
                       "reg/%d" % self.rng.randrange(self.cfg["keys"])), op)
        elif op == "rereg":
            self.greg(self.rng.choice(sorted(regs)), op)
        elif op == "gunreg":
            self.gunreg(self.rng.choice(sorted(regs + list(c.uncertain))))
        elif op == "gjoin":
            self.gjoin(("" if self.rng.random() >= self.cfg["named_ratio"] else NAMED, "pg",
                        "grp/%d" % self.rng.randrange(self.cfg["groups"])), op)
        elif op == "rejoin":
            self.gjoin(self.rng.choice(sorted(groups)), op)
        elif op == "gleave":
            self.gleave(self.rng.choice(sorted(groups)))
        elif op == "lookup":
            self.lookup()
        elif op == "reconnect":
            self.reconnect()

    # --- Commands ----------------------------------------------------------------------------

    @staticmethod
    def _cluster_args(cluster):
        return ["CLUSTER", cluster] if cluster else []

    def exec(self, args):
        """Sends one command; returns its reply (errors as RespError values) or CLOSED. RESP3
        notice pushes that precede the reply are applied first, where they happened."""
        c = self.conn
        try:
            reply = c.client.execute(*args, timeout=self.timeout)
        except (socket.timeout, TimeoutError):
            self._apply_pushes()
            self.log("w%d %s %s -> TIMEOUT" % (self.wid, c.pid, " ".join(map(str, args))))
            self.close_conn("timeout")
            return CLOSED
        except (OSError, ValueError):  # ConnectionClosed is an OSError.
            self._apply_pushes()
            self.log("w%d %s %s -> CLOSED" % (self.wid, c.pid, " ".join(map(str, args))))
            self.close_conn("server")
            return CLOSED
        self._apply_pushes()
        self.log("w%d %s %s -> %s" % (self.wid, c.pid, " ".join(map(str, args)), reply))
        return reply

    def _apply_pushes(self):
        c = self.conn
        pushes, c.client.pushes = c.client.pushes, []
        for p in pushes:
            got = _notice(list(p))
            if got is None:
                c.anomalies.append("unexpected push frame %r" % (p,))
                continue
            _, n = got
            kid = (n.get("cluster") or "", "registry", n.get("key"))
            c.inband.append((kid[0], kid[2], n.get("action")))
            self.counts[("notice", "inband")] += 1
            self.log("w%d %s push notice %s" % (self.wid, c.pid, json.dumps(n)))
            if n.get("pid") != c.pid:
                c.anomalies.append("notice for another pid: %r" % (n,))
            elif c.belief(kid) is not True:
                c.anomalies.append("in-band notice for %r, which it did not hold" % (kid,))
            c.held.pop(kid, None)
            c.uncertain.discard(kid)

    def _after_command(self):
        """Records a command that is about no registry key (for the RESP2 notice ordering), then
        drains the notice subscriber."""
        self.conn.recent.append(None)
        self.drain_sub()

    def _record_rule(self, kid, rule, before):
        """Like _after_command, for a command about kid with the belief it had before."""
        c = self.conn
        c.recent.append((kid, rule, before))
        self.drain_sub()

    def drain_sub(self, sync=False, timeout=2.0):
        """Reads the notice subscriber: what has arrived (sync=False) or, with sync, everything
        published before a PING it sends now."""
        c = self.conn
        if c is None or c.sub_closed:
            return
        frames = []
        try:
            if sync:
                c.sub.send("PING")
                deadline = time.monotonic() + timeout
                while True:
                    frame = c.sub.read_reply(max(0.01, deadline - time.monotonic()))
                    if frame == ["pong", ""]:
                        break
                    frames.append(frame)
            else:
                frames = _drain_nonblocking(c.sub)
        except (OSError, ValueError):
            c.sub_closed = True
        notices = [n for n in (_notice(f) for f in frames) if n is not None]
        keys = collections.Counter((n.get("cluster") or "", n.get("key")) for _, n in notices)
        for _, n in notices:
            kid = (n.get("cluster") or "", "registry", n.get("key"))
            c.subnotices.append((kid[0], kid[2], n.get("action")))
            self.counts[("notice", "subscriber")] += 1
            self.log("w%d %s sub notice %s" % (self.wid, c.pid, json.dumps(n)))
            if n.get("pid") != c.pid:
                c.anomalies.append("notice for another pid: %r" % (n,))
                continue
            if c.proto == 3 or c.closed is not None:
                continue  # RESP3: applied from the push; closed: holds nothing anyway.
            self._apply_sub_notice(kid, many=keys[(kid[0], kid[2])] > 1)

    def _apply_sub_notice(self, kid, many):
        c = self.conn
        cmds = [r for r in c.recent if r is not None and r[0] == kid and r[1] is not None]
        s_init = cmds[0][2] if cmds else c.belief(kid)
        finals = resolve_notice(s_init, [r[1] for r in cmds])
        if many and len(finals) == 1 and True in finals:
            finals = {True, False}
        if finals == {False}:
            c.held.pop(kid, None)
            c.uncertain.discard(kid)
        elif finals == {True}:
            pass  # The eviction came before the re-registration that the last reply confirmed.
        elif finals:
            c.held.pop(kid, None)
            c.uncertain.add(kid)
            self.counts[("uncertain", "marked")] += 1
        else:
            # Impossible by the ordering argument above unless the kernel delivered the
            # notice later than a reply written after it; RESP3 connections check the same
            # thing exactly, so this is only counted.
            self.log("w%d %s notice for %r fits none of the replies (recent %r)" % (
                self.wid, c.pid, kid, list(c.recent)))
            self.counts[("uncertain", "unplaceable")] += 1
            c.held.pop(kid, None)
            c.uncertain.add(kid)

    def greg(self, kid, op):
        c = self.conn
        cluster, _, key = kid
        self.counter += 1
        meta = {"w": str(self.wid), "v": str(self.counter)}
        reply = self.exec(["GREG", key] + self._cluster_args(cluster) +
                          ["META", "w", meta["w"], "v", meta["v"]])
        if reply is CLOSED:
            self.counts[(op, "closed")] += 1
            return
        before = c.belief(kid)
        if reply == "OK":
            self.counts[(op, "ok")] += 1
            c.held[kid] = meta
            c.uncertain.discard(kid)
            self._record_rule(kid, "greg_ok", before)
        elif isinstance(reply, RespError) and reply.code == "TAKEN":
            self.counts[(op, "taken")] += 1
            if before is True:
                self._silent_loss(kid)
            c.held.pop(kid, None)
            c.uncertain.discard(kid)
            self._record_rule(kid, "taken", before)
        elif isinstance(reply, RespError) and reply.code == "NOCLUSTER" and before is not True:
            self.counts[(op, "nocluster")] += 1
            self._after_command()
        else:
            self.counts[(op, "unexpected")] += 1
            c.anomalies.append("GREG %r -> %r (believed %r)" % (kid, reply, before))
            self._after_command()

    def _silent_loss(self, kid):
        c = self.conn
        c.silent.append(kid)
        self.counts[("silent_loss", "resp%d" % c.proto)] += 1
        if c.proto == 3:
            # The push would have come before this reply.
            c.anomalies.append("lost %r without a push notice before the reply" % (kid,))

    def gunreg(self, kid):
        c = self.conn
        cluster, _, key = kid
        reply = self.exec(["GUNREG", key] + self._cluster_args(cluster))
        if reply is CLOSED:
            self.counts[("gunreg", "closed")] += 1
            return
        before = c.belief(kid)
        if reply == "OK":
            self.counts[("gunreg", "ok")] += 1
            if before is False:
                c.anomalies.append("GUNREG %r -> OK but it was not held" % (kid,))
            c.held.pop(kid, None)
            c.uncertain.discard(kid)
            c.released.add(kid)
            self._record_rule(kid, "unreg_ok", before)
        elif isinstance(reply, RespError) and reply.code == "NOTOWNER":
            self.counts[("gunreg", "notowner")] += 1
            if before is True:
                self._silent_loss(kid)
            c.held.pop(kid, None)
            c.uncertain.discard(kid)
            self._record_rule(kid, "notowner", before)
        else:
            self.counts[("gunreg", "unexpected")] += 1
            c.anomalies.append("GUNREG %r -> %r (believed %r)" % (kid, reply, before))
            self._after_command()

    def gjoin(self, kid, op):
        c = self.conn
        cluster, _, group = kid
        self.counter += 1
        meta = {"w": str(self.wid), "v": str(self.counter)}
        reply = self.exec(["GJOIN", group] + self._cluster_args(cluster) +
                          ["META", "w", meta["w"], "v", meta["v"]])
        if reply is CLOSED:
            self.counts[(op, "closed")] += 1
            return
        if reply == "OK":
            self.counts[(op, "ok")] += 1
            c.held[kid] = meta
        elif isinstance(reply, RespError) and reply.code == "NOCLUSTER" and kid not in c.held:
            self.counts[(op, "nocluster")] += 1
        else:
            self.counts[(op, "unexpected")] += 1
            c.anomalies.append("GJOIN %r -> %r" % (kid, reply))
        self._after_command()

    def gleave(self, kid):
        c = self.conn
        cluster, _, group = kid
        reply = self.exec(["GLEAVE", group] + self._cluster_args(cluster))
        if reply is CLOSED:
            self.counts[("gleave", "closed")] += 1
            return
        if reply == "OK":
            self.counts[("gleave", "ok")] += 1
        else:
            self.counts[("gleave", "unexpected")] += 1
            c.anomalies.append("GLEAVE %r -> %r: membership lost while connected" % (kid, reply))
        c.held.pop(kid, None)
        self._after_command()

    def lookup(self):
        c = self.conn
        cluster = "" if self.rng.random() >= self.cfg["named_ratio"] else NAMED
        key = "reg/%d" % self.rng.randrange(self.cfg["keys"])
        reply = self.exec(["GLOOKUP", key] + self._cluster_args(cluster))
        if reply is CLOSED:
            self.counts[("lookup", "closed")] += 1
            return
        if reply is None or (isinstance(reply, list) and len(reply) == 2):
            self.counts[("lookup", "ok")] += 1
            kid = (cluster, "registry", key)
            # A lookup shows this node's view, authoritative for its own processes. A RESP2
            # notice can still be on its way, so only RESP3 can tell for sure.
            mine = isinstance(reply, list) and reply[0] == c.pid
            if c.proto == 3 and mine and c.belief(kid) is False:
                c.anomalies.append("GLOOKUP %r shows this pid, which does not hold it" % (kid,))
            if c.proto == 3 and not mine and c.belief(kid) is True:
                c.anomalies.append("GLOOKUP %r -> %r on its own node, which should show this "
                                   "pid" % (kid, reply))
        elif isinstance(reply, RespError) and reply.code == "NOCLUSTER":
            self.counts[("lookup", "nocluster")] += 1
        else:
            self.counts[("lookup", "unexpected")] += 1
            c.anomalies.append("GLOOKUP %r -> %r" % (key, reply))
        self._after_command()

    def reconnect(self):
        c = self.conn
        if self.rng.random() < 0.5:
            reply = self.exec(["QUIT"])
            if reply is CLOSED:
                self.counts[("reconnect", "closed")] += 1
                return
            self.counts[("reconnect", "quit")] += 1
        else:
            self.counts[("reconnect", "drop")] += 1
            self.log("w%d %s drop connection" % (self.wid, c.pid))
        self.close_conn("client")

    def close_conn(self, reason):
        c = self.conn
        c.client.close()
        if reason == "server":
            # Every notice published before the close has reached the subscriber by the time a
            # PING sent now is answered (when its node still runs).
            self.drain_sub(sync=True)
        c.closed, c.closed_at = reason, time.monotonic()
        if c.sub is not None:
            c.sub.close()
        self.done.append(c.summary())
        self.conn = None

    # --- End of run --------------------------------------------------------------------------

    def report(self):
        """Brings the open connection up to date (a PING on it reads any pending push or the
        close; a PING on the subscriber reads every notice before it) and returns everything."""
        if self.conn is not None:
            reply = self.exec(["PING"])
            if reply is not CLOSED:
                self.conn.recent.append(None)
                self.drain_sub(sync=True, timeout=5.0)
        return {"wid": self.wid, "open": self.conn.summary() if self.conn else None,
                "closed": list(self.done), "counts": dict(self.counts), "error": self.error}

    def disconnect(self):
        if self.conn is not None:
            self.conn.client.close()
            if self.conn.sub is not None:
                self.conn.sub.close()
            self.conn = None


def _worker_process(cfg, wids, pipe, node_up):
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # The main process handles Ctrl-C.
    log = _Log(os.path.join(cfg["run_dir"], "worker-%d.log" % wids[0]), cfg["t0"])
    stop = threading.Event()
    workers = [Worker(cfg, wid, node_up, stop, log) for wid in wids]
    threads = [threading.Thread(target=w.run, name="w%d" % w.wid, daemon=True) for w in workers]
    for t in threads:
        t.start()
    pipe.send("started")
    try:
        while True:
            try:
                cmd = pipe.recv()
            except EOFError:
                break
            if cmd == "stop":
                stop.set()
                for t in threads:
                    t.join()
                pipe.send("stopped")
            elif cmd == "report":
                pipe.send([w.report() for w in workers])
            elif cmd == "disconnect":
                for w in workers:
                    w.disconnect()
                pipe.send("disconnected")
            elif cmd == "exit":
                break
    finally:
        log.close()


# --- Monitors -----------------------------------------------------------------------------------

class Monitor:
    """Subscribes to every event of one node (default and named cluster), reconnecting after the
    node restarts. Keeps counts, the registry_conflict evictions it saw and sequence gaps, per
    connection."""

    def __init__(self, cfg, node, stop, log):
        self.cfg = cfg
        self.node = node
        self.stop = stop
        self.log = log
        self.records = []
        self.counts = collections.Counter()  # (type, reason) -> n
        self.sync_req = threading.Event()
        self.sync_done = threading.Event()
        self.client = None
        self.rec = None
        self.error = None
        self.snapshot = None

    def run(self):
        try:
            while not self.stop.is_set():
                if self.client is None and not self._connect():
                    self._serve_sync()
                    time.sleep(0.1)
                    continue
                try:
                    frame = self.client.read_reply(0.2)
                    self._frame(frame)
                except (socket.timeout, TimeoutError):
                    pass
                except (OSError, ValueError):
                    self._lost()
                self._serve_sync()
        except Exception:  # noqa: BLE001
            self.error = traceback.format_exc()
        finally:
            if self.client is not None:
                self.client.close()

    def _connect(self):
        port = self.cfg["ports"][self.node]
        try:
            client = RespClient(port, timeout=5.0)
            pid = client.call("GPID")
            client.send("SUBSCRIBE", "__gevent__:*", "__gevent__@%s:*" % NAMED)
            seen = 0
            while seen < 2:
                frame = client.read_reply(5.0)
                if isinstance(frame, list) and frame and frame[0] == "subscribe":
                    seen += 1
        except (OSError, RespError, ValueError):
            return False
        self.client = client
        _, inc = pid_incarnation(pid)
        self.rec = {"node": self.node, "pid": pid, "incarnation": inc,
                    "subscribed_at": time.monotonic(), "closed_at": None, "events": 0,
                    "conflicts": [], "gaps": [], "last_seq": None}
        self.records.append(self.rec)
        self.log("monitor node%d subscribed as %s" % (self.node, pid))
        return True

    def _lost(self):
        self.client.close()
        self.client = None
        self.rec["closed_at"] = time.monotonic()
        self.log("monitor node%d lost its connection" % self.node)

    def _frame(self, frame):
        if not (isinstance(frame, list) and len(frame) == 3 and frame[0] == "message"):
            return
        try:
            ev = json.loads(frame[2])
        except ValueError:
            self.counts[("unparsed", None)] += 1
            return
        rec = self.rec
        rec["events"] += 1
        self.counts[(ev.get("type"), ev.get("reason"))] += 1
        seq = ev.get("seq")
        if rec["last_seq"] is not None and seq != rec["last_seq"] + 1:
            rec["gaps"].append((rec["last_seq"], seq))
        rec["last_seq"] = seq
        if ev.get("type") == "unregistered" and ev.get("reason") == "registry_conflict":
            rec["conflicts"].append((ev.get("cluster") or "", ev.get("key"), ev.get("pid")))
            self.log("monitor node%d %s" % (self.node, frame[2]))

    def _serve_sync(self):
        """Answers a sync request: every event published before a PING sent now is read."""
        if not self.sync_req.is_set():
            return
        if self.client is not None:
            try:
                self.client.send("PING")
                deadline = time.monotonic() + 10.0
                while True:
                    frame = self.client.read_reply(max(0.01, deadline - time.monotonic()))
                    if frame == ["pong", ""]:
                        break
                    self._frame(frame)
            except (OSError, ValueError):
                self._lost()
        # The report is copied here, on the thread that changes it.
        self.snapshot = {"node": self.node, "records": copy.deepcopy(self.records),
                         "counts": dict(self.counts), "error": self.error}
        self.sync_req.clear()
        self.sync_done.set()

    def sync(self, timeout=15.0):
        self.sync_done.clear()
        self.sync_req.set()
        return self.sync_done.wait(timeout)


def _monitor_process(cfg, nodes, pipe):
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = _Log(os.path.join(cfg["run_dir"], "monitors.log"), cfg["t0"])
    stop = threading.Event()
    mons = [Monitor(cfg, i, stop, log) for i in nodes]
    threads = [threading.Thread(target=m.run, daemon=True) for m in mons]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not all(m.records for m in mons):
        time.sleep(0.05)
    pipe.send("started" if all(m.records for m in mons) else "not subscribed")
    try:
        while True:
            try:
                cmd = pipe.recv()
            except EOFError:
                break
            if cmd == "report":
                reports = []
                for m in mons:
                    if m.sync():
                        reports.append(m.snapshot)
                    else:
                        reports.append({"node": m.node, "records": [], "counts": {},
                                        "error": m.error or "monitor did not answer a sync"})
                pipe.send(reports)
            elif cmd == "exit":
                break
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        log.close()


# --- Faults -------------------------------------------------------------------------------------

class Faults:
    """Injects and undoes faults on the main thread (nodes must be started by a thread that
    lives as long as they do: the launcher ties them to it with PR_SET_PDEATHSIG)."""

    WEIGHTS = {"kill": 2, "vanish": 1, "pause_short": 2, "pause_long": 2, "partition": 3,
               "one_way": 2, "delay": 2}

    def __init__(self, cluster, rng, node_up, log, args):
        self.c = cluster
        self.rng = rng
        self.node_up = node_up
        self.log = log
        self.args = args
        self.n = cluster.n
        self.state = {i: "up" for i in range(1, self.n + 1)}  # up / paused / down
        self.busy_nodes = set()
        self.busy_pairs = set()
        self.pending = []  # (due, seq, fn, description)
        self._seq = 0
        self.counts = collections.Counter()
        self.restarts = collections.Counter()
        self.crashes = []
        self.errors = []
        self.incarnations = {i: [] for i in range(1, self.n + 1)}

    # --- Bookkeeping ---------------------------------------------------------------------------

    def _later(self, delay, fn, what):
        self._seq += 1
        self.pending.append((time.monotonic() + delay, self._seq, fn, what))

    def run_due(self, now=None, everything=False):
        now = time.monotonic() if now is None else now
        while True:
            due = [p for p in self.pending if everything or p[0] <= now]
            if not due:
                return
            first = min(due)
            self.pending.remove(first)
            self.log("undo: %s" % first[3])
            first[2]()

    def record_incarnation(self, i):
        try:
            pid = self.c.call(i, "GPID", timeout=5.0)
            inc = pid_incarnation(pid)[1]
        except OSError as e:
            self.errors.append("GPID on node%d after start: %r" % (i, e))
            return
        self.incarnations[i].append(inc)
        self.log("node%d incarnation %s" % (i, inc))

    def connect_named(self, i):
        try:
            reply = self.c.call(i, "GCONNECT", NAMED, timeout=5.0)
            if reply != "OK":
                self.errors.append("GCONNECT %s on node%d: %r" % (NAMED, i, reply))
        except OSError as e:
            self.errors.append("GCONNECT %s on node%d: %r" % (NAMED, i, e))

    def check_crashes(self):
        for i in range(1, self.n + 1):
            if self.state[i] == "down":
                continue
            node = self.c.node(i)
            if node.proc is not None and node.proc.poll() is None:
                continue
            code = node.proc.returncode if node.proc is not None else None
            pid = node.proc.pid if node.proc is not None else None
            tail = _tail(node.stderr_path, 20) + _tail(node.log_path, 20)
            bt = _backtrace(self.c.binary, pid, "node%d-%d" % (i, len(self.crashes) + 1))
            self.crashes.append({"node": i, "code": code, "at": _wall(), "tail": tail, "bt": bt})
            self.log("CRASH node%d exit status %s\n%s%s" % (i, code, tail, bt))
            self.c._reap(node, 0)  # noqa: SLF001 - forget the dead process.
            self.state[i] = "down"
            self.node_up[i] = 0
            self.busy_nodes.add(i)
            self._later(0.2, lambda i=i: self._restart(i), "restart crashed node%d" % i)

    # --- Node faults ---------------------------------------------------------------------------

    def _down_count(self):
        return sum(1 for s in self.state.values() if s != "up")

    def _free_node(self):
        free = [i for i in range(1, self.n + 1) if i not in self.busy_nodes and
                self.state[i] == "up"]
        if not free or self._down_count() >= MAX_DOWN:
            return None
        return self.rng.choice(free)

    def _restart(self, i, attempt=0):
        try:
            self.c.restart(i)
        except (RuntimeError, OSError) as e:
            self.errors.append("restart of node%d failed: %s" % (i, e))
            self.log("restart of node%d failed: %s" % (i, e))
            if attempt < 5:
                self._later(1.0, lambda: self._restart(i, attempt + 1), "retry restart node%d" % i)
            return
        self.restarts[i] += 1
        self.connect_named(i)
        self.record_incarnation(i)
        self.state[i] = "up"
        self.node_up[i] = 1
        self.busy_nodes.discard(i)
        self.log("node%d restarted" % i)

    def kill(self):
        i = self._free_node()
        if i is None:
            return False
        self.c.kill(i)  # Raises when the node died on its own: check_crashes() handles that.
        self.busy_nodes.add(i)
        self.node_up[i] = 0
        self.state[i] = "down"
        delay = self.rng.uniform(0.3, 3.0)
        self.log("fault kill node%d (restart in %.1fs)" % (i, delay))
        self._later(delay, lambda: self._restart(i), "restart node%d" % i)
        return True

    def vanish(self):
        i = self._free_node()
        if i is None:
            return False
        pairs = [frozenset((i, j)) for j in range(1, self.n + 1) if j != i]
        if any(p in self.busy_pairs for p in pairs):
            return False
        for p in pairs:
            a, b = sorted(p)
            self.c.proxy.stall(self.c.name(a), self.c.name(b))
        try:
            self.c.kill(i)
        except RuntimeError:
            self._heal_pairs(pairs)
            raise
        self.busy_nodes.add(i)
        self.busy_pairs.update(pairs)
        self.node_up[i] = 0
        self.state[i] = "down"
        delay = self.rng.uniform(0.1, 0.6)
        heal_after = self.rng.uniform(1.0, 3.0)
        self.log("fault vanish node%d: links stalled, killed (restart in %.1fs)" % (i, delay))

        def restart_then_heal():
            self._restart(i)
            self._later(heal_after, lambda: self._heal_pairs(pairs),
                        "heal stalled links of node%d" % i)
        self._later(delay, restart_then_heal, "restart vanished node%d" % i)
        return True

    def pause(self, long):
        i = self._free_node()
        if i is None:
            return False
        self.c.pause(i)
        self.busy_nodes.add(i)
        self.node_up[i] = 0
        self.state[i] = "paused"
        delay = self.rng.uniform(1.5, 4.0) if long else self.rng.uniform(0.15, 0.7)
        self.log("fault pause node%d for %.2fs" % (i, delay))
        self._later(delay, lambda: self._resume(i), "resume node%d" % i)
        return True

    def _resume(self, i):
        if self.state[i] == "paused":
            self.c.resume(i)
            self.state[i] = "up"
            self.node_up[i] = 1
        self.busy_nodes.discard(i)

    # --- Link faults ---------------------------------------------------------------------------

    def _heal_pairs(self, pairs):
        for p in pairs:
            a, b = sorted(p)
            self.c.proxy.heal(self.c.name(a), self.c.name(b))
            self.busy_pairs.discard(p)

    def partition(self):
        nodes = list(range(1, self.n + 1))
        side = set(self.rng.sample(nodes, self.rng.randint(1, self.n // 2)))
        pairs = [frozenset((a, b)) for a in side for b in nodes if b not in side]
        if any(p in self.busy_pairs for p in pairs):
            return False
        self.busy_pairs.update(pairs)
        for p in pairs:
            a, b = sorted(p)
            self.c.proxy.cut(self.c.name(a), self.c.name(b))
        delay = self.rng.uniform(1.0, 6.0)
        self.log("fault partition %s | %s for %.1fs" % (
            sorted(side), sorted(set(nodes) - side), delay))
        self._later(delay, lambda: self._heal_pairs(pairs), "heal partition %s" % sorted(side))
        return True

    def one_way(self):
        src = self.rng.randint(1, self.n)
        others = [j for j in range(1, self.n + 1) if j != src]
        dsts = self.rng.sample(others, self.rng.randint(1, 2))
        pairs = [frozenset((src, d)) for d in dsts]
        if any(p in self.busy_pairs for p in pairs):
            return False
        self.busy_pairs.update(pairs)
        outgoing = self.rng.random() < 0.5
        for d in dsts:
            if outgoing:
                self.c.proxy.cut_one_way(self.c.name(src), self.c.name(d))
            else:
                self.c.proxy.cut_one_way(self.c.name(d), self.c.name(src))
        delay = self.rng.uniform(1.0, 4.0)
        self.log("fault one-way %s node%d %s %s for %.1fs" % (
            "from" if outgoing else "to", src, "->" if outgoing else "<-", dsts, delay))
        self._later(delay, lambda: self._heal_pairs(pairs), "heal one-way cut of node%d" % src)
        return True

    def delay(self):
        nodes = list(range(1, self.n + 1))
        all_pairs = [frozenset((a, b)) for a in nodes for b in nodes if a < b]
        free = [p for p in all_pairs if p not in self.busy_pairs]
        if not free:
            return False
        pairs = self.rng.sample(free, min(len(free), self.rng.randint(1, 4)))
        self.busy_pairs.update(pairs)
        desc = []
        for p in pairs:
            a, b = sorted(p)
            ms = self.rng.randint(20, 400)
            self.c.proxy.delay(self.c.name(a), self.c.name(b), ms)
            desc.append("%d-%d:%dms" % (a, b, ms))
        delay = self.rng.uniform(1.0, 5.0)
        self.log("fault delay %s for %.1fs" % (" ".join(desc), delay))
        self._later(delay, lambda: self._heal_pairs(pairs), "remove delays %s" % " ".join(desc))
        return True

    def inject(self):
        kinds = list(self.WEIGHTS)
        for _ in range(4):
            kind = self.rng.choices(kinds, [self.WEIGHTS[k] for k in kinds])[0]
            try:
                ok = {"kill": self.kill, "vanish": self.vanish,
                      "pause_short": lambda: self.pause(False),
                      "pause_long": lambda: self.pause(True), "partition": self.partition,
                      "one_way": self.one_way, "delay": self.delay}[kind]()
            except (RuntimeError, OSError) as e:
                # A node that died under us: check_crashes() reports it next.
                self.errors.append("fault %s failed: %s" % (kind, e))
                self.log("fault %s failed: %s" % (kind, e))
                return None
            if ok:
                self.counts[kind] += 1
                return kind
        return None

    def heal_everything(self):
        """Undoes every fault now: heals links, resumes paused nodes, restarts dead ones."""
        self.run_due(everything=True)
        self.c.proxy.heal_all()
        self.busy_pairs.clear()
        for i in range(1, self.n + 1):
            if self.state[i] == "paused":
                self._resume(i)
            elif self.state[i] == "down":
                self._restart(i)
                self.run_due(everything=True)  # A failed restart queued a retry.


def _backtrace(binary, pid, name):
    """The backtrace of a crashed node from its core file, when the kernel wrote one into this
    process's directory (the run directory; core_pattern 'core' or 'core.%p') and gdb exists.
    The core is kept as core.<name>."""
    for candidate in ("core.%s" % pid, "core"):
        if os.path.exists(candidate):
            core = "core.%s" % name
            os.rename(candidate, core)
            break
    else:
        return ""
    if not shutil.which("gdb"):
        return "    (core file kept: %s)\n" % os.path.abspath(core)
    try:
        out = subprocess.run(["gdb", "-batch", "-ex", "bt 25", binary, core],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return "    (core file kept: %s; gdb failed: %r)\n" % (os.path.abspath(core), e)
    frames = [line for line in out.splitlines() if line.startswith("#")]
    starts = [n for n, line in enumerate(frames) if line.startswith("#0 ")]
    frames = frames[starts[-1]:] if starts else frames  # gdb shows frame #0 once on loading.
    return "    backtrace (core kept: %s):\n%s" % (
        os.path.abspath(core), "".join("      %s\n" % f[:300] for f in frames))


def _frames_signature(bt):
    """The function names of a backtrace's first frames, to tell crashes apart."""
    names = []
    for line in bt.splitlines():
        line = line.strip()
        if line.startswith("#"):
            words = line.split(" in ", 1)[1] if " in " in line else line.split(None, 1)[-1]
            names.append(words.split(" (")[0])
    return tuple(names[:4])


def _tail(path, lines):
    try:
        with open(path, errors="replace") as f:
            text = f.read().splitlines()[-lines:]
    except OSError:
        return ""
    return "".join("    %s\n" % line for line in text) if text else ""


# --- Views --------------------------------------------------------------------------------------

def _node_views(cluster):
    """{node index: {"": rows, NAMED: rows}} (an error string in place of rows when a node does
    not answer). Rows are tuples (kind, key, pid, node, meta tuple)."""
    out = {}
    for i in range(1, cluster.n + 1):
        views = {}
        for name in ("", NAMED):
            args = ["GENTRIES"] + (["CLUSTER", name] if name else [])
            try:
                reply = cluster.call(i, *args, timeout=10.0)
            except (OSError, ValueError) as e:
                views[name] = "error: %r" % e
                continue
            if isinstance(reply, Exception):
                views[name] = "error: %s" % reply
            else:
                views[name] = tuple((r[0], r[1], r[2], r[3], tuple(r[4] or ())) for r in reply)
        out[i] = views
    return out


def _identical(views):
    return all(len({repr(v[name]) for v in views.values()}) == 1 for name in ("", NAMED))


def converge(cluster, timeout, quiet):
    """Polls every node's views until they are identical and unchanged for `quiet` seconds.
    Returns (views, the monotonic time the stable state was first seen, or None on timeout)."""
    start = time.monotonic()
    last = None
    first_equal = None
    views = {}
    while True:
        views = _node_views(cluster)
        now = time.monotonic()
        if _identical(views) and not any(isinstance(v[""], str) for v in views.values()):
            key = repr(views[1])
            if key != last:
                last, first_equal = key, now
            elif now - first_equal >= quiet:
                return views, first_equal
        else:
            last = None
        if now - start > timeout:
            return views, None
        time.sleep(0.1)


def _diff_lines(views, limit=40):
    out = []
    for name in ("", NAMED):
        per = {i: v[name] for i, v in views.items()}
        errors = {i: v for i, v in per.items() if isinstance(v, str)}
        for i, e in errors.items():
            out.append("  node%d cluster %s: %s" % (i, name or "(default)", e))
        sets = {i: set(v) for i, v in per.items() if i not in errors}
        union = set().union(*sets.values()) if sets else set()
        for row in sorted(union):
            have = [i for i in sets if row in sets[i]]
            if len(have) != len(sets):
                out.append("  cluster %s row %r on nodes %s, missing on %s" % (
                    name or "(default)", row, have, [i for i in sets if i not in have]))
    if len(out) > limit:
        out = out[:limit] + ["  ... %d more" % (len(out) - limit)]
    return out


# --- The run ------------------------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        self.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
        self.violations = []
        self.warnings = []
        self.figures = []
        self.procs = []  # (Process, pipe)
        self.monitor = None  # (Process, pipe)
        self.cluster = None
        self.t0 = time.monotonic()
        self.run_dir = os.path.abspath(args.dir) if args.dir else tempfile.mkdtemp(
            prefix="groupd-chaos-")
        os.makedirs(self.run_dir, exist_ok=True)
        self.log = _Log(os.path.join(self.run_dir, "chaos.log"), self.t0)

    def say(self, text):
        print(text, flush=True)
        self.log(text)

    def violation(self, text):
        self.violations.append(text)
        self.log("VIOLATION " + text)

    # --- Setup ---------------------------------------------------------------------------------

    def _node_options(self):
        action = self.args.conflict_action
        opts = {}
        for i in range(1, NODES + 1):
            a = action if action != "mixed" else ("kill" if i % 2 else "unregister")
            opts[i] = {"conflict-action": a}
        return opts

    def start(self):
        a = self.args
        self.say("chaos: seed %d, %ds, %d nodes, run directory %s" % (
            self.seed, a.seconds, NODES, self.run_dir))
        self.cluster = Cluster(NODES, proxies=True, dir=os.path.join(self.run_dir, "cluster"),
                               binary=a.bin, peer_timeout=PEER_TIMEOUT_MS,
                               heartbeat_interval=HEARTBEAT_MS, loglevel=a.loglevel,
                               options={"resolve-registry-conflict": a.policy},
                               node_options=self._node_options(), keep_dir=True)
        self.cluster.start(timeout=30)
        self.node_up = multiprocessing.get_context("spawn").Array("b", NODES + 1, lock=False)
        for i in range(1, NODES + 1):
            self.node_up[i] = 1
        self.faults = Faults(self.cluster, random.Random(self.seed), self.node_up, self.log, a)
        for i in range(1, NODES + 1):
            self.faults.connect_named(i)
            self.faults.record_incarnation(i)
        if self.faults.errors:
            raise RuntimeError("setup: %s" % self.faults.errors)
        # Every node in the named cluster before load starts.
        deadline = time.monotonic() + 15
        while True:
            ok = all(len(self.cluster.call(i, "GCLUSTERNODES", NAMED) or []) == NODES
                     for i in range(1, NODES + 1))
            if ok:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("named cluster '%s' did not span every node" % NAMED)
            time.sleep(0.05)
        self.mem_base = self.memory()
        self.cfg = {"ports": {i: self.cluster.port(i) for i in range(1, NODES + 1)},
                    "nodes": NODES, "seed": self.seed, "keys": a.keys, "groups": a.groups,
                    "rate": a.rate, "threads_total": a.workers * a.threads,
                    "cmd_timeout": a.cmd_timeout, "resp3_ratio": 0.5, "named_ratio": 0.25,
                    "run_dir": self.run_dir, "t0": self.t0}
        ctx = multiprocessing.get_context("spawn")
        rng = random.Random(self.seed ^ 0x5EED)
        skip = rng.randint(1, NODES)
        mon_nodes = [i for i in range(1, NODES + 1) if i != skip]
        here, there = ctx.Pipe()
        p = ctx.Process(target=_monitor_process, args=(self.cfg, mon_nodes, there), daemon=True)
        p.start()
        self.monitor = (p, here)
        if not here.poll(30) or here.recv() != "started":
            raise RuntimeError("monitors did not subscribe")
        self.say("chaos: monitors on nodes %s; %d worker processes x %d threads, %.0f ops/s; "
                 "conflict-action %s, policy %s" % (mon_nodes, a.workers, a.threads, a.rate,
                                                    a.conflict_action, a.policy))
        wid = 0
        for _ in range(a.workers):
            wids = list(range(wid, wid + a.threads))
            wid += a.threads
            here, there = ctx.Pipe()
            p = ctx.Process(target=_worker_process, args=(self.cfg, wids, there, self.node_up),
                            daemon=True)
            p.start()
            self.procs.append((p, here))
        for p, pipe in self.procs:
            if not pipe.poll(30) or pipe.recv() != "started":
                raise RuntimeError("a worker process did not start")

    def _ask(self, pipe, msg, timeout):
        pipe.send(msg)
        if not pipe.poll(timeout):
            raise RuntimeError("no answer to %r within %.0fs" % (msg, timeout))
        return pipe.recv()

    def memory(self):
        out = {}
        for i in range(1, NODES + 1):
            try:
                info = self.cluster.call(i, "INFO", "memory", timeout=5.0)
                for line in str(info).splitlines():
                    if line.startswith("used_memory:"):
                        out[i] = int(line.split(":")[1])
            except (OSError, ValueError):
                out[i] = None
        return out

    # --- Phases --------------------------------------------------------------------------------

    def chaos(self):
        a = self.args
        f = self.faults
        end = time.monotonic() + a.seconds
        next_fault = time.monotonic() + f.rng.uniform(0.5, 1.5)
        started = time.monotonic()
        while time.monotonic() < end:
            f.check_crashes()
            f.run_due()
            now = time.monotonic()
            if now >= next_fault:
                f.inject()
                next_fault = now + f.rng.uniform(a.fault_gap_min, a.fault_gap_max)
            for p, _ in self.procs + [self.monitor]:
                if not p.is_alive():
                    raise RuntimeError("a helper process died (exit code %s)" % p.exitcode)
            time.sleep(0.05)
        self.chaos_seconds = time.monotonic() - started

    def settle(self):
        """Stops the load, undoes every fault and waits for one stable, identical view."""
        a = self.args
        for _, pipe in self.procs:
            pipe.send("stop")
        self.faults.check_crashes()
        self.faults.heal_everything()
        self.faults.check_crashes()
        healed_at = time.monotonic()
        self.say("chaos: faults stopped and undone; waiting for the cluster to settle")
        for _, pipe in self.procs:
            if not pipe.poll(a.cmd_timeout + 30) or pipe.recv() != "stopped":
                raise RuntimeError("workers did not stop")
        try:
            self.cluster.wait_mesh(timeout=a.converge_timeout)
            self.mesh_seconds = time.monotonic() - healed_at
        except AssertionError as e:
            self.mesh_seconds = None
            self.violation("no full mesh %.0fs after the heal: %s" % (a.converge_timeout, e))
        views, t = converge(self.cluster, a.converge_timeout, a.quiet)
        self.converge_seconds = None if t is None else t - healed_at
        return views

    def finalize(self):
        """Collects every client's final state, re-reading the views until they did not change
        while clients reported (bounded)."""
        a = self.args
        for attempt in range(3):
            views = self.settle_views if attempt == 0 else converge(
                self.cluster, a.converge_timeout, a.quiet)[0]
            reports = []
            for _, pipe in self.procs:
                reports.extend(self._ask(pipe, "report", 120))
            monitors = self._ask(self.monitor[1], "report", 120)
            after = _node_views(self.cluster)
            if repr(after) == repr(views):
                return views, reports, monitors
            self.warnings.append("views changed while clients reported (attempt %d)" %
                                 (attempt + 1))
        return after, reports, monitors

    # --- Checks --------------------------------------------------------------------------------

    def check(self, views, reports, monitors):
        f = self.faults
        # 1. Crashes.
        shown = {}  # Crash signature -> the first crash with it, shown in full.
        for n, crash in enumerate(f.crashes, 1):
            sig = (crash["code"], _frames_signature(crash["bt"]))
            if sig in shown and sig[1]:
                self.violation("node%d crashed (exit status %s) at %s, same backtrace as crash "
                               "%d (full log: chaos.log)" % (crash["node"], crash["code"],
                                                              crash["at"], shown[sig]))
                continue
            shown[sig] = n
            self.violation("node%d crashed (exit status %s) at %s; log tail:\n%s%s" % (
                crash["node"], crash["code"], crash["at"], crash["tail"], crash["bt"]))
        for i in range(1, NODES + 1):
            node = self.cluster.node(i)
            if node.proc is None or node.proc.poll() is not None:
                self.violation("node%d is not running at the end" % i)
            err = _tail(node.stderr_path, 30)
            if err.strip():
                self.warnings.append("node%d wrote to stderr:\n%s" % (i, err))
        for e in f.errors:
            self.warnings.append(e)
        for r in reports:
            if r["error"]:
                raise RuntimeError("worker %d failed:\n%s" % (r["wid"], r["error"]))
        for m in monitors:
            if m["error"]:
                raise RuntimeError("monitor of node%d failed:\n%s" % (m["node"], m["error"]))

        current = {i: (incs[-1] if incs else None) for i, incs in f.incarnations.items()}
        names = {self.cluster.name(i): i for i in range(1, NODES + 1)}

        # 2. Identical views.
        if not _identical(views):
            self.violation("node views differ after the quiet period:\n%s" %
                           "\n".join(_diff_lines(views)))

        conns = {}
        for r in reports:
            for s in r["closed"]:
                conns[s["pid"]] = s
            if r["open"] is not None:
                conns[r["open"]["pid"]] = r["open"]
        open_pids = {p for p, s in conns.items() if s["closed"] is None}

        # 3-5 on every node's view (findings merged over nodes).
        found = collections.defaultdict(list)  # message -> [node]
        for i, v in views.items():
            for name in ("", NAMED):
                rows = v[name]
                if isinstance(rows, str):
                    continue
                cl = name or "(default)"
                regs = collections.Counter(r[1] for r in rows if r[0] == "registry")
                for key, n in regs.items():
                    if n > 1:
                        found["cluster %s: key %r registered %d times" % (cl, key, n)].append(i)
                pgs = collections.Counter((r[1], r[2]) for r in rows if r[0] == "pg")
                for (g, pid), n in pgs.items():
                    if n > 1:
                        found["cluster %s: %s in group %r %d times" % (cl, pid, g, n)].append(i)
                for kind, key, pid, node, _meta in rows:
                    pnode, inc = pid_incarnation(pid)
                    if node != pnode:
                        found["cluster %s: row (%s, %r, %s) names node %s" % (
                            cl, kind, key, pid, node)].append(i)
                    s = conns.get(pid)
                    if pid in open_pids and current.get(names.get(pnode)) == inc:
                        continue
                    if s is None:
                        why = "an unknown pid"
                    elif s["closed"] is not None:
                        why = "a connection closed (%s) at +%.3fs" % (
                            s["closed"], s["closed_at"] - self.t0)
                    else:
                        why = "a connection on a dead incarnation of %s" % pnode
                    found["zombie: cluster %s: %s %r held by %s, %s" % (
                        cl, kind, key, pid, why)].append(i)
                # 5. Nothing lost, nothing extra, per open connection.
                by_pid = collections.defaultdict(dict)
                for kind, key, pid, node, meta in rows:
                    by_pid[pid][(name, kind, key)] = meta_of(list(meta))
                for pid in open_pids:
                    s = conns[pid]
                    uncertain = {tuple(k) for k in s["uncertain"]}
                    want = {tuple(k): m for k, m in s["held"].items() if k[0] == name and
                            tuple(k) not in uncertain}
                    got = {k: m for k, m in by_pid.get(pid, {}).items() if k not in uncertain}
                    for k in want.keys() - got.keys():
                        found["lost: cluster %s: %s %r of live %s (node%d, resp%d) missing" % (
                            cl, k[1], k[2], pid, s["node"], s["proto"])].append(i)
                    for k in got.keys() - want.keys():
                        found["extra: cluster %s: %s %r held by live %s (node%d, resp%d), "
                              "which does not hold it" % (cl, k[1], k[2], pid, s["node"],
                                                          s["proto"])].append(i)
                    for k in want.keys() & got.keys():
                        if want[k] != got[k]:
                            found["meta: cluster %s: %s %r of %s is %r, want %r" % (
                                cl, k[1], k[2], pid, got[k], want[k])].append(i)
        for msg, nodes in sorted(found.items()):
            self.violation("%s (on nodes %s)" % (msg, sorted(set(nodes))))

        # 6. Notices and conflict events.
        notices = {}  # pid -> Counter((cluster, key))
        for pid, s in conns.items():
            notices[pid] = collections.Counter((n[0], n[1]) for n in s["inband"] + s["subnotices"])
            for a in s["anomalies"]:
                self.violation("client model: %s (node%d, resp%d): %s" % (
                    pid, s["node"], s["proto"], a))
            pnode, inc = pid_incarnation(pid)
            node_alive_same = current.get(names.get(pnode)) == inc
            for kid in s["silent"]:
                # When its node died the notice may never have been sent.
                if node_alive_same and notices[pid][(kid[0], kid[2])] == 0:
                    self.violation("%s (node%d, resp%d) found %r gone without any notice" % (
                        pid, s["node"], s["proto"], tuple(kid)))
            kill_notice = any(n[2] == "kill" for n in s["inband"] + s["subnotices"])
            if s["closed"] == "server" and node_alive_same and not kill_notice:
                self.violation("%s (node%d, resp%d) was closed by its node (still running, same "
                               "incarnation) without a notice with action kill" % (
                                   pid, s["node"], s["proto"]))
            if s["closed"] is None and kill_notice:
                self.violation("%s got a notice with action kill but its connection is open" %
                               pid)
            if s["proto"] == 3 and s["closed"] == "server" and kill_notice and \
                    not any(n[2] == "kill" for n in s["inband"]):
                self.violation("RESP3 %s was killed after a conflict without its push notice "
                               "first" % pid)
        conflict_events = collections.Counter()
        watched = collections.defaultdict(list)  # (node, incarnation) -> [records]
        for m in monitors:
            for rec in m["records"]:
                watched[(m["node"], rec["incarnation"])].append(rec)
                for ev in rec["conflicts"]:
                    conflict_events[tuple(ev)] += 1
                for a, b in rec["gaps"]:
                    self.violation("monitor of node%d (%s) saw event seq %s then %s" % (
                        m["node"], rec["pid"], a, b))
        released_by = {pid: {(k[0], k[2]) for k in s["released"]} for pid, s in conns.items()}
        # A node that saw two claims out of order may show the older holder's "loss" while the
        # holder's own node never evicted it (the node keeps the claim aside and shows it again
        # once the stale winner is withdrawn). Such a process still holds the key at the end and
        # was rightly not notified.
        held_final = set()
        for v in list(views.values())[:1]:
            for name in ("", NAMED):
                rows = v[name]
                if isinstance(rows, str):
                    continue
                for kind, key, pid, _node, _meta in rows:
                    if kind == "registry":
                        held_final.add((name or "", key, pid))
        self.loser_outcomes = collections.Counter()
        for (cl, key, pid), n in sorted(conflict_events.items()):
            s = conns.get(pid)
            if s is None:
                self.violation("conflict event for unknown pid %s (cluster %r key %r)" % (
                    pid, cl, key))
            elif notices[pid][(cl, key)]:
                self.loser_outcomes["notified"] += 1
            elif s["closed"] is not None:
                self.loser_outcomes["closed"] += 1
            elif (cl, key) in released_by[pid]:
                self.loser_outcomes["released"] += 1
            elif ((cl or "") if cl != "(default)" else "", key, pid) in held_final:
                self.loser_outcomes["still held (loss seen only on a node that saw claims out "
                                    "of order)"] += 1
            else:
                self.violation("conflict loser %s (node%d, resp%d, open) lost %r in cluster %r "
                               "on a monitor but got no notice" % (pid, s["node"], s["proto"],
                                                                    key, cl or "(default)"))
        seen_pairs = set(conflict_events)
        for pid, s in conns.items():
            pnode, inc = pid_incarnation(pid)
            i = names.get(pnode)
            recs = [r for r in watched.get((i, inc), []) if r["closed_at"] is None and
                    r["subscribed_at"] < s["created"]]
            if not recs or current.get(i) != inc:
                continue
            for cl, key in notices[pid]:
                if (cl, key, pid) not in seen_pairs:
                    self.violation("%s got a notice for %r (cluster %r) but the monitor on its "
                                   "node saw no registry_conflict event" % (pid, key, cl))
        self.conns = conns
        self.conflict_events = conflict_events

    def check_memory_and_empty(self):
        a = self.args
        self.mem_after_run = self.memory()
        for _, pipe in self.procs:
            self._ask(pipe, "disconnect", 60)
        for p, pipe in self.procs:
            pipe.send("exit")
        mp, mpipe = self.monitor
        mpipe.send("exit")
        mp.join(10)
        deadline = time.monotonic() + a.converge_timeout
        while True:
            views = _node_views(self.cluster)
            left = {i: sum(len(v[n]) for n in ("", NAMED) if not isinstance(v[n], str))
                    for i, v in views.items()}
            if not any(left.values()):
                break
            if time.monotonic() > deadline:
                self.violation("entries left %.0fs after every client disconnected: %s\n%s" % (
                    a.converge_timeout, left, "\n".join(
                        "  node%d %r" % (i, r) for i, v in views.items() for n in ("", NAMED)
                        if not isinstance(v[n], str) for r in v[n][:10])))
                break
            time.sleep(0.1)
        time.sleep(0.5)
        self.mem_after = self.memory()
        for i in range(1, NODES + 1):
            base, after = self.mem_base.get(i), self.mem_after.get(i)
            if base is None or after is None:
                self.violation("node%d: INFO memory unreadable (baseline %s, after %s)" % (
                    i, base, after))
                continue
            allowed = base + max(a.mem_margin_mb * 1024 * 1024, base)
            if after > allowed:
                self.violation("node%d: used_memory %d after every client left, baseline %d "
                               "(allowed %d)" % (i, after, base, allowed))

    # --- Figures -------------------------------------------------------------------------------

    def print_figures(self, reports, monitors):
        f = self.faults
        ops = collections.Counter()
        for r in reports:
            for k, n in r["counts"].items():
                ops[k] += n
        total_ops = sum(n for (op, _), n in ops.items() if op not in (
            "notice", "silent_loss", "uncertain", "connect"))
        by_op = collections.defaultdict(dict)
        for (op, outcome), n in ops.items():
            by_op[op][outcome] = n
        events = collections.Counter()
        for m in monitors:
            for k, n in m["counts"].items():
                events[k] += n
        closes = collections.Counter(s["closed"] for s in self.conns.values())
        uncertain = sum(len(s["uncertain"]) for s in self.conns.values() if s["closed"] is None)
        lines = [
            "---- chaos figures ----",
            "seed                %d" % self.seed,
            "duration            %.1fs of faults and load (%.1fs in all)" % (
                self.chaos_seconds, time.monotonic() - self.t0),
            "ops executed        %d (%.0f/s)" % (total_ops, total_ops / max(1, self.chaos_seconds)),
        ]
        for op in sorted(by_op):
            lines.append("  %-17s %s" % (op, " ".join("%s=%d" % kv for kv in sorted(
                by_op[op].items()))))
        lines.append("connections         %d (closed: %s; open at the end: %d)" % (
            len(self.conns), " ".join("%s=%d" % (k, n) for k, n in sorted(
                closes.items(), key=lambda kv: str(kv[0])) if k is not None),
            closes.get(None, 0)))
        lines.append("faults injected     %d: %s" % (sum(f.counts.values()), " ".join(
            "%s=%d" % kv for kv in sorted(f.counts.items()))))
        lines.append("node restarts       %s (crashes: %d)" % (
            " ".join("node%d=%d" % kv for kv in sorted(f.restarts.items())) or "none",
            len(f.crashes)))
        lines.append("conflicts observed  %d registry_conflict evictions seen by monitors "
                     "(%d distinct key/pid); losers: %s" % (
                         sum(self.conflict_events.values()), len(self.conflict_events),
                         " ".join("%s=%d" % kv for kv in sorted(self.loser_outcomes.items()))
                         or "-"))
        lines.append("notices received    in-band=%d subscriber=%d; model keys left uncertain: "
                     "%d" % (ops.get(("notice", "inband"), 0), ops.get(("notice", "subscriber"), 0),
                             uncertain))
        lines.append("events seen         %d: %s" % (sum(events.values()), " ".join(
            "%s/%s=%d" % (t, r or "-", n) for (t, r), n in sorted(
                events.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))))))
        lines.append("convergence         mesh %s, identical views %s after the heal (quiet "
                     "period %.1fs)" % (
                         "%.2fs" % self.mesh_seconds if self.mesh_seconds is not None else "never",
                         "%.2fs" % self.converge_seconds if self.converge_seconds is not None
                         else "never", self.args.quiet))
        final = self.settle_views[1][""]
        named = self.settle_views[1][NAMED]
        if not isinstance(final, str) and not isinstance(named, str):
            lines.append("final view          %d default + %d '%s' entries" % (
                len(final), len(named), NAMED))
        lines.append("memory used_memory  " + "  ".join(
            "node%d %s->%s->%s" % (i, _kb(self.mem_base.get(i)), _kb(self.mem_after_run.get(i)),
                                   _kb(self.mem_after.get(i))) for i in range(1, NODES + 1)) +
            "  (baseline -> after the run -> after every client left)")
        for line in lines:
            self.say(line)


def _kb(n):
    return "?" if n is None else "%.0fK" % (n / 1024)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 2)[2])
    p.add_argument("--seconds", type=float,
                   default=float(os.environ.get("CHAOS_SECONDS") or 300),
                   help="seconds of load and faults ($CHAOS_SECONDS, else 300)")
    p.add_argument("--seed", type=int, default=None,
                   help="replays a run's fault schedule and client operations (default: random)")
    p.add_argument("--bin", default=None, help="groupd binary ($GROUPD_BIN, build/server/groupd)")
    p.add_argument("--workers", type=int, default=3, help="worker processes")
    p.add_argument("--threads", type=int, default=4, help="client threads per worker process")
    p.add_argument("--rate", type=float, default=600, help="target operations per second, total")
    p.add_argument("--keys", type=int, default=150, help="registry key space")
    p.add_argument("--groups", type=int, default=40, help="group name space")
    p.add_argument("--conflict-action", choices=("kill", "unregister", "mixed"), default="mixed",
                   help="per node; mixed: odd nodes kill, even nodes unregister")
    p.add_argument("--policy", default="oldest", help="resolve-registry-conflict")
    p.add_argument("--fault-gap-min", type=float, default=0.3,
                   help="seconds between two fault injections: at least")
    p.add_argument("--fault-gap-max", type=float, default=2.0, help="... and at most")
    p.add_argument("--cmd-timeout", type=float, default=15.0,
                   help="seconds a client waits for a reply (pauses last at most 4s)")
    p.add_argument("--converge-timeout", type=float, default=60.0)
    p.add_argument("--quiet", type=float, default=1.5, help="seconds views must stay unchanged")
    p.add_argument("--mem-margin-mb", type=float, default=16.0,
                   help="used_memory may exceed the baseline by max(this, the baseline)")
    p.add_argument("--loglevel", default="verbose", help="node log level")
    p.add_argument("--dir", default=None, help="run directory (default: a new temporary one)")
    p.add_argument("--keep", action="store_true", help="keep the run directory on success too")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.bin = os.path.abspath(args.bin or groupd_bin())
    run = Run(args)
    home = os.getcwd()
    # Nodes inherit this directory and the core size limit: a crashed node leaves a core file in
    # the run directory (with core_pattern 'core'), whose backtrace goes into the report.
    os.chdir(run.run_dir)
    try:
        import resource
        _, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    except (ImportError, ValueError, OSError):
        pass
    status = 2
    interrupted = False

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        run.start()
        run.chaos()
        run.settle_views = run.settle()
        views, reports, monitors = run.finalize()
        run.check(views, reports, monitors)
        run.check_memory_and_empty()
        run.print_figures(reports, monitors)
        for w in run.warnings:
            run.say("warning: " + w)
        if run.violations:
            run.say("---- %d violation(s) ----" % len(run.violations))
            for v in run.violations:
                run.say("VIOLATION: " + v)
            status = 1
        else:
            status = 0
    except KeyboardInterrupt:
        interrupted = True
        run.say("chaos: interrupted (seed %d)" % run.seed)
        status = 130
    except Exception:  # noqa: BLE001 - any tool failure is reported with the seed.
        run.say("chaos: tool error:\n" + traceback.format_exc())
        status = 2
    finally:
        for p, pipe in run.procs + ([run.monitor] if run.monitor else []):
            try:
                pipe.send("exit")
            except (OSError, ValueError):
                pass
        for p, _ in run.procs + ([run.monitor] if run.monitor else []):
            p.join(3)
            if p.is_alive():
                p.kill()
                p.join(3)
        if run.cluster is not None:
            run.cluster.close()
        run.log.close()
        os.chdir(home)
        keep = status != 0 or args.keep
        if status == 0:
            print("chaos: PASS (seed %d)" % run.seed, flush=True)
        elif not interrupted:
            print("chaos: FAIL (seed %d; replay with --seed %d). Node logs: %s/node*/groupd.log; "
                  "fault timeline: %s; client commands: %s" % (
                      run.seed, run.seed, os.path.join(run.run_dir, "cluster"),
                      os.path.join(run.run_dir, "chaos.log"),
                      os.path.join(run.run_dir, "worker-*.log")), flush=True)
        if keep:
            print("chaos: run directory kept: %s" % run.run_dir, flush=True)
        else:
            shutil.rmtree(run.run_dir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
