#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ (committed; rerun after changing an
input layout). Each seed is a small valid input in the layout its target's header comment
describes, so the fuzzers start from inputs that reach deep into the code."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- fuzz_resp_parser: [limits byte][read count][read sizes...][stream] ---------------------

def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def parser_seed(name, stream, limits=0, reads=()):
    write("fuzz_resp_parser", name, bytes([limits, len(reads)]) + bytes(reads) + stream)


parser_seed("ping_whole", resp("PING"))
parser_seed("pipeline_pieces", resp("GREG", "k", "META", "f", "v") + resp("GLOOKUP", "k") +
            b"PING\r\n" + resp("GJOIN", "rooms/1"), reads=(1, 5, 3, 200))
parser_seed("inline_quotes", b'SET "a\\x41b\\n" \'c d\' e\r\n\r\n  \n*0\r\n*-1\r\nPING\n',
            reads=(2, 7))
parser_seed("unauth_too_many", resp(*["a"] * 11), limits=1, reads=(4,))
parser_seed("small_limits", resp("x" * 20) + b"Q" * 40 + b"\r\n", limits=2, reads=(3, 9))
parser_seed("nul_in_inline", b"GET a\x00b\nPING\r\n", reads=(1,))
parser_seed("bad_bulk_prefix", b"*2\r\n$3\r\nfoo\r\nx3\r\nbar\r\n", reads=(6,))
parser_seed("bad_counts", b"*-0\r\n*007\r\n", reads=(2,))
parser_seed("binary_bulk", resp(b"\x00\r\n\xff", b"") + resp("A", "B"), reads=(1, 1, 2, 64))
parser_seed("unbalanced", b'ECHO "abc\r\n', reads=(5,))
parser_seed("big_bulk_header", b"*1\r\n$536870912\r\nabc", reads=(3,))

# --- fuzz_commands: records "<ctl><arg>\0<arg>...\n" --------------------------------------------


def commands_seed(name, records):
    data = b"\n".join(bytes([ctl]) + b"\x00".join(
        a if isinstance(a, bytes) else a.encode() for a in args) for ctl, args in records)
    write("fuzz_commands", name, data)


C0, C1, C2, C3 = 0x30, 0x31, 0x32, 0x33  # '0'..'3': clients 0-3.
PID1 = b"\xf1"  # Token: client 1's pid.
ID2 = b"\xf6"   # Token: client 2's id.
INBOX0 = b"\xf8"  # Token: client 0's inbox channel.

commands_seed("registry", [
    (C0, ["GREG", "k", "META", "f", "1", "g", "2"]),
    (C1, ["GREG", "k"]),
    (C1, ["GLOOKUP", "k", "FIELDS", "f"]),
    (C0, ["GREGCOUNT"]),
    (C0, ["GENTRIES"]),
    (C0, ["GUNREG", "k"]),
    (C1, ["GLOOKUP", "k"]),
])
commands_seed("groups", [
    (C0, ["GJOIN", "rooms/1", "META", "n", "a"]),
    (C1, ["GJOIN", "rooms/2", "CLUSTER", "c"]),
    (C1, ["GCONNECT", "c", "TTL", "100"]),
    (C1, ["GJOIN", "rooms/2", "CLUSTER", "c"]),
    (C2, ["GMEMBERS", "rooms/", "WITHKEYS"]),
    (C2, ["GCOUNT", "rooms/1"]),
    (C0, ["GLEAVE", "rooms/1"]),
    (0x39, ["GLEAVE", "rooms/2", "CLUSTER", "c"]),  # Then cron, lease expired.
    (C0, ["GCONNECTED"]),
])
commands_seed("monitor_dispatch", [
    (C1, ["HELLO", "3"]),
    (C1, ["GMONITOR", "*"]),
    (C2, ["SUBSCRIBE", INBOX0, "__gdispatch__:g"]),
    (C0, ["GJOIN", "g"]),
    (C3, ["GDISPATCH", "g", "hello"]),
    (C2, ["PING"]),
    (C2, ["UNSUBSCRIBE"]),
    (C1, ["GDEMONITOR", "*"]),
    (0x34, ["GREG", "x"]),  # Client 0 closes first.
])
commands_seed("pubsub", [
    (C0, ["SUBSCRIBE", "a", "b"]),
    (C0, ["PSUBSCRIBE", "a*"]),
    (C1, ["PUBLISH", "a", "m"]),
    (C1, ["PUBSUB", "NUMSUB", "a", "b"]),
    (C1, ["PUBSUB", "CHANNELS", "*"]),
    (C0, ["PUNSUBSCRIBE"]),
    (C0, ["RESET"]),
])
commands_seed("client_admin", [
    (C0, ["CLIENT", "SETNAME", "w"]),
    (C0, ["CLIENT", "LIST"]),
    (C1, ["CLIENT", "KILL", "ID", ID2]),
    (C1, ["CLIENT", "KILL", "USER", "default", "SKIPME", "yes"]),
    (C2, ["CLIENT", "REPLY", "SKIP"]),
    (C2, ["PING"]),
    (C2, ["CLIENT", "INFO"]),
    (C0, ["INFO", "everything"]),
    (C0, ["COMMAND", "DOCS", "GREG"]),
    (C0, ["COMMAND", "INFO", "GJOIN"]),
    (C0, ["COMMAND", "COUNT"]),
    (C0, ["CONFIG", "GET", "*max*"]),
])
commands_seed("transaction", [
    (C1, ["HELLO", "3"]),
    (C1, ["GMONITOR", "*"]),
    (C1, ["MULTI"]),
    (C1, ["GREG", "k", "META", "f", "1"]),
    (C1, ["GJOIN", "g"]),
    (C1, ["EXEC"]),
    (C3, ["MULTI"]),
    (C3, ["CLIENT", "REPLY", "OFF"]),
    (C3, ["EXEC"]),
    (C0, ["MULTI"]),
    (C0, ["GREG", "k"]),
    (C0, ["CLIENT", "KILL", "ID", ID2]),
    (C0, ["GDISPATCH", "g", "m"]),
    (C0, ["EXEC"]),
    (C2, ["MULTI"]),
    (C2, ["GLOOKUP", "k"]),
    (C2, ["DISCARD"]),
])
commands_seed("config_auth", [
    (C0, ["CONFIG", "SET", "client-output-buffer-limit", "normal 64 0 0"]),
    (C0, ["INFO"]),
    (C1, ["CONFIG", "SET", "requirepass", "pw"]),
    (0x36, ["GREG", "k"]),  # Client 2 reconnects: must authenticate now.
    (C2, ["AUTH", "pw"]),
    (C2, ["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "n"]),
    (C1, ["CONFIG", "SET", "maxclients", "1"]),
    (0x37, ["PING"]),
    (C0, ["CONFIG", "RESETSTAT"]),
])
commands_seed("conflict_kill_pid", [
    (C0, ["GPID"]),
    (C1, ["GREG", "k"]),
    (C0, ["CLIENT", "KILL", "ADDR", b"\xfd\x01"]),
    (C0, ["GDISPATCH", PID1, "m"]),
    (C0, ["GLOCALDISPATCH", "g", "m"]),
    (C0, ["SHUTDOWN", "ABORT"]),
    (C0, ["QUIT"]),
])
commands_seed("output_limits", [
    (C0, ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 300 100 0"]),
    (C1, ["SUBSCRIBE", "ch"]),
    (C2, ["HELLO", "3"]),
    (C2, ["GMONITOR", "*"]),
    (C3, ["PUBLISH", "ch", "m" * 200]),
    (C3, ["GREG", "k", "META", "f", "v" * 200]),
    (C3, ["GJOIN", "g"]),
    (0x38, ["PING"]),  # Cron: soft limits.
    (C0, ["CONFIG", "SET", "client-output-buffer-limit", "normal 0 40 0"]),
    (0x38, ["INFO"]),
    (0x38, ["INFO"]),
])
commands_seed("stalled_clients", [
    (C0, ["CONFIG", "SET", "client-output-buffer-limit", "normal 1000 0 0"]),
    (0x41, ["INFO"]),  # '@'+1: client 1 stops reading; INFO passes the hard limit.
    (0x42, ["GMONITOR", "*"]),  # Client 2 stops reading too.
    (C3, ["GREG", "k", "META", "f", "v"]),
    (C0, ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 10 0"]),
    (0x38, ["PING"]),  # Cron: the soft limit starts counting.
    (0x38, ["PING"]),  # Cron: zero seconds allowed, so it is over.
    (C2, ["PING"]),
    (0x42, ["PING"]),  # A new client 2 stalls and resumes.
    (0x42, ["PING"]),
])
commands_seed("cluster_disconnect", [
    (C0, ["GCONNECT", "c"]),
    (C0, ["GREG", "k", "CLUSTER", "c"]),
    (C1, ["GJOIN", "g", "CLUSTER", "c", "META", "a", "1"]),
    (C2, ["GMONITOR", "*", "CLUSTER", "c"]),
    (C3, ["GENTRIES", "CLUSTER", "c"]),
    (C3, ["GLOCALENTRIES"]),
    (C3, ["GCLUSTERNODES", "c"]),
    (C3, ["GDISCONNECT", "c"]),
    (C0, ["GLOOKUP", "k", "CLUSTER", "c"]),
    (C0, ["GCONNECT", "c", "TTL", "1"]),
    (0x1b, ["GCONNECTED"]),  # Client 3, cron a minute later: the lease expires.
])
commands_seed("client_more", [
    (C0, ["CLIENT", "GETNAME"]),
    (C0, ["CLIENT", "SETNAME", "x"]),
    (C0, ["CLIENT", "GETNAME"]),
    (C0, ["CLIENT", "SETINFO", "LIB-NAME", "a"]),
    (C0, ["CLIENT", "SETINFO", "LIB-VER", "1"]),
    (C0, ["CLIENT", "HELP"]),
    (C1, ["SUBSCRIBE", "x"]),
    (C0, ["CLIENT", "LIST", "TYPE", "pubsub"]),
    (C0, ["CLIENT", "LIST", "ID", b"\xf5", b"\xf4"]),
    (C2, ["PING"]),
    (C0, ["CLIENT", "KILL", b"\xfd\x02"]),
    (C0, ["CLIENT", "KILL", "ID", b"\xf4", "SKIPME", "no"]),
    (C3, ["CONFIG", "HELP"]),
    (C3, ["PUBSUB", "HELP"]),
    (C3, ["COMMAND", "HELP"]),
    (C3, ["COMMAND", "GETKEYS", "GREG", "k"]),
    (C3, ["COMMAND", "LIST", "FILTERBY", "PATTERN", "g*"]),
    (C3, ["CLIENT", "NO-EVICT", "ON"]),
])
commands_seed("tokens", [
    (C0, [b"\x80"]),
    (C0, [b"\x90", b"\x81"]),
    (C1, [b"\xa0", b"\x85", b"\x86"]),
    (C0, ["CONFIG", "GET", b"\xff\x03"]),
])

# --- fuzz_peer_frames -----------------------------------------------------------------------


def var(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def s(x):
    x = x if isinstance(x, bytes) else x.encode()
    return var(len(x)) + x


def meta(pairs):
    return var(len(pairs)) + b"".join(s(f) + s(v) for f, v in pairs)


def frame(t, payload):
    return struct.pack("<IBBHI", 0x44505247, 1, t, 0, len(payload)) + payload


HELLO, AUTH, WELCOME, REJECT, CLUSTERS, PEERS = 1, 2, 3, 4, 5, 6
SNAP_BEGIN, SNAP_CHUNK, SNAP_END, BATCH, DISPATCH, PUBLISH, HEARTBEAT, LEAVING = range(7, 15)


def op(code, cluster, key, pid, t, reason, m=None):
    out = bytes([code]) + s(cluster) + s(key) + s(pid) + struct.pack("<q", t) + bytes([reason])
    if code in (1, 3):
        out += meta(m or [])
    return out


def entry(kind, key, pid, t, m):
    return kind.encode() + s(key) + s(pid) + struct.pack("<q", t) + meta(m)


hello = frame(HELLO, s("peer-a") + s("inc1") + struct.pack("<I", 8) + s("127.0.0.1:16390") +
              s(b"\x01" * 16) + b"\x00" + var(1) + s("c"))
auth = frame(AUTH, s(""))
batch = frame(BATCH, op(1, "", "k", "1.inc1@peer-a", 1, 0, [("f", "9")]) +
              op(3, "c", "g", "1.inc1@peer-a", 2, 0, [("f", "1")]) +
              op(1, "c", "r", "2.inc1@peer-a", 3, 0) +
              op(2, "c", "r", "2.inc1@peer-a", 4, 1) +
              op(4, "", "g", "1.inc1@peer-a", 5, 2))
snapshot = (frame(SNAP_BEGIN, s("c")) +
            frame(SNAP_CHUNK, s("c") + entry("r", "k2", "3.inc1@peer-a", 0, [("f", "y")]) +
                  entry("g", "g", "3.inc1@peer-a", 7, [])) +
            frame(SNAP_END, s("c")))


def peer_seed(name, stream, mode=0, reads=()):
    write("fuzz_peer_frames", name, bytes([mode, len(reads)]) + bytes(reads) + stream)


peer_seed("handshake_batch", hello + auth + batch + frame(HEARTBEAT, b""))
peer_seed("handshake_pieces", hello + auth + snapshot, reads=(1, 11, 200, 3))
peer_seed("up_conflict_newest", batch + snapshot + frame(LEAVING, b""), mode=0b0110)
peer_seed("up_meta_max_kill", frame(BATCH, op(1, "c", "k2", "9.z@peer-a", 0, 0, [("f", "z")]) +
                                    op(1, "", "k", "9.z@peer-a", 0, 0, [("f", "10")])),
          mode=0b101010)
peer_seed("up_clusters_peers", frame(CLUSTERS, var(2) + s("c") + s("d")) +
          frame(PEERS, var(1) + s("peer-b") + s("127.0.0.1:1")) + batch +
          frame(CLUSTERS, var(0)), mode=2)
peer_seed("up_dispatch_publish", frame(DISPATCH, s("") + s("g") + s("m")) +
          frame(PUBLISH, s("__gevent__:x") + s("p")), mode=2)
peer_seed("reject", frame(REJECT, s("no")))
peer_seed("bad_header", frame(BATCH, b"")[:4] + b"\x02" + b"\x00" * 7)
peer_seed("too_long", struct.pack("<IBBHI", 0x44505247, 1, BATCH, 0, 0x7FFFFFFF))
peer_seed("short_meta", frame(BATCH, op(1, "", "k", "p", 0, 0)[:-1] + var(300)), mode=2)


def framed(records):
    out = b""
    for t, payload in records:
        if len(payload) >= 255:
            out += bytes([t, 255]) + struct.pack("<H", len(payload))
        else:
            out += bytes([t, len(payload)])
        out += payload
    return out


peer_seed("framed_batch", framed([(BATCH, op(1, "", "k", "1.i@peer-a", 0, 0, [("f", "1")]) +
                                   op(3, "", "g", "1.i@peer-a", 0, 0))]), mode=0b11)
peer_seed("framed_snapshot", framed([(SNAP_BEGIN, s("")), (SNAP_CHUNK, s("") +
                                      entry("r", "k", "1.i@peer-a", 0, [])),
                                     (SNAP_END, s(""))]), mode=0b11)
late = 1 << 62  # Newer than any local registration: loses under "oldest".
peer_seed("framed_shadow_promote", framed([
    (BATCH, op(1, "", "k", "9.i@peer-a", late, 0)),   # Loses to client 0: shadowed.
    (BATCH, op(1, "", "k", "8.i@peer-a", late + 1, 0)),
    (0xF4, b"k"),  # Client 0 GUNREG k: the best shadow becomes visible.
    (BATCH, op(2, "", "k", "9.i@peer-a", 0, 1)),      # Withdrawn: the next one is promoted.
    (0xF0, b"k"),  # Client 0 GREG k: taken.
    (0xF8, b"g"),  # Client 0 GJOIN g.
    (0xFC, b""),   # Client 0 closes.
    (SNAP_BEGIN, s("")), (SNAP_END, s("")),  # An empty snapshot: all of the peer's is stale.
]), mode=0b11)
# A REJECT after the handshake: the peer's entries must still go when the link closes.
peer_seed("reject_after_up", hello + auth + batch + frame(REJECT, s("bye")))
