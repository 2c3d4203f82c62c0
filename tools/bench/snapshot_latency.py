#!/usr/bin/python3
"""Client latency on both nodes while a large snapshot crosses the peer link.

Starts node A, registers ENTRIES keys on it (pipelined GREG over several connections, which stay
open: a registration lives as long as its connection), then starts node B seeded with A. On link
up A sends B a snapshot of every entry its processes hold. Meanwhile one probe client on A and
one on B send PING and GLOOKUP alternately, one request in flight, and time each reply; a stall
of either loop shows up as a slow reply on that node. Reported per node, in three windows:

- before: A alone with its entries, B not started (A's baseline);
- during: from B's start until B's GREGCOUNT reaches ENTRIES (the snapshot duration);
- after: the few seconds after that, both nodes idle with every entry (B's baseline).

Each probe is its own process (no GIL shared with the loader or the other probe), so a slow reply
is the server's. Standard library only; servers and process handling come from procs.py, so
every process started is stopped on exit, failure and Ctrl-C.

    /usr/bin/python3 tools/bench/snapshot_latency.py --groupd build-h2/server/groupd
    make bench BENCH_ARGS="--only snapshot_latency"   # the same, as a section of run.py

`measure()` is what run.py's section calls.
"""

import argparse
import array
import json
import multiprocessing
import os
import queue
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from procs import Groupd, Supervisor  # noqa: E402
from resp import Resp  # noqa: E402

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The same 54-byte meta as run.py's entries.
META_ARGS = ["META", "host", "10.0.3.7", "port", "8080", "role", "api", "v", "1"]
KEY = "snap:%d"
LOAD_CONNS = 8
LOAD_CHUNK = 4000  # Commands per pipelined write; one chunk is in flight ahead of the replies.
STALL_MS = 50.0  # A reply slower than this is counted (the bound the snapshot must keep).
# A probe waits this long between requests. Probes that spin would keep two cores busy on their
# own and measure the scheduler, not the servers; any loop stall longer than the gap still
# delays a request.
PROBE_GAP_S = 0.001


_encode = Resp.encode  # One RESP command encoder for all the bench tools.


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed while reading replies")
        buf += chunk
    return bytes(buf)


def load(port, entries, conns=LOAD_CONNS):
    """Registers KEY % 0..entries-1 over `conns` connections and returns them (open: closing
    one unregisters its keys). Each connection writes the next chunk before reading the
    previous chunk's replies, so the server always has work queued."""
    head = b"*%d\r\n$4\r\nGREG\r\n" % (2 + len(META_ARGS))
    tail = _encode(*META_ARGS)[len(b"*%d\r\n" % len(META_ARGS)):]
    socks = []
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", port), timeout=120)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(s)
    per = -(-entries // conns)
    for ci, s in enumerate(socks):
        lo, hi = ci * per, min(entries, (ci + 1) * per)
        pending = 0
        for at in range(lo, hi, LOAD_CHUNK):
            n = min(LOAD_CHUNK, hi - at)
            parts = []
            for k in range(at, at + n):
                key = b"snap:%d" % k
                parts.append(head + b"$%d\r\n%s\r\n" % (len(key), key) + tail)
            s.sendall(b"".join(parts))
            if pending:
                _check_ok(s, pending)
            pending = n
        if pending:
            _check_ok(s, pending)
    return socks


def _check_ok(sock, n):
    got = _recv_exact(sock, 5 * n)
    if got != b"+OK\r\n" * n:
        bad = next(i for i in range(0, len(got), 5) if got[i:i + 5] != b"+OK\r\n")
        raise RuntimeError("GREG failed during the load: %r" % got[bad:bad + 80])


def _probe(port, key, stop, ready, out):
    """Child process: PING and GLOOKUP key alternately, PROBE_GAP_S apart, until stop is set;
    sends back the send times (time.monotonic(), comparable across processes) and latencies,
    in seconds. Without a port it is the control: it times PROBE_GAP_S sleeps and records how
    late each one wakes (the machine's own scheduling delay, which every probe also pays)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # The parent decides when probes end.
    at, lat, kind = array.array("d"), array.array("d"), array.array("b")
    clock = time.monotonic
    if port is None:
        ready.set()
        while not stop.is_set():
            t0 = clock()
            time.sleep(PROBE_GAP_S)
            at.append(t0)
            lat.append(max(0.0, clock() - t0 - PROBE_GAP_S))
            kind.append(2)
        out.put((at.tobytes(), lat.tobytes(), kind.tobytes()))
        return
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = sock.makefile("rb")
    cmds = [_encode("PING"), _encode("GLOOKUP", key)]
    i = 0
    ready.set()
    while not stop.is_set():
        c = i & 1
        t0 = clock()
        sock.sendall(cmds[c])
        _read_reply(f)
        t1 = clock()
        at.append(t0)
        lat.append(t1 - t0)
        kind.append(c)
        i += 1
        time.sleep(PROBE_GAP_S)
    sock.close()
    out.put((at.tobytes(), lat.tobytes(), kind.tobytes()))


def _read_reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    t = line[:1]
    if t == b"$":
        n = int(line[1:-2])
        if n >= 0:
            f.read(n + 2)
    elif t == b"*":
        n = int(line[1:-2])
        for _ in range(max(n, 0)):
            _read_reply(f)
    elif t == b"-":
        raise RuntimeError("probe got an error reply: %r" % line)


class Probe:
    def __init__(self, name, port, key):
        ctx = multiprocessing.get_context("fork")
        self.name = name
        self.stop_evt, ready = ctx.Event(), ctx.Event()
        self.out = ctx.Queue()
        self.proc = ctx.Process(target=_probe, args=(port, key, self.stop_evt, ready, self.out),
                                daemon=True, name="probe-" + name)
        self.proc.start()
        if not ready.wait(30):
            self.kill()
            raise RuntimeError("probe on %s did not connect" % name)

    def finish(self, timeout=30):
        self.stop_evt.set()
        try:
            at, lat, kind = self.out.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError("probe on %s returned nothing (exit code %s)" %
                               (self.name, self.proc.exitcode))
        finally:
            self.kill()
        a, l, k = array.array("d"), array.array("d"), array.array("b")
        a.frombytes(at)
        l.frombytes(lat)
        k.frombytes(kind)
        return list(zip(a, l, k))

    def kill(self):
        if self.proc.is_alive():
            self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(2)


def _pct(sorted_ms, q):
    if not sorted_ms:
        return None
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]


def stats(samples, lo, hi, origin):
    """Latency figures (ms) of the samples sent in [lo, hi); stalls listed relative to origin."""
    win = [(t, l, k) for t, l, k in samples if lo <= t < hi]
    ms = sorted(l * 1000.0 for _, l, _ in win)
    slow = sorted(((l * 1000.0, t) for t, l, _ in win if l * 1000.0 > STALL_MS), reverse=True)
    return {
        "requests": len(win),
        "p50_ms": _pct(ms, 0.50), "p99_ms": _pct(ms, 0.99), "p999_ms": _pct(ms, 0.999),
        "max_ms": ms[-1] if ms else None,
        "over_%dms" % STALL_MS: len(slow),
        # The slowest replies: latency and when the request was sent (s after B's start).
        "worst": [{"ms": round(m, 1), "sent_at_s": round(t - origin, 3),
                   "cmd": ("PING", "GLOOKUP", "sleep")[k]}
                  for m, t, k in sorted(((l * 1000.0, t, k) for t, l, k in win),
                                        reverse=True)[:5]],
    }


def measure(sup, groupd_bin, entries=1000000, cpu_a=None, cpu_b=None, baseline_s=3.0,
            after_s=3.0, timeout=600, log=print, extra=(), on_started=None):
    """Runs the whole measurement with processes from sup (stopped by the caller's
    sup.stop_all()); returns a JSON-ready dict. on_started(node, pid), if given, is called
    once each node answers (before A's load, right after B's start)."""
    a = Groupd(sup, groupd_bin, "snap-a", cpu=cpu_a, extra=list(extra))
    if on_started:
        on_started("A", a.pid)
    t = time.monotonic()
    socks = load(a.port, entries)
    load_s = time.monotonic() - t
    probes = []
    try:
        count = a.regcount()
        if count != entries:
            raise RuntimeError("A holds %d registrations, want %d" % (count, entries))
        log("  loaded %d registrations on A in %.1f s (%.0f/s)" % (entries, load_s,
                                                                    entries / load_s))
        pc = Probe("control", None, None)
        probes.append(pc)
        pa = Probe("A", a.port, KEY % (entries // 2))
        probes.append(pa)
        t_before = time.monotonic()
        time.sleep(baseline_s)

        t_b = time.monotonic()
        b = Groupd(sup, groupd_bin, "snap-b", cpu=cpu_b,
                   extra=list(extra) + ["--seeds", "127.0.0.1:%d" % a.peer_port])
        if on_started:
            on_started("B", b.pid)
        pb = Probe("B", b.port, KEY % (entries // 2))
        probes.append(pb)
        ctl = Resp(b.port, timeout=60)
        t_linked = t_count = None
        deadline = t_b + timeout
        while True:
            # The snapshot is over once B has applied its end (INFO snapshots_received), which
            # comes after the last entry: B then removes what it held from A that the snapshot
            # no longer has, a pass over its whole view.
            # Each time is taken when B's reply arrives: a reply held up by a stall counts the
            # stall in.
            if t_linked is None and "snap-a" in (ctl.call("GNODES") or []):
                t_linked = time.monotonic()
            if t_count is None and int(ctl.call("GREGCOUNT")) >= entries:
                t_count = time.monotonic()
            if t_count is not None and int(ctl.info("replication")["snapshots_received"]) >= 1:
                t_done = time.monotonic()
                break
            if time.monotonic() > deadline:
                raise RuntimeError("B did not get A's %d entries within %d s" % (entries,
                                                                                timeout))
            time.sleep(0.01)
        ctl.close()
        time.sleep(after_s)
        t_end = time.monotonic()
        sa, sb, sc = pa.finish(), pb.finish(), pc.finish()
        probes = []
    finally:
        for p in probes:
            p.kill()
        for s in socks:
            s.close()

    res = {
        "entries": entries,
        "load_s": round(load_s, 2),
        "snapshot_s": round(t_done - t_b, 3),
        "all_entries_s": round(t_count - t_b, 3),
        "snapshot_s_from_link": round(t_done - t_linked, 3) if t_linked else None,
        "link_up_s": round(t_linked - t_b, 3) if t_linked else None,
        "t0_monotonic": t_b,  # B's start; sent_at_s values are relative to it.
        "windows_s": {"before": round(t_b - t_before, 2), "during": round(t_done - t_b, 2),
                      "after": round(t_end - t_done, 2)},
        "A": {"before": stats(sa, t_before, t_b, t_b), "during": stats(sa, t_b, t_done, t_b),
              "after": stats(sa, t_done, t_end, t_b)},
        "B": {"during": stats(sb, t_b, t_done, t_b), "after": stats(sb, t_done, t_end, t_b)},
        # How late a 1 ms sleep woke up in the same windows: delay that is the machine's.
        "control": {"before": stats(sc, t_before, t_b, t_b),
                    "during": stats(sc, t_b, t_done, t_b),
                    "after": stats(sc, t_done, t_end, t_b)},
    }
    return res


def summary_lines(res):
    out = ["%d entries: snapshot took %.2f s from B's start (link up after %.2f s, every entry "
           "counted on B after %.2f s); load %.1f s" %
           (res["entries"], res["snapshot_s"], res["link_up_s"] or -1, res["all_entries_s"],
            res["load_s"])]
    out.append("%-7s %-7s %9s %8s %8s %8s %8s %6s" % ("node", "window", "requests", "p50 ms",
                                                      "p99 ms", "p99.9 ms", "max ms",
                                                      ">%dms" % STALL_MS))
    for node in ("A", "B", "control"):
        for w, s in res[node].items():
            out.append("%-7s %-7s %9d %8.3f %8.3f %8.3f %8.1f %6d" % (
                node, w, s["requests"], s["p50_ms"] or 0, s["p99_ms"] or 0, s["p999_ms"] or 0,
                s["max_ms"] or 0, s["over_%dms" % STALL_MS]))
    for node in ("A", "B", "control"):
        worst = res[node]["during"]["worst"]
        out.append("%s worst during: %s" % (node, ", ".join(
            "%.1f ms %s at +%.2f s" % (w["ms"], w["cmd"], w["sent_at_s"]) for w in worst)))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--groupd", default=os.path.join(SOURCE_ROOT, "build-bench", "server",
                                                     "groupd"),
                    help="groupd binary, a Release build (default build-bench/server/groupd)")
    ap.add_argument("--entries", type=int, default=1000000)
    ap.add_argument("--pin", action="store_true",
                    help="run A on core 0 and B on core 1 with taskset (as run.py does)")
    ap.add_argument("--json", help="also write the result there")
    ap.add_argument("--perf", metavar="DIR",
                    help="record each node with `perf record -g -k mono` into DIR/perf-{A,B}.data "
                         "(sample times comparable with the JSON's; for finding stalls)")
    ap.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                    help="extra groupd option for both nodes (repeatable)")
    args = ap.parse_args(argv)
    if not os.access(args.groupd, os.X_OK):
        ap.error("missing binary %s" % args.groupd)
    extra = []
    for kv in args.set:
        k, _, v = kv.partition("=")
        extra += ["--" + k, v]

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    workdir = tempfile.mkdtemp(prefix="groupd-snaplat-")
    pin = args.pin and (os.cpu_count() or 1) >= 2
    sup = Supervisor(workdir, pin=pin)
    on_started = None
    if args.perf:
        os.makedirs(args.perf, exist_ok=True)

        def on_started(node, pid):
            sup.spawn(["perf", "record", "-F", "2000", "-g", "-k", "mono", "-p", str(pid),
                       "-o", os.path.join(os.path.abspath(args.perf), "perf-%s.data" % node)],
                      name="perf-" + node)
            time.sleep(0.3 if node == "A" else 0)  # A: let perf attach before the load.
    try:
        res = measure(sup, os.path.abspath(args.groupd), args.entries,
                      cpu_a=0 if pin else None, cpu_b=1 if pin else None, extra=extra,
                      log=lambda m: print(m, flush=True), on_started=on_started)
    except KeyboardInterrupt:
        print("interrupted; stopping every process started", file=sys.stderr)
        return 130
    finally:
        sup.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    res["pinning"] = "A core 0, B core 1" if pin else "none"
    res["loadavg"] = os.getloadavg()[0]
    for line in summary_lines(res):
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
