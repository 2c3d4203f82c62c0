"""Turns results.json into results.md (tables, targets marked met/missed) and chart.png."""


def count(n):
    """1000 -> '1k', 1500000 -> '1.5M'."""
    if n >= 1000000 and n % 100000 == 0:
        return "%gM" % (n / 1e6)
    if n >= 1000 and n % 100 == 0:
        return "%gk" % (n / 1e3)
    return str(n)


def _num(v, unit):
    if v is None:
        return "—"
    if unit in ("ops/s", "msg/s"):
        if v >= 1e6:
            return "%.2fM" % (v / 1e6)
        if v >= 1e3:
            return "%.1fk" % (v / 1e3)
        return "%.0f" % v
    if unit == "Ir":
        return "%.0f" % v
    if unit == "B":
        return "%.1f" % v
    if unit == "ms":
        return "%.3f" % v if v < 10 else "%.0f" % v
    return "%.3g" % v


def fmt_rate(v):
    return _num(v, "ops/s")


def _cell(v, unit):
    if isinstance(v, dict):
        s = _num(v["median"], unit)
        if len(v.get("runs", [])) > 1:
            s += " (%s–%s)" % (_num(v["min"], unit), _num(v["max"], unit))
        return s + " " + unit
    return _num(v, unit) + ("" if v is None else " " + unit)


def _met(m):
    if m is None:
        return "—"
    return "met" if m else "**missed**"


SECTION_ORDER = ["Throughput", "Instructions", "Memory", "Replication", "Heal", "Fan-out"]


def _ordered_rows(res):
    """Rows grouped by section in SECTION_ORDER, keeping their order within a section."""
    def rank(r):
        for i, name in enumerate(SECTION_ORDER):
            if r["section"].startswith(name):
                return i
        return len(SECTION_ORDER)
    return sorted(res.get("rows", []), key=rank)


def markdown(res):
    meta = res.get("meta", {})
    out = []
    out.append("# groupd vs Redis 7: benchmark results\n")
    out.append("- Run: %s, mode **%s**, %s repetition(s) per figure (median, with min–max)" %
               (meta.get("date"), meta.get("mode"), meta.get("reps")))
    out.append("- Machine: %s, %s CPUs (%s); pinning: %s; load average %.1f at start, %.1f at "
               "end" % (meta.get("host"), meta.get("cpus"), meta.get("cpu_model"),
                        meta.get("pinning"), meta.get("loadavg_start") or 0,
                        meta.get("loadavg_end") or 0))
    out.append("- groupd %s (Release); %s" % (meta.get("groupd_commit"),
                                             meta.get("redis_version")))
    out.append("- Entry meta: `%s` (54 bytes; groupd gets it as 4 META pairs)" %
               meta.get("meta_json"))
    out.append("- Total time %s s; per section: %s\n" % (
        meta.get("total_seconds"),
        ", ".join("%s %s s" % kv for kv in meta.get("section_seconds", {}).items())))
    out.append("Ratios are oriented so that > 1 favours groupd: groupd/Redis for throughput, "
               "Redis/groupd for costs (instructions, bytes, latency, time).\n")
    out.append("| section | measurement | groupd | Redis 7 | ratio | target | met? |")
    out.append("|---|---|---|---|---|---|---|")
    for r in _ordered_rows(res):
        ratio = "—" if r["ratio"] is None else "%.2f×" % r["ratio"]
        name = r["name"] + (" — " + r["note"] if r.get("note") else "")
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            r["section"], name, _cell(r["groupd"], r["unit"]), _cell(r["redis"], r["unit"]),
            ratio, r["target"] or "—", _met(r["met"])))
    met = [r for r in res.get("rows", []) if r["met"] is not None]
    out.append("\nTargets met: %d of %d.\n" % (sum(1 for r in met if r["met"]), len(met)))

    tp = res.get("throughput", [])
    if tp:
        out.append("## Client-side latency of the throughput runs (ms, median over runs)\n")
        out.append("| measurement | P | groupd p50 | groupd p99 | Redis p50 | Redis p99 | tool |")
        out.append("|---|---|---|---|---|---|---|")
        for t in tp:
            out.append("| %s | %d | %.3f | %.3f | %.3f | %.3f | %s |" % (
                t["label"], t["pipeline"], t["groupd"]["p50_ms"], t["groupd"]["p99_ms"],
                t["redis"]["p50_ms"], t["redis"]["p99_ms"], t["tool"]))
        out.append("")
        out.append("## Server CPU per operation in the throughput runs (µs, median over runs)\n")
        out.append("Throughput compares the servers only while the load tool has CPU to spare; "
                   "where the tool's core is (nearly) saturated, the server CPU time per "
                   "operation (from /proc) is the comparison that holds. The no-work server "
                   "(`loadgen null`: frames each request and answers +OK) gets Redis's command "
                   "from the same tool. Redis's CPU per operation over the no-work server's is "
                   "the most CPU any server could save against Redis here (the CPU ceiling); "
                   "its rate over Redis's shows the same in ops/s while the tool has CPU to "
                   "spare, and only noise once the tool's core is saturated.\n")
        out.append("| measurement | P | groupd µs/op | Redis µs/op | no-work µs/op | Redis/groupd | "
                   "Redis/no-work (CPU ceiling) | no-work/Redis ops/s | "
                   "tool core busy (groupd / Redis / no-work) |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for t in tp:
            if "cpu_ratio" not in t:
                continue
            null = t.get("null")
            out.append("| %s | %d | %.2f | %.2f | %s | %.2f× | %s | %s | %.0f%% / %.0f%% / %s |" % (
                t["label"], t["pipeline"], t["groupd"]["server_cpu_us_per_op"],
                t["redis"]["server_cpu_us_per_op"],
                "%.2f" % null["server_cpu_us_per_op"] if null else "—", t["cpu_ratio"],
                "%.2f×" % (t["redis"]["server_cpu_us_per_op"] / null["server_cpu_us_per_op"])
                if null else "—",
                "%.2f×" % t["ceiling"] if "ceiling" in t else "—",
                100 * t["groupd"]["tool_cpu_share"], 100 * t["redis"]["tool_cpu_share"],
                "%.0f%%" % (100 * null["tool_cpu_share"]) if null else "—"))
        out.append("")

    ins = res.get("instructions", [])
    if ins:
        out.append("## Instruction counts (callgrind, per command by difference)\n")
        out.append("| measurement | P | N, 2N | groupd Ir(N) | groupd Ir(2N) | groupd Ir/cmd | "
                   "Redis Ir/cmd |")
        out.append("|---|---|---|---|---|---|---|")
        for i in ins:
            out.append("| %s | %d | %d, %d | %d | %d | %.0f | %.0f |" % (
                i["label"], i["pipeline"], i["n"][0], i["n"][1], i["groupd"]["ir_n"],
                i["groupd"]["ir_2n"], i["groupd"]["ir_per_cmd"], i["redis"]["ir_per_cmd"]))
        out.append("")

    sec = res.get("sections", {})
    lat = sec.get("latency")
    if lat:
        out.append("## Single-change propagation (%s samples, one at a time)\n" %
                   count(lat["samples"]))
        out.append("| server | interval | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |")
        out.append("|---|---|---|---|---|---|---|")
        for who, label in (("groupd", "groupd A→B"), ("redis", "Redis primary→replica")):
            for key, desc in (("reply", "command reply on A"),
                              ("reply_to_event", "reply on A → event on B"),
                              ("send_to_event", "write on A → event on B")):
                d = lat[who][key]
                out.append("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f |" % (
                    label, desc, d["p50_us"] / 1e3, d["p90_us"] / 1e3, d["p99_us"] / 1e3,
                    d["p999_us"] / 1e3, d["max_us"] / 1e3))
        out.append("")

    fan = sec.get("fanout")
    if fan:
        out.append("## Fan-out delivery latency (write of the change → frame at a subscriber)\n")
        out.append("| server | deliveries/s | p50 ms | p99 ms |")
        out.append("|---|---|---|---|")
        for who in ("groupd", "redis"):
            d = fan[who]
            out.append("| %s | %s | %.3f | %.3f |" % (who, _num(d["median"], "msg/s"),
                                                     d["p50_ms"], d["p99_ms"]))
        out.append("")

    sc = sec.get("scaling")
    if sc:
        out.append("## Scaling: per-operation cost vs table size (P16, 50 connections)\n")
        out.append("| entries | GLOOKUP ns/op | Redis GET ns/op | GREG+GUNREG ns/pair | "
                   "Redis SET NX+DEL ns/pair | groupd load rate |")
        out.append("|---|---|---|---|---|---|")
        for pt in sc["points"]:
            out.append("| %s | %.0f | %.0f | %.0f | %.0f | %s |" % (
                count(pt["size"]), pt["glookup_ns"], pt.get("get_ns", 0), pt["greg_ns"],
                pt.get("setdel_ns", 0), _num(pt["load_ops_per_sec"], "ops/s") + " ops/s"))
        for s in sc.get("skipped", []):
            out.append("\nSkipped %s: %s." % (count(s["size"]), s["why"]))
        if "glookup_ns_growth" in sc:
            out.append("\nLargest/smallest size: GLOOKUP %.2f× (Redis GET %.2f×), GREG+GUNREG "
                       "%.2f× (Redis SET+DEL %.2f×); flat is 1.0." % (
                           sc["glookup_ns_growth"], sc.get("get_ns_growth", 0),
                           sc["greg_ns_growth"], sc.get("setdel_ns_growth", 0)))
        out.append("")

    gp = sec.get("gmembers_prefix")
    if gp:
        out.append("## GMEMBERS prefix cost vs result size (not total entries)\n")
        out.append("| result size | µs/op with %s entries | µs/op with %s entries | growth |" %
                   (count(gp["small_total"]), count(gp["large_total"])))
        out.append("|---|---|---|---|")
        for p in gp["points"]:
            out.append("| %d | %.1f | %.1f | %.2f× |" % (p["result_size"], p["us_small"],
                                                       p["us_large"], p["growth"]))
        out.append("")

    sl = sec.get("snapshot_latency")
    if sl:
        out.append("## Client latency during a %s-entry snapshot (ms; PING and GLOOKUP, one at "
                   "a time, 1 ms apart)\n" % count(sl["entries"]))
        out.append("Snapshot %.2f s from B's start until B applied its end (every entry counted "
                   "on B after %.2f s). *before*: A alone; *during*: the snapshot; *after*: "
                   "both idle with every entry. *control*: how late a 1 ms sleep woke up "
                   "(the machine's own delay).\n" % (sl["snapshot_s"], sl["all_entries_s"]))
        out.append("| node | window | requests | p50 | p99 | p99.9 | max | slowest (ms @ s "
                   "after B's start) |")
        out.append("|---|---|---|---|---|---|---|---|")
        for node in ("A", "B", "control"):
            for w, st in sl.get(node, {}).items():
                out.append("| %s | %s | %d | %.3f | %.3f | %.3f | %.1f | %s |" % (
                    node, w, st["requests"], st["p50_ms"] or 0, st["p99_ms"] or 0,
                    st["p999_ms"] or 0, st["max_ms"] or 0,
                    ", ".join("%.0f @ %.2f" % (x["ms"], x["sent_at_s"])
                              for x in st["worst"][:3])))
        out.append("")

    prof = res.get("profiles") or {}
    for case, title in (("write", "GREG"), ("read", "GLOOKUP")):
        p = prof.get(case)
        if not p:
            continue
        out.append("## groupd profile: %s at P16, top functions by self Ir (`%s`)\n" %
                   (title, p["file"]))
        out.append("| Ir | % | function |")
        out.append("|---|---|---|")
        for t in p["top"][:12]:
            out.append("| %s | %.1f | `%s` |" % ("{:,}".format(t["ir"]), t["pct"],
                                               t["fn"].replace("|", "\\|")[:140]))
        out.append("")

    errs = res.get("errors", [])
    if errs:
        out.append("## Sections that failed\n")
        for e in errs:
            out.append("- %s: %s" % (e["section"], e["error"]))
        out.append("")
    return "\n".join(out) + "\n"


def chart(res, path):
    """Writes the PNG; returns False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in _ordered_rows(res) if r["ratio"] is not None]
    sc = (res.get("sections", {}).get("scaling") or {}).get("points", [])
    tp = [t for t in res.get("throughput", [])]
    lat = res.get("sections", {}).get("latency")
    fig, axes = plt.subplots(1, 3, figsize=(22, max(7, 0.34 * len(rows) + 2)),
                             gridspec_kw={"width_ratios": [1.5, 1.2, 0.8]})

    ax = axes[0]
    tags = {"Throughput": "ops/s", "Instructions": "Ir", "Memory": "bytes",
            "Replication": "repl", "Heal": "heal", "Fan-out": "fan-out"}

    def tag(r):
        for k, v in tags.items():
            if r["section"].startswith(k):
                return "[%s] " % v
        return ""
    labels = [(tag(r) + r["name"])[:64] for r in rows]
    vals = [r["ratio"] for r in rows]
    colors = ["#2e7d32" if r["met"] else ("#c62828" if r["met"] is False else "#757575")
              for r in rows]
    y = list(range(len(rows)))[::-1]
    ax.barh(y, vals, color=colors)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=7)
    ax.axvline(1.0, color="black", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("ratio, > 1 favours groupd (log)")
    ax.set_title("groupd vs Redis 7 (green: target met, red: missed, grey: no target)")
    for yi, v in zip(y, vals):
        ax.text(v, yi, " %.2f×" % v, va="center", fontsize=7)
    # Where a no-work server was measured too, a black tick marks the ceiling: the highest
    # ratio any server reaches against Redis on this machine with that tool.
    ceil = [(yi, r["ceiling"]) for yi, r in zip(y, rows) if r.get("ceiling")]
    if ceil:
        ax.scatter([c for _, c in ceil], [yi for yi, _ in ceil], marker="|", s=120,
                   color="black", zorder=3, label="ceiling (no-work server / Redis)")
        ax.legend(fontsize=7, loc="lower right")

    ax = axes[1]
    names, g50, g99, r50, r99 = [], [], [], [], []
    for t in tp:
        names.append("%s P%d" % (t["id"], t["pipeline"]))
        g50.append(t["groupd"]["p50_ms"])
        g99.append(t["groupd"]["p99_ms"])
        r50.append(t["redis"]["p50_ms"])
        r99.append(t["redis"]["p99_ms"])
    if lat:
        names.append("propagation")
        g50.append(lat["groupd"]["reply_to_event"]["p50_us"] / 1e3)
        g99.append(lat["groupd"]["reply_to_event"]["p99_us"] / 1e3)
        r50.append(lat["redis"]["reply_to_event"]["p50_us"] / 1e3)
        r99.append(lat["redis"]["reply_to_event"]["p99_us"] / 1e3)
    if names:
        y = list(range(len(names)))[::-1]
        h = 0.2
        ax.barh([v + 1.5 * h for v in y], g50, h, label="groupd p50", color="#1565c0")
        ax.barh([v + 0.5 * h for v in y], g99, h, label="groupd p99", color="#90caf9")
        ax.barh([v - 0.5 * h for v in y], r50, h, label="Redis p50", color="#d84315")
        ax.barh([v - 1.5 * h for v in y], r99, h, label="Redis p99", color="#ffab91")
        ax.set_yticks(y)
        ax.set_yticklabels(names, fontsize=7)
        ax.set_xscale("log")
        ax.set_xlabel("ms (log)")
        ax.legend(fontsize=7, loc="lower right")
        ax.set_title("latency percentiles (client side; propagation: reply→event)")

    ax = axes[2]
    if sc:
        xs = [p["size"] for p in sc]
        ax.plot(xs, [p["glookup_ns"] for p in sc], "o-", color="#1565c0", label="GLOOKUP ns/op")
        ax.plot(xs, [p["greg_ns"] for p in sc], "s-", color="#2e7d32",
                label="GREG+GUNREG ns/pair")
        if all("get_ns" in p for p in sc):
            ax.plot(xs, [p["get_ns"] for p in sc], "o--", color="#d84315",
                    label="Redis GET ns/op")
            ax.plot(xs, [p["setdel_ns"] for p in sc], "s--", color="#ff8f00",
                    label="Redis SET NX+DEL ns/pair")
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("registrations")
        ax.legend(fontsize=8)
        ax.set_title("per-op cost vs size (flat is the goal)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
