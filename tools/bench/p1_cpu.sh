#!/usr/bin/env bash
# Where a P1 request's server CPU goes: user and kernel microseconds per request for groupd and
# Redis side by side, from /proc/PID/stat before and after a redis-benchmark run (50 clients,
# one request in flight each). groupd runs with busy-poll-us 0 so that its CPU time is work,
# not polling. Servers on core 0, the client on core 1 (as make bench).
#
#   tools/bench/p1_cpu.sh [GROUPD_BIN] [REQUESTS]
#
# Prints one line per server and command. Starts and stops its own servers on free ports.
set -euo pipefail
groupd_bin=${1:-build-bench/server/groupd}
n=${2:-200000}
# shellcheck source=tools/bench/workdir.sh
source "$(dirname "$0")/workdir.sh"

taskset -c 0 "$groupd_bin" --port 0 --ports-file "$work/ports" --loglevel off \
  --busy-poll-us 0 &
gpid=$!
pids+=("$gpid")
rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 0 redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no \
  --daemonize no >/dev/null &
rpid=$!
pids+=("$rpid")
for _ in $(seq 50); do
  [ -s "$work/ports" ] && redis-cli -p "$rport" PING >/dev/null 2>&1 && break
  sleep 0.1
done
gport=$(awk '{print $1}' "$work/ports")
redis-cli -p "$rport" DEBUG POPULATE 1000 key: >/dev/null

# cpu_per_op NAME PID PORT CMD...: runs the load and prints user/sys us per request.
cpu_per_op() {
  local name=$1 pid=$2 port=$3
  shift 3
  local u0 s0 u1 s1 rate
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  rate=$(taskset -c 1 redis-benchmark -p "$port" -c 50 -P 1 -n "$n" -r 1000 -q "$@" 2>/dev/null |
    tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1)
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
  python3 -c "
import os
t = os.sysconf('SC_CLK_TCK')
u, s = ($u1 - $u0) * 1e6 / t / $n, ($s1 - $s0) * 1e6 / t / $n
print('%-7s %-28s user %5.2f us  kernel %5.2f us  per request  (%s)' % ('$name', '$*', u, s, '$rate'))"
}

for round in 1 2; do
  cpu_per_op groupd "$gpid" "$gport" PING
  cpu_per_op redis "$rpid" "$rport" PING
  cpu_per_op groupd "$gpid" "$gport" GLOOKUP 'key:__rand_int__'
  cpu_per_op redis "$rpid" "$rport" GET 'key:__rand_int__'
done
