#!/usr/bin/python3
"""groupd benchmarks, side by side with Redis 7. Run by `make bench` / `make bench-quick`.

Starts groupd (Release build) and redis-server (persistence off) on loopback ports it picks,
drives both with redis-benchmark and the C++ loadgen (tools/loadgen), and writes
bench-results/results.json, results.md and chart.png. See docs/BENCHMARKS.md for what each
figure means. Every process it starts is stopped when a section ends, on failure and on Ctrl-C.
Timing never fails the run: a missed target is reported, not raised.

Standard library plus matplotlib (for the chart only).
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # No __pycache__ in the source tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from procs import Groupd, Loadgen, NullServer, Redis, Supervisor  # noqa: E402
from resp import Resp, RespError  # noqa: E402
import report  # noqa: E402
import snapshot_latency  # noqa: E402

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The entry meta: four field/value pairs whose JSON encoding is exactly 54 bytes. groupd gets it
# as META pairs, Redis stores the JSON string.
META = [("host", "10.0.3.7"), ("port", "8080"), ("role", "api"), ("v", "1")]
META_JSON = json.dumps(dict(META), separators=(",", ":"))
assert len(META_JSON) == 54, len(META_JSON)
META_ARGS = ["META"] + [x for kv in META for x in kv]
DISPATCH_MSG = "dispatch-payload-0123456789abcdef"

SERVER_CPU = 0
CLIENT_CPU = 1


class Profile:
    """Sizes of one run. quick: a smoke check in under a minute; full: the figures we report."""

    def __init__(self, quick):
        self.quick = quick
        self.reps = 1 if quick else 3
        self.n = {1: 10000, 16: 50000} if quick else {1: 100000, 16: 500000}
        self.clients = 50
        self.cg_n = 3000 if quick else 20000
        self.cg_fixture = 5000 if quick else 20000
        self.cg_pipelines = (16,) if quick else (1, 16)
        self.mem_entries = 100000 if quick else 1000000
        self.mem_members_per_conn = 1000 if quick else 10000  # x 100 connections
        self.repl_ops = 50000 if quick else 1000000
        self.lat_samples = 500 if quick else 10000
        self.heal_each = 20000 if quick else 500000
        self.fan_subs = 200 if quick else 1000
        self.fan_events = 50 if quick else 1000
        self.scale_sizes = [1000, 100000] if quick else [1000, 100000, 1000000, 10000000]
        self.scale_ops = 50000 if quick else 300000
        self.prefix_results = [1, 10, 100, 1000]
        self.prefix_filler = 20000 if quick else 1000000
        self.prefix_seconds = 0.3 if quick else 1.5
        self.snapshot_entries = 100000 if quick else 1000000


def median(xs):
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def summary(values, **extra):
    d = {"median": median(values), "min": min(values), "max": max(values), "runs": values}
    d.update(extra)
    return d


def children_cpu_seconds():
    """CPU time (user + system) of the child processes that have exited: the load tools."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


class Bench:
    def __init__(self, args):
        self.args = args
        self.p = Profile(args.quick)
        for kv in args.set or []:
            key, _, value = kv.partition("=")
            if not hasattr(self.p, key):
                raise SystemExit("--set: no size named %r (see class Profile)" % key)
            setattr(self.p, key, json.loads(value))
        self.out_dir = os.path.abspath(args.out)
        os.makedirs(self.out_dir, exist_ok=True)
        self.workdir = tempfile.mkdtemp(prefix="groupd-bench-")
        pin = (os.cpu_count() or 1) >= 2 and not args.no_pin
        self.server_cpu = SERVER_CPU if pin else None
        self.client_cpu = CLIENT_CPU if pin else None
        self.sup = Supervisor(self.workdir, pin=pin)
        self.lg = Loadgen(self.sup, args.loadgen, cpu=self.client_cpu)
        self.results = {"meta": {}, "throughput": [], "instructions": [], "memory": [],
                        "errors": [], "sections": {}}
        self.rows = []

    # --- helpers --------------------------------------------------------------------------

    def groupd(self, name, cpu="server", extra=(), wrapper=(), timeout=30.0):
        cpu = self.server_cpu if cpu == "server" else cpu
        return Groupd(self.sup, self.args.groupd, name, cpu=cpu, extra=extra, wrapper=wrapper,
                      ready_timeout=timeout)

    def redis(self, name, cpu="server", extra=(), wrapper=(), timeout=30.0):
        cpu = self.server_cpu if cpu == "server" else cpu
        return Redis(self.sup, self.args.redis_server, name, cpu=cpu, extra=extra,
                     wrapper=wrapper, ready_timeout=timeout)

    def log(self, msg):
        print("[%6.1fs] %s" % (time.monotonic() - self.t0, msg), flush=True)

    def redis_benchmark(self, port, cmd, pipeline, n, keyspace=1000000):
        args = [self.args.redis_benchmark, "-h", "127.0.0.1", "-p", str(port),
                "-c", str(self.p.clients), "-P", str(pipeline), "-n", str(n),
                "-r", str(keyspace), "--csv"] + list(cmd)
        proc = self.sup.spawn(args, cpu=self.client_cpu, name="redis-benchmark",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(timeout=900)
        finally:
            self.sup.stop(proc)
        rows = [ln for ln in out.splitlines() if ln.startswith('"') and not ln.startswith('"test"')]
        if proc.returncode != 0 or not rows:
            raise RuntimeError("redis-benchmark failed: %s" % (err or out).strip()[-300:])
        # The test name is the command, unescaped (the JSON meta has quotes): read the seven
        # numbers from the right.
        f = [x.strip('"') for x in rows[-1].split('","')][-7:]
        return {"ops_per_sec": float(f[0]), "p50_ms": float(f[3]), "p99_ms": float(f[5]),
                "max_ms": float(f[6]), "errors": 0, "ops": n}

    def loadgen_bench(self, port, cmd, pipeline, n, keyspace=1000000, clients=None):
        r = self.lg.run("bench", ["-p", str(port), "-c", str(clients or self.p.clients),
                                  "-P", str(pipeline), "-n", str(n), "-r", str(keyspace),
                                  "--"] + list(cmd))
        lat = r["latency"]
        return {"ops_per_sec": r["ops_per_sec"], "p50_ms": lat["p50_us"] / 1000.0,
                "p99_ms": lat["p99_us"] / 1000.0, "max_ms": lat["max_us"] / 1000.0,
                "errors": r["errors"], "ops": r["replies"]}

    def settle_groupd(self, g, baseline, timeout=120):
        """Waits until what the finished benchmark's connections held is gone."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if g.dbsize() <= baseline:
                return
            time.sleep(0.05)
        raise RuntimeError("groupd did not return to %d entries" % baseline)

    def row(self, section, name, groupd, redis, unit, ratio, target, met, note="",
            ceiling=None):
        self.rows.append({"section": section, "name": name, "groupd": groupd, "redis": redis,
                          "unit": unit, "ratio": ratio, "target": target, "met": met,
                          "note": note, "ceiling": ceiling})

    # --- sections ---------------------------------------------------------------------------

    def run_throughput_pair(self, entry, g_run, r_run, fixups, servers):
        """Runs groupd, Redis and the no-work server in turn, reps times each at both pipeline
        depths. r_run(P, port) sends Redis's command to port: Redis's, or the no-work server's,
        whose rate (same tool, same command) is the most any server could show on this machine,
        so ceiling = no-work / Redis is the highest ratio within reach.

        Besides ops/s, each run records the CPU time the server and the load tool spent on it:
        a tool whose core is saturated measures itself, not the server, and the server's CPU
        time per operation is then the figure that compares the servers."""
        runners = {"groupd": g_run,
                   "redis": lambda P: r_run(P, servers["redis"].port),
                   "null": lambda P: r_run(P, servers["null"].port)}
        for pipeline in (1, 16):
            runs = {who: [] for who in runners}
            for rep in range(self.p.reps):
                order = ("groupd", "redis", "null")
                for who in (order if rep % 2 == 0 else order[::-1]):
                    server_cpu0 = servers[who].cpu_seconds()
                    tool_cpu0 = children_cpu_seconds()
                    t0 = time.monotonic()
                    res = runners[who](pipeline)
                    wall = time.monotonic() - t0
                    res["server_cpu_us_per_op"] = \
                        (servers[who].cpu_seconds() - server_cpu0) * 1e6 / res["ops"]
                    res["tool_cpu_share"] = (children_cpu_seconds() - tool_cpu0) / wall
                    runs[who].append(res)
                    fixups.get(who, lambda: None)()
            item = dict(entry)
            item["pipeline"] = pipeline
            for who in runners:
                ops = [x["ops_per_sec"] for x in runs[who]]
                item[who] = summary(ops, p50_ms=median([x["p50_ms"] for x in runs[who]]),
                                    p99_ms=median([x["p99_ms"] for x in runs[who]]),
                                    errors=sum(x["errors"] for x in runs[who]),
                                    server_cpu_us_per_op=median(
                                        [x["server_cpu_us_per_op"] for x in runs[who]]),
                                    tool_cpu_share=median([x["tool_cpu_share"] for x in runs[who]]))
            item["cpu_ratio"] = (item["redis"]["server_cpu_us_per_op"] /
                                 item["groupd"]["server_cpu_us_per_op"])
            ratio = item["groupd"]["median"] / item["redis"]["median"]
            item["ratio"] = ratio
            item["ceiling"] = item["null"]["median"] / item["redis"]["median"]
            item["met"] = ratio >= item["target"]
            self.results["throughput"].append(item)
            label = "%s, P%d" % (item["label"], pipeline)
            item["ceiling_cpu"] = (item["redis"]["server_cpu_us_per_op"] /
                                   item["null"]["server_cpu_us_per_op"])
            notes = ["a no-work server reaches %.2f× (%.2f× in CPU per op)" %
                     (item["ceiling"], item["ceiling_cpu"])]
            if item["groupd"]["errors"]:
                notes.append("%d -TAKEN replies counted as completed" % item["groupd"]["errors"])
            self.row("Throughput (ops/s, groupd/Redis)", label, item["groupd"], item["redis"],
                     "ops/s", ratio, "≥ %.1f×" % item["target"], item["met"], "; ".join(notes),
                     ceiling=item["ceiling"])
            self.log("  %-58s groupd %9.0f  redis %9.0f  ratio %.2f  ceiling %.2f  (server "
                     "CPU/op ratio %.2f, tool core %.0f%% / %.0f%%)" %
                     (label, item["groupd"]["median"], item["redis"]["median"], ratio,
                      item["ceiling"], item["cpu_ratio"], 100 * item["groupd"]["tool_cpu_share"],
                      100 * item["redis"]["tool_cpu_share"]))

    def section_throughput(self):
        p = self.p
        g = self.groupd("tp-groupd")
        r = self.redis("tp-redis")
        null = NullServer(self.sup, self.args.loadgen, "tp-null", cpu=self.server_cpu)
        # Fixtures: a 10-member group (10 connections, one membership each), a RESP3 member
        # that takes dispatches, and their Redis twins.
        self.lg.hold(["-p", str(g.port), "-c", "10", "-n", "1", "--", "GJOIN", "bench/g10"] +
                     META_ARGS, name="fixture-g10")
        self.lg.hold(["-p", str(g.port), "-c", "1", "-n", "0", "--setup", "HELLO 3",
                      "--setup", "GJOIN bench/d1", "--", "PING"], name="fixture-d1")
        self.lg.hold(["-p", str(r.port), "-c", "1", "-n", "0", "--setup", "SUBSCRIBE bench:d1",
                      "--", "PING"], name="fixture-sub")
        def redis_fixture():
            # Fields named like groupd pids, values the 54-byte meta.
            r.call("FLUSHALL")
            args = ["HSET", "bench:h10"]
            for i in range(10):
                args += ["%d.hoh536d9cw@tp-groupd" % i, META_JSON]
            r.call(*args)

        redis_fixture()
        g_base = g.dbsize()
        fix_g = lambda: self.settle_groupd(g, g_base)  # noqa: E731
        n = p.n
        lg_bench = self.loadgen_bench
        rb = self.redis_benchmark

        cases = [
            ({"id": "greg_rand", "label": "GREG random key (-TAKEN counted) vs SET NX",
              "target": 1.3, "tool": "loadgen (redis-benchmark shape: -r 1M)",
              "groupd_cmd": "GREG k:{R} META <54 B>", "redis_cmd": "SET k:{R} <54 B> NX"},
             lambda P: lg_bench(g.port, ["GREG", "k:{R}"] + META_ARGS, P, n[P]),
             lambda P, port: lg_bench(port, ["SET", "k:{R}", META_JSON, "NX"], P, n[P]),
             {"groupd": fix_g, "redis": redis_fixture}),
            ({"id": "greg_new", "label": "GREG new key per connection vs SET NX",
              "target": 1.3, "tool": "loadgen (disjoint keys)",
              "groupd_cmd": "GREG n:{c}:{i} META <54 B>", "redis_cmd": "SET n:{c}:{i} <54 B> NX"},
             lambda P: lg_bench(g.port, ["GREG", "n:{c}:{i}"] + META_ARGS, P, n[P]),
             lambda P, port: lg_bench(port, ["SET", "n:{c}:{i}", META_JSON, "NX"], P, n[P]),
             {"groupd": fix_g, "redis": redis_fixture}),
            ({"id": "gjoin", "label": "GJOIN vs HSET", "target": 1.3, "tool": "redis-benchmark",
              "groupd_cmd": "GJOIN group:__rand_int__ META <54 B>",
              "redis_cmd": "HSET group:__rand_int__ pid:__rand_int__ <54 B>"},
             lambda P: rb(g.port, ["GJOIN", "group:__rand_int__"] + META_ARGS, P, n[P]),
             lambda P, port: rb(port, ["HSET", "group:__rand_int__", "pid:__rand_int__", META_JSON],
                          P, n[P]),
             {"groupd": fix_g, "redis": redis_fixture}),
            # Not redis-benchmark: it decodes every reply into hiredis objects, and at 111 frames
            # per GMEMBERS reply (21 per HGETALL) its own core saturates at about a third of
            # what groupd serves. loadgen frames replies without decoding them.
            ({"id": "gmembers10", "label": "GMEMBERS (10 members) vs HGETALL (10 fields)",
              "target": 1.0, "tool": "loadgen (redis-benchmark saturates decoding replies)",
              "groupd_cmd": "GMEMBERS bench/g10", "redis_cmd": "HGETALL bench:h10"},
             lambda P: lg_bench(g.port, ["GMEMBERS", "bench/g10"], P, n[P]),
             lambda P, port: lg_bench(port, ["HGETALL", "bench:h10"], P, n[P]),
             {}),
            ({"id": "gdispatch1", "label": "GDISPATCH to 1 member vs PUBLISH to 1 subscriber",
              "target": 1.0, "tool": "redis-benchmark",
              "groupd_cmd": "GDISPATCH bench/d1 <33 B>", "redis_cmd": "PUBLISH bench:d1 <33 B>"},
             lambda P: rb(g.port, ["GDISPATCH", "bench/d1", DISPATCH_MSG], P, n[P]),
             lambda P, port: rb(port, ["PUBLISH", "bench:d1", DISPATCH_MSG], P, n[P]),
             {}),
            ({"id": "ping", "label": "PING vs PING", "target": 1.0, "tool": "redis-benchmark",
              "groupd_cmd": "PING", "redis_cmd": "PING"},
             lambda P: rb(g.port, ["PING"], P, n[P]),
             lambda P, port: rb(port, ["PING"], P, n[P]),
             {}),
        ]
        only = self.args.only_case
        for entry, g_run, r_run, fix in cases:
            if only and entry["id"] not in only:
                continue
            self.run_throughput_pair(entry, g_run, r_run, fix,
                                     {"groupd": g, "redis": r, "null": null})

    def section_memory(self):
        """Bytes per entry (used_memory delta / entries), then GLOOKUP vs GET on that state."""
        p = self.p
        n = p.mem_entries
        out = {}
        # Registrations vs SET.
        g = self.groupd("mem-groupd")
        r = self.redis("mem-redis")
        g_base, r_base = g.used_memory(), r.used_memory()
        self.lg.hold(["-p", str(g.port), "-c", "1", "-n", str(n), "--window", "2000", "--",
                      "GREG", "key:{I}"] + META_ARGS, name="mem-regs")
        self.lg.hold(["-p", str(r.port), "-c", "1", "-n", str(n), "--window", "2000", "--",
                      "SET", "key:{I}", META_JSON], name="mem-sets")
        assert g.call("GREGCOUNT") == n, "groupd holds %s registrations" % g.call("GREGCOUNT")
        assert r.dbsize() == n
        g_per = (g.used_memory() - g_base) / n
        r_per = (r.used_memory() - r_base) / n
        out["registration"] = {"entries": n, "groupd_bytes": g_per, "redis_bytes": r_per,
                               "groupd_cmd": "GREG key:{I} META <54 B>",
                               "redis_cmd": "SET key:{I} <54 B>"}
        self.results["memory"].append(dict(out["registration"], id="registration"))
        self.row("Memory (bytes/entry, 54-byte meta)", "registration vs SET key (%s entries)" %
                 report.count(n), g_per, r_per, "B", r_per / g_per, "≤ 100 B", g_per <= 100)
        self.log("  registration: groupd %.1f B, redis %.1f B" % (g_per, r_per))

        # GLOOKUP vs GET on those entries (keys key:000000000000.. as redis-benchmark makes).
        entry = {"id": "glookup", "label": "GLOOKUP vs GET (%s entries)" % report.count(n),
                 "target": 1.3, "tool": "redis-benchmark",
                 "groupd_cmd": "GLOOKUP key:__rand_int__", "redis_cmd": "GET key:__rand_int__"}

        def rb(port, cmd, P):
            return self.redis_benchmark(port, cmd, P, p.n[P], keyspace=n)

        null = NullServer(self.sup, self.args.loadgen, "mem-null", cpu=self.server_cpu)
        self.run_throughput_pair(entry, lambda P: rb(g.port, ["GLOOKUP", "key:__rand_int__"], P),
                                 lambda P, port: rb(port, ["GET", "key:__rand_int__"], P),
                                 {}, {"groupd": g, "redis": r, "null": null})
        self.sup.stop_all()

        # Memberships: 100 connections (processes) each join the same groups, 1M memberships
        # over 10k groups; Redis: 10k hashes of 100 fields named like groupd pids.
        per_conn = p.mem_members_per_conn
        total = per_conn * 100
        g = self.groupd("mem-groupd2")
        r = self.redis("mem-redis2")
        g_base, r_base = g.used_memory(), r.used_memory()
        self.lg.hold(["-p", str(g.port), "-c", "100", "-n", str(per_conn), "--window", "500",
                      "--", "GJOIN", "grp:{i}"] + META_ARGS, name="mem-members")
        self.lg.hold(["-p", str(r.port), "-c", "100", "-n", str(per_conn), "--window", "500",
                      "--", "HSET", "grp:{i}", "{c}.hoh536d9cw@mem-groupd2", META_JSON],
                     name="mem-hsets")
        g_count = g.dbsize()
        assert g_count == total, "groupd holds %d memberships" % g_count
        g_per = (g.used_memory() - g_base) / total
        r_per = (r.used_memory() - r_base) / total
        out["membership"] = {"entries": total, "groups": per_conn, "groupd_bytes": g_per,
                             "redis_bytes": r_per, "groupd_cmd": "GJOIN grp:{i} META <54 B>",
                             "redis_cmd": "HSET grp:{i} <pid> <54 B>"}
        self.results["memory"].append(dict(out["membership"], id="membership"))
        self.row("Memory (bytes/entry, 54-byte meta)", "membership vs HSET field (%s over %s "
                 "groups)" % (report.count(total), report.count(per_conn)), g_per, r_per, "B",
                 r_per / g_per, "≤ 100 B", g_per <= 100)
        self.log("  membership: groupd %.1f B, redis %.1f B" % (g_per, r_per))

    def callgrind_dump(self, pid, out_file):
        """Dumps callgrind's counters since the last dump; returns (file, Ir)."""
        d = os.path.dirname(out_file)
        base = os.path.basename(out_file)
        before = set(f for f in os.listdir(d) if f.startswith(base + "."))
        subprocess.run([self.args.callgrind_control, "-d", str(pid)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120, check=False)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            new = set(f for f in os.listdir(d) if f.startswith(base + ".")) - before
            for f in new:
                path = os.path.join(d, f)
                with open(path) as fh:
                    text = fh.read()
                m = re.search(r"^totals:\s+(\d+)", text, re.M)
                if m:
                    return path, int(m.group(1))
            time.sleep(0.1)
        raise RuntimeError("callgrind dump of pid %d did not appear" % pid)

    def callgrind_window(self, kind, case, pipeline, n):
        """Ir spent by one server process on n commands (counters zeroed just before)."""
        p = self.p
        out = os.path.join(self.workdir, "cg", "%s-%s-p%d-%d.out" % (kind, case, pipeline, n))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        # --compress-strings=no: each dump names its functions itself, so one dump can be
        # annotated alone.
        wrapper = [self.args.valgrind, "--tool=callgrind", "--dump-instr=no",
                   "--compress-strings=no", "--callgrind-out-file=" + out]
        try:
            if kind == "groupd":
                # busy-poll-us 0: the event loop's polling while it waits for the next request
                # (50 us by default) is idle time, not work per command, and under valgrind's
                # slowdown it would be counted as thousands of instructions per P1 request.
                s = self.groupd("cg-groupd", wrapper=wrapper, timeout=180,
                                extra=["--busy-poll-us", "0"])
                fixture = ["GREG", "key:{I}"] + META_ARGS
                cmd = {"write": ["GREG", "n:{c}:{i}"] + META_ARGS,
                       "read": ["GLOOKUP", "key:{R}"]}[case]
            else:
                s = self.redis("cg-redis", wrapper=wrapper, timeout=180)
                fixture = ["SET", "key:{I}", META_JSON]
                cmd = {"write": ["SET", "n:{c}:{i}", META_JSON, "NX"],
                       "read": ["GET", "key:{R}"]}[case]
            if case == "read":
                self.lg.hold(["-p", str(s.port), "-c", "1", "-n", str(p.cg_fixture),
                              "--window", "500", "--"] + fixture, name="cg-fixture")
            self.callgrind_dump(s.pid, out)  # Zero the counters.
            b = self.lg.start("bench", ["--hold", "-p", str(s.port), "-c", "1",
                                        "-P", str(pipeline), "-n", str(n), "-r",
                                        str(p.cg_fixture), "--"] + cmd, name="cg-bench")
            rep = b.report(timeout=900)
            if rep["errors"]:
                raise RuntimeError("callgrind %s %s: %d error replies" % (kind, case,
                                                                         rep["errors"]))
            path, ir = self.callgrind_dump(s.pid, out)
            b.release()
            return path, ir
        finally:
            self.sup.stop_all()

    def section_instructions(self):
        p = self.p
        n1, n2 = p.cg_n, 2 * p.cg_n
        cases = [("write", "GREG (new key) vs SET NX"), ("read", "GLOOKUP vs GET")]
        self.results["profiles"] = {}
        for case, label in cases:
            for pipeline in p.cg_pipelines:
                item = {"id": "ir_%s_p%d" % (case, pipeline), "label": label,
                        "pipeline": pipeline, "n": [n1, n2]}
                for kind in ("groupd", "redis"):
                    _, ir1 = self.callgrind_window(kind, case, pipeline, n1)
                    path2, ir2 = self.callgrind_window(kind, case, pipeline, n2)
                    item[kind] = {"ir_n": ir1, "ir_2n": ir2, "ir_per_cmd": (ir2 - ir1) / n1}
                    if kind == "groupd" and pipeline == 16:
                        self.results["profiles"][case] = self.annotate(path2, case)
                ratio = item["redis"]["ir_per_cmd"] / item["groupd"]["ir_per_cmd"]
                item["ratio"] = ratio
                item["met"] = item["groupd"]["ir_per_cmd"] <= 0.8 * item["redis"]["ir_per_cmd"]
                self.results["instructions"].append(item)
                self.row("Instructions per command (callgrind, Redis/groupd)",
                         "%s, P%d" % (label, pipeline), item["groupd"]["ir_per_cmd"],
                         item["redis"]["ir_per_cmd"], "Ir", ratio, "groupd ≤ 0.8× Redis",
                         item["met"])
                self.log("  %-30s P%-2d groupd %7.0f Ir  redis %7.0f Ir  ratio %.2f" %
                         (label, pipeline, item["groupd"]["ir_per_cmd"],
                          item["redis"]["ir_per_cmd"], ratio))

    def annotate(self, path, case):
        """Top functions by self Ir in groupd's 2N window at P16 (for the profiling notes).

        A mid-run dump records the calls still on the stack (main, the loop) as "calls=0";
        callgrind_annotate 3.19 then books their inclusive cost as self cost, so the copy kept
        next to the results says calls=1 there, which fixes the self-cost listing.
        """
        stem = "groupd-%s-p16" % ("greg" if case == "write" else "glookup")
        fixed = os.path.join(self.out_dir, "callgrind-%s.out" % stem)
        dest = os.path.join(self.out_dir, "profile-%s.txt" % stem)
        with open(path) as src, open(fixed, "w") as dst:
            for ln in src:
                dst.write("calls=1 " + ln[8:] if ln.startswith("calls=0 ") else ln)
        try:
            text = subprocess.run([self.args.callgrind_annotate, "--inclusive=no", fixed],
                                  capture_output=True, text=True, timeout=120).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        with open(dest, "w") as f:
            f.write(text)
        top = []
        for ln in text.splitlines():
            m = re.match(r"^\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(\S.*)$", ln)
            if m and "PROGRAM TOTALS" not in ln:
                fn = re.sub(r"^\?\?\?:", "", m.group(3))
                fn = re.sub(r" \[(/[^\]]*/)?([^/\]]+)\]$", r" [\2]", fn)
                top.append({"ir": int(m.group(1).replace(",", "")),
                            "pct": float(m.group(2)), "fn": fn})
        return {"file": os.path.relpath(dest, SOURCE_ROOT),
                "callgrind_file": os.path.relpath(fixed, SOURCE_ROOT), "top": top[:20]}

    def wait_linked(self, a, b, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b.name in a.nodes() and a.name in b.nodes():
                return
            time.sleep(0.05)
        raise RuntimeError("nodes %s and %s did not link" % (a.name, b.name))

    def wait_replica(self, primary, replica, timeout=60):
        """Waits until changes flow: the link is up and a probe key travelled both ways.

        After a diskless full sync the primary may hold the command stream until the replica's
        first REPLCONF ACK, which the replica can take a second to send; "link up" alone is not
        enough to start a clock on.
        """
        deadline = time.monotonic() + timeout
        while replica.ctl().info("replication").get("master_link_status") != "up":
            if time.monotonic() > deadline:
                raise RuntimeError("redis replica did not link")
            time.sleep(0.05)
        primary.call("SET", "bench:probe", "1")
        self.poll_until(replica.dbsize, 1, timeout)
        primary.call("DEL", "bench:probe")
        while replica.dbsize() != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("redis replica did not apply the probe")
            time.sleep(0.01)

    def poll_until(self, fn, target, timeout):
        """Calls fn() until it returns >= target; returns time.monotonic() at that moment."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = fn()
            except RespError:  # A Redis replica answers -LOADING while it loads the RDB.
                last = None
            if last is not None and last >= target:
                return time.monotonic()
            time.sleep(0.001)
        raise RuntimeError("timed out waiting for %d (last %s)" % (target, last))

    def section_replication(self):
        p = self.p
        n = p.repl_ops
        g_rates, r_rates, g_ingest, r_ingest = [], [], [], []
        for rep in range(p.reps):
            a = self.groupd("repl-a", cpu=self.server_cpu)
            b = self.groupd("repl-b", cpu=self.client_cpu,
                            extra=["--seeds", "127.0.0.1:%d" % a.peer_port])
            self.wait_linked(a, b)
            h = self.lg.start("load", ["--hold", "-p", str(a.port), "-c", "1", "-n", str(n),
                                       "--window", "5000", "--", "GJOIN", "rep:{i}"] + META_ARGS,
                              name="repl-load")
            done = self.poll_until(b.dbsize, n, 300)
            rep_json = h.report()
            g_rates.append(n / (done - rep_json["start_ns"] / 1e9))
            g_ingest.append(rep_json["ops_per_sec"])
            self.sup.stop_all()

            pr = self.redis("repl-primary", cpu=self.server_cpu)
            rr = self.redis("repl-replica", cpu=self.client_cpu,
                            extra=["--replicaof", "127.0.0.1", str(pr.port)])
            self.wait_replica(pr, rr)
            h = self.lg.start("load", ["--hold", "-p", str(pr.port), "-c", "1", "-n", str(n),
                                       "--window", "5000", "--", "SET", "rep:{i}", META_JSON],
                              name="repl-load")
            done = self.poll_until(rr.dbsize, n, 300)
            rep_json = h.report()
            r_rates.append(n / (done - rep_json["start_ns"] / 1e9))
            r_ingest.append(rep_json["ops_per_sec"])
            self.sup.stop_all()
        g = summary(g_rates, ingest_ops_per_sec=median(g_ingest))
        r = summary(r_rates, ingest_ops_per_sec=median(r_ingest))
        ratio = g["median"] / r["median"]
        self.results["sections"]["replication"] = {
            "ops": n, "groupd": g, "redis": r, "ratio": ratio,
            "groupd_cmd": "GJOIN rep:{i} META <54 B> into node A, until DBSIZE on B",
            "redis_cmd": "SET rep:{i} <54 B> into the primary, until DBSIZE on the replica"}
        self.row("Replication", "%s changes A→B (ops/s until B has all)" % report.count(n), g, r,
                 "ops/s", ratio, "≥ 1M ops/s", g["median"] >= 1e6,
                 "the loader's rate into A: groupd %s, Redis %s ops/s" % (
                     report.fmt_rate(g["ingest_ops_per_sec"]),
                     report.fmt_rate(r["ingest_ops_per_sec"])))
        self.log("  replication: groupd %.0f ops/s, redis %.0f ops/s" % (g["median"], r["median"]))

        # Single-change propagation latency, one change at a time.
        a = self.groupd("lat-a", cpu=self.server_cpu)
        b = self.groupd("lat-b", cpu=self.client_cpu,
                        extra=["--seeds", "127.0.0.1:%d" % a.peer_port])
        self.wait_linked(a, b)
        # The client shares node A's core: A is idle while the change travels, and B's core is
        # left to B, so the client sees B's event as soon as B sends it.
        gl = self.lg.run("latency", ["-p", str(a.port), "--monitor-port", str(b.port),
                                     "--monitor-setup", "SUBSCRIBE __gevent__:*",
                                     "-n", str(p.lat_samples), "--", "GREG", "lat:{i}"] +
                         META_ARGS, cpu=self.server_cpu)
        self.sup.stop_all()
        pr = self.redis("lat-primary", cpu=self.server_cpu)
        rr = self.redis("lat-replica", cpu=self.client_cpu,
                        extra=["--replicaof", "127.0.0.1", str(pr.port)])
        self.wait_replica(pr, rr)
        rr.call("CONFIG", "SET", "notify-keyspace-events", "K$")
        rl = self.lg.run("latency", ["-p", str(pr.port), "--monitor-port", str(rr.port),
                                     "--monitor-setup", "PSUBSCRIBE __keyspace@0__:lat:*",
                                     "-n", str(p.lat_samples), "--", "SET", "lat:{i}",
                                     META_JSON], cpu=self.server_cpu)
        self.sup.stop_all()
        self.results["sections"]["latency"] = {"groupd": gl, "redis": rl,
                                               "samples": p.lat_samples}
        gp99 = gl["reply_to_event"]["p99_us"] / 1000.0
        rp99 = rl["reply_to_event"]["p99_us"] / 1000.0
        samples = report.count(p.lat_samples)
        for q in ("p50", "p99", "max"):
            gv = gl["send_to_event"][q + "_us"] / 1000.0
            rv = rl["send_to_event"][q + "_us"] / 1000.0
            self.row("Replication", "single change, write on A → event on B, %s (%s samples)" %
                     (q, samples), gv, rv, "ms", rv / gv if gv else None, "", None)
        self.row("Replication", "single change, reply on A → event on B, p99 (%s samples; "
                 "0 when the event came first)" % samples, gp99, rp99, "ms",
                 rp99 / gp99 if gp99 and rp99 else None, "p99 < 1 ms", gp99 < 1.0)
        self.log("  propagation p99: groupd %.3f ms, redis %.3f ms" % (gp99, rp99))

    def section_heal(self):
        p = self.p
        each = p.heal_each
        times, r_times = [], []
        for rep in range(p.reps):
            slow = ["--peer-timeout", "120000"]  # The held handshake must outlive the loading.
            a = self.groupd("heal-a", cpu=self.server_cpu, extra=slow)
            self.lg.hold(["-p", str(a.port), "-c", "1", "-n", str(each), "--window", "5000",
                          "--", "GREG", "ha:{i}"] + META_ARGS, name="heal-load-a")
            gate = self.lg.start("gate", ["--upstream", str(a.peer_port)], name="heal-gate")
            gate_port = int(gate.line(30).split()[1])
            b = self.groupd("heal-b", cpu=self.client_cpu,
                            extra=slow + ["--seeds", "127.0.0.1:%d" % gate_port])
            self.lg.hold(["-p", str(b.port), "-c", "1", "-n", str(each), "--window", "5000",
                          "--", "GREG", "hb:{i}"] + META_ARGS, name="heal-load-b")
            if a.regcount() != each or b.regcount() != each or a.nodes():
                raise RuntimeError("heal set-up: views are not partitioned as expected")
            gate.send("open\n")
            t_open = int(gate.line(30).split()[1]) / 1e9
            deadline = time.monotonic() + 300
            while True:
                ca, cb = a.regcount(), b.regcount()
                if ca >= 2 * each and cb >= 2 * each:
                    done = time.monotonic()
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("heal: views did not converge (%d, %d)" % (ca, cb))
                time.sleep(0.002)
            times.append(done - t_open)
            if a.call("GLOOKUP", "hb:0") is None or b.call("GLOOKUP", "ha:0") is None:
                raise RuntimeError("heal: counts match but entries are missing")
            self.sup.stop_all()

            # Reference: a Redis replica's full resynchronisation of as many keys.
            pr = self.redis("heal-primary", cpu=self.server_cpu)
            self.lg.run("load", ["-p", str(pr.port), "-c", "1", "-n", str(2 * each),
                                 "--window", "5000", "--", "SET", "h:{i}", META_JSON])
            t0 = time.monotonic()
            rr = self.redis("heal-replica", cpu=self.client_cpu,
                            extra=["--replicaof", "127.0.0.1", str(pr.port)])
            done = self.poll_until(rr.dbsize, 2 * each, 300)
            r_times.append(done - t0)
            self.sup.stop_all()
        g = summary([t * 1000 for t in times])
        r = summary([t * 1000 for t in r_times])
        self.results["sections"]["heal"] = {"entries_each_side": each, "groupd_ms": g,
                                            "redis_full_sync_ms": r}
        self.row("Heal", "partition heal, %s + %s registrations, until both views equal" %
                 (report.count(each), report.count(each)), g, r, "ms",
                 r["median"] / g["median"], "< 2 s", g["median"] < 2000,
                 "Redis: replica full resync of as many keys (reference, not the same work)")
        self.log("  heal: groupd %.0f ms (redis full sync %.0f ms)" % (g["median"], r["median"]))

    def section_fanout(self):
        p = self.p
        g = self.groupd("fan-groupd")
        # The size of one event, so Redis publishes payloads as large.
        with Resp(g.port) as sub, Resp(g.port) as pub:
            sub.call("SUBSCRIBE", "__gevent__:probe/")
            pub.call("GJOIN", "probe/x", *META_ARGS)
            msg = sub.read()
            payload_len = len(msg[2].encode())
        r = self.redis("fan-redis")
        payload = ("x" * payload_len)
        g_runs, r_runs = [], []
        for rep in range(p.reps):
            common = ["--subs", str(p.fan_subs), "-n", str(p.fan_events), "--window", "100"]
            g_runs.append(self.lg.run("fanout", ["-p", str(g.port)] + common +
                                      ["--sub-setup", "SUBSCRIBE __gevent__:fan/", "--",
                                       "GJOIN", "fan/{i}"] + META_ARGS))
            r_runs.append(self.lg.run("fanout", ["-p", str(r.port)] + common +
                                      ["--sub-setup", "SUBSCRIBE fan", "--",
                                       "PUBLISH", "fan", payload]))
            self.settle_groupd(g, 0)
        gs = summary([x["deliveries_per_sec"] for x in g_runs],
                     p50_ms=median([x["latency"]["p50_us"] for x in g_runs]) / 1000,
                     p99_ms=median([x["latency"]["p99_us"] for x in g_runs]) / 1000)
        rs = summary([x["deliveries_per_sec"] for x in r_runs],
                     p50_ms=median([x["latency"]["p50_us"] for x in r_runs]) / 1000,
                     p99_ms=median([x["latency"]["p99_us"] for x in r_runs]) / 1000)
        ratio = gs["median"] / rs["median"]
        self.results["sections"]["fanout"] = {"subs": p.fan_subs, "events": p.fan_events,
                                              "payload_bytes": payload_len, "groupd": gs,
                                              "redis": rs, "ratio": ratio}
        self.row("Fan-out", "one GJOIN → %s monitors vs PUBLISH → %s subscribers "
                 "(deliveries/s, %d-byte payload)" % (report.count(p.fan_subs),
                                                      report.count(p.fan_subs), payload_len),
                 gs, rs, "msg/s", ratio, "", None)
        self.log("  fan-out: groupd %.0f/s, redis %.0f/s" % (gs["median"], rs["median"]))

    def section_scaling(self):
        p = self.p
        points = []
        skipped = []
        mem_per = None
        for m in self.results["memory"]:
            if m["id"] == "registration":
                mem_per = m["groupd_bytes"]
        load_rate = None
        for size in p.scale_sizes:
            if size >= 10000000:
                need = (mem_per or 200) * size * 1.5
                avail = _mem_available()
                est_s = size / load_rate if load_rate else 0
                if (avail and need > avail * 0.7) or est_s > 240:
                    skipped.append({"size": size, "why": "needs ~%.1f GB, %.1f GB available; "
                                    "loading would take ~%.0f s" % (need / 1e9,
                                                                    (avail or 0) / 1e9, est_s)})
                    continue
            g = self.groupd("scale-groupd")
            _, load = self.lg.hold(["-p", str(g.port), "-c", "1", "-n", str(size),
                                    "--window", "5000", "--", "GREG", "s:{I}"] + META_ARGS,
                                   name="scale-load", timeout=900)
            load_rate = load["ops_per_sec"]
            # Redis at the same size, as the reference for what a larger table costs anyway
            # (cache and TLB misses): GET, and SET + DEL of a fresh key as GREG + GUNREG's twin.
            r = self.redis("scale-redis")
            self.lg.run("load", ["-p", str(r.port), "-c", "1", "-n", str(size),
                                 "--window", "5000", "--", "SET", "s:{I}", META_JSON],
                        timeout=900)
            runs = {k: [] for k in ("glookup", "greg", "get", "setdel")}
            for _ in range(p.reps):
                runs["glookup"].append(self.loadgen_bench(
                    g.port, ["GLOOKUP", "s:{R}"], 16, p.scale_ops, keyspace=size)["ops_per_sec"])
                runs["get"].append(self.loadgen_bench(
                    r.port, ["GET", "s:{R}"], 16, p.scale_ops, keyspace=size)["ops_per_sec"])
                runs["greg"].append(self.loadgen_bench(
                    g.port, ["GREG", "t:{c}:{i}"] + META_ARGS + [";;", "GUNREG", "t:{c}:{i}"],
                    16, p.scale_ops // 2)["ops_per_sec"])
                runs["setdel"].append(self.loadgen_bench(
                    r.port, ["SET", "t:{c}:{i}", META_JSON, "NX", ";;", "DEL", "t:{c}:{i}"],
                    16, p.scale_ops // 2)["ops_per_sec"])
                self.settle_groupd(g, size)
            pt = {"size": size, "load_ops_per_sec": load_rate}
            for k, v in runs.items():
                pt[k + "_ns"] = 1e9 / median(v)
                pt[k + "_ops"] = summary(v)
            # Older field names, kept for readers of earlier results.json files.
            pt["glookup_ns"], pt["greg_gunreg_pair_ns"] = pt["glookup_ns"], pt["greg_ns"]
            points.append(pt)
            self.log("  size %-9s GLOOKUP %6.0f ns/op (GET %6.0f)  GREG+GUNREG %6.0f ns/pair "
                     "(SET+DEL %6.0f)" % (report.count(size), pt["glookup_ns"], pt["get_ns"],
                                          pt["greg_ns"], pt["setdel_ns"]))
            self.sup.stop_all()
        sec = {"points": points, "skipped": skipped}
        if len(points) >= 2:
            for key in ("glookup_ns", "greg_ns", "get_ns", "setdel_ns"):
                sec[key + "_growth"] = points[-1][key] / points[0][key]
        self.results["sections"]["scaling"] = sec

    def section_prefix(self):
        p = self.p
        g = self.groupd("prefix-groupd")
        for rsize in p.prefix_results:
            conns = min(rsize, 100)
            per = max(1, rsize // 100)
            self.lg.hold(["-p", str(g.port), "-c", str(conns), "-n", str(per), "--",
                          "GJOIN", "q%d/g{i}" % rsize] + META_ARGS, name="prefix-fixture")

        def measure():
            out = {}
            for rsize in p.prefix_results:
                r = self.lg.run("bench", ["-p", str(g.port), "-c", "10", "-P", "1",
                                          "-d", str(p.prefix_seconds), "--", "GMEMBERS",
                                          "q%d/" % rsize])
                out[rsize] = 1e6 / r["ops_per_sec"] * 10  # us per op, 10 connections in flight.
            return out

        small_total = g.dbsize()
        small = measure()
        per_conn = p.prefix_filler // 100
        self.lg.hold(["-p", str(g.port), "-c", "100", "-n", str(per_conn), "--window", "500",
                      "--", "GJOIN", "f/{i}"] + META_ARGS, name="prefix-filler")
        large_total = g.dbsize()
        large = measure()
        rows = []
        for rsize in p.prefix_results:
            rows.append({"result_size": rsize, "us_small": small[rsize],
                         "us_large": large[rsize], "growth": large[rsize] / small[rsize]})
        self.results["sections"]["gmembers_prefix"] = {
            "small_total": small_total, "large_total": large_total, "points": rows,
            "note": "us per GMEMBERS q<R>/ with 10 connections at P1 (latency-like: 10/ops/s)"}
        for r in rows:
            self.log("  GMEMBERS prefix, %4d results: %8.1f us at %s entries, %8.1f us at %s" %
                     (r["result_size"], r["us_small"], report.count(small_total), r["us_large"],
                      report.count(large_total)))
        self.sup.stop_all()

    def section_snapshot_latency(self):
        """Client latency on both nodes while A's snapshot of every entry crosses to a new
        node B (tools/bench/snapshot_latency.py; one run: it is long and the stalls it looks
        for are per-run events, not a rate to take the median of)."""
        n = self.p.snapshot_entries
        res = snapshot_latency.measure(self.sup, self.args.groupd, n, cpu_a=self.server_cpu,
                                       cpu_b=self.client_cpu, log=self.log)
        self.sup.stop_all()
        self.results["sections"]["snapshot_latency"] = res
        for line in snapshot_latency.summary_lines(res):
            self.log("  " + line)
        bound = snapshot_latency.STALL_MS
        for node, who in (("A", "A (sending)"), ("B", "B (receiving)")):
            s = res[node]["during"]
            for q in ("p50", "p99"):
                self.row("Snapshot", "PING/GLOOKUP on %s during a %s-entry snapshot, %s" %
                         (who, report.count(n), q), s[q + "_ms"], None, "ms", None, "", None)
            self.row("Snapshot", "PING/GLOOKUP on %s during a %s-entry snapshot, max" %
                     (who, report.count(n)), s["max_ms"], None, "ms", None,
                     "< %d ms" % bound, s["max_ms"] < bound,
                     "replies over %d ms: %d" % (bound, s["over_%dms" % bound]))
        self.row("Snapshot", "%s-entry snapshot A→B, B's start until B applied its end" %
                 report.count(n), res["snapshot_s"] * 1000.0, None, "ms", None, "", None)

    # --- driver ---------------------------------------------------------------------------

    def versions(self):
        meta = self.results["meta"]
        meta["mode"] = "quick" if self.p.quick else "full"
        meta["reps"] = self.p.reps
        meta["date"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
        meta["host"] = platform.node()
        meta["cpus"] = os.cpu_count()
        try:
            with open("/proc/cpuinfo") as f:
                models = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
            meta["cpu_model"] = models[0] if models else platform.processor()
        except OSError:
            pass
        meta["pinning"] = ("servers on core %s, clients on core %s" %
                           (self.server_cpu, self.client_cpu)
                           if self.server_cpu is not None else "none")
        try:
            meta["redis_version"] = subprocess.run(
                [self.args.redis_server, "--version"], capture_output=True, text=True,
                timeout=10).stdout.strip()
        except OSError:
            meta["redis_version"] = "?"
        try:
            rev = subprocess.run(["git", "-C", SOURCE_ROOT, "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
            dirty = subprocess.run(["git", "-C", SOURCE_ROOT, "status", "--porcelain",
                                    "--untracked-files=no"], capture_output=True, text=True,
                                   timeout=10).stdout.strip()
            meta["groupd_commit"] = rev + ("+dirty" if dirty else "")
        except OSError:
            meta["groupd_commit"] = "?"
        meta["groupd_binary"] = self.args.groupd
        meta["meta_json"] = META_JSON
        meta["loadavg_start"] = loadavg()

    def run(self):
        self.t0 = time.monotonic()
        self.versions()
        sections = [("throughput", self.section_throughput),
                    ("instructions", self.section_instructions),
                    ("memory", self.section_memory),
                    ("replication", self.section_replication),
                    ("heal", self.section_heal),
                    ("fanout", self.section_fanout),
                    ("scaling", self.section_scaling),
                    ("prefix", self.section_prefix),
                    ("snapshot_latency", self.section_snapshot_latency)]
        only = set(self.args.only or [])
        timings = {}
        for name, fn in sections:
            if only and name not in only:
                continue
            self.log("%s (load average %.1f)" % (name, loadavg() or 0))
            t = time.monotonic()
            try:
                fn()
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as e:  # noqa: BLE001 - one failed section must not lose the rest.
                self.log("  %s FAILED: %s" % (name, e))
                traceback.print_exc()
                self.results["errors"].append({"section": name, "error": str(e)})
            finally:
                self.sup.stop_all()
            timings[name] = round(time.monotonic() - t, 1)
        self.results["meta"]["section_seconds"] = timings
        self.results["meta"]["total_seconds"] = round(time.monotonic() - self.t0, 1)
        self.results["meta"]["loadavg_end"] = loadavg()
        self.results["rows"] = self.rows
        path = os.path.join(self.out_dir, "results.json")
        with open(path, "w") as f:
            json.dump(self.results, f, indent=2, default=str)
        md = report.markdown(self.results)
        with open(os.path.join(self.out_dir, "results.md"), "w") as f:
            f.write(md)
        chart = report.chart(self.results, os.path.join(self.out_dir, "chart.png"))
        self.log("wrote %s, results.md%s" % (path, ", chart.png" if chart else
                                             " (no chart: matplotlib missing)"))
        print(md)
        return 0

    def cleanup(self):
        self.sup.stop_all()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _mem_available():
    try:
        with open("/proc/meminfo") as f:
            for ln in f:
                if ln.startswith("MemAvailable:"):
                    return int(ln.split()[1]) * 1024
    except OSError:
        pass
    return None


def _default_build_dir():
    return os.path.join(SOURCE_ROOT, "build-bench")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke-check sizes (under a minute)")
    ap.add_argument("--build-dir", default=_default_build_dir())
    ap.add_argument("--groupd", help="groupd binary (default BUILD/server/groupd)")
    ap.add_argument("--loadgen", help="loadgen binary (default BUILD/tools/loadgen/loadgen)")
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--redis-benchmark",
                    default=shutil.which("redis-benchmark") or "redis-benchmark")
    ap.add_argument("--valgrind", default=shutil.which("valgrind") or "valgrind")
    ap.add_argument("--out", help="output folder (default bench-results, or bench-results/quick "
                                  "with --quick, so a smoke check never replaces full results)")
    ap.add_argument("--only", action="append",
                    help="run only this section (repeatable): throughput, instructions, memory, "
                         "replication, heal, fanout, scaling, prefix, snapshot_latency")
    ap.add_argument("--only-case", action="append", help="throughput: only this case id")
    ap.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    ap.add_argument("--set", action="append", metavar="NAME=JSON",
                    help="override a size of class Profile, e.g. --set heal_each=100000 "
                         "--set 'scale_sizes=[1000,1000000]'")
    ap.add_argument("--render", metavar="RESULTS_JSON",
                    help="only rewrite results.md and chart.png (next to it) from a results.json")
    args = ap.parse_args(argv)
    if args.render:
        with open(args.render) as f:
            res = json.load(f)
        out = os.path.dirname(os.path.abspath(args.render))
        with open(os.path.join(out, "results.md"), "w") as f:
            f.write(report.markdown(res))
        report.chart(res, os.path.join(out, "chart.png"))
        return 0
    if not args.out:
        args.out = os.path.join(SOURCE_ROOT, "bench-results", *(["quick"] if args.quick else []))
    args.groupd = os.path.abspath(args.groupd or os.path.join(args.build_dir, "server", "groupd"))
    args.loadgen = os.path.abspath(args.loadgen or os.path.join(args.build_dir, "tools",
                                                                "loadgen", "loadgen"))
    vg_dir = os.path.dirname(args.valgrind)
    args.callgrind_control = shutil.which("callgrind_control") or os.path.join(
        vg_dir, "callgrind_control")
    args.callgrind_annotate = shutil.which("callgrind_annotate") or os.path.join(
        vg_dir, "callgrind_annotate")
    for path in (args.groupd, args.loadgen):
        if not os.access(path, os.X_OK):
            ap.error("missing binary %s (build it: make bench)" % path)

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    # Ctrl-C stops the run even when it was started with SIGINT ignored (a background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    bench = Bench(args)
    try:
        return bench.run()
    except KeyboardInterrupt:
        print("interrupted; stopping every process started", file=sys.stderr)
        return 130
    finally:
        bench.cleanup()


if __name__ == "__main__":
    sys.exit(main())
