#!/usr/bin/env bash
# Bytes per registration at several table sizes, not just the 1M that make bench reports: for
# each size a fresh groupd takes that many GREG key:{I} META <the bench's 54-byte meta> from one
# connection, and the figure is the used_memory delta over the count (as make bench computes
# it). A table's slot cost moves with where its size falls between two growth steps.
#
#   tools/bench/mem_sizes.sh [GROUPD_BIN] [SIZE...]     (default sizes 300000 700000 1000000 1500000)
#
# With KIND=groups, each entry is instead a group of one member (GJOIN grp:{I} META <54 B>), the
# shape of a group per user or per session.
#
# Starts and stops its own servers on free ports; needs redis-cli and the bench loadgen.
set -euo pipefail
groupd_bin=${1:-build-bench/server/groupd}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(300000 700000 1000000 1500000)
loadgen=${LOADGEN:-build-bench/tools/loadgen/loadgen}
kind=${KIND:-registrations}
case "$kind" in
  registrations) cmd=(GREG 'key:{I}'); count_cmd=GREGCOUNT ;;
  groups) cmd=(GJOIN 'grp:{I}'); count_cmd=DBSIZE ;;
  *) echo "KIND must be registrations or groups" >&2; exit 2 ;;
esac
# shellcheck source=tools/bench/workdir.sh
source "$(dirname "$0")/workdir.sh"

used_memory() { redis-cli -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}'; }

for n in "${sizes[@]}"; do
  rm -f "$work/ports"
  "$groupd_bin" --port 0 --ports-file "$work/ports" --loglevel off &
  gpid=$!
  pids+=("$gpid")
  for _ in $(seq 50); do [ -s "$work/ports" ] && break; sleep 0.1; done
  port=$(awk '{print $1}' "$work/ports")
  m0=$(used_memory "$port")
  # The loader holds its connection (the registrations live as long as it) until stdin closes.
  mkfifo "$work/hold"
  "$loadgen" load --hold -p "$port" -c 1 -n "$n" --window 2000 -- "${cmd[@]}" \
    META host 10.0.3.7 port 8080 role api v 1 <"$work/hold" >/dev/null &
  lpid=$!
  exec 3>"$work/hold"
  for _ in $(seq 600); do
    [ "$(redis-cli -p "$port" "$count_cmd")" = "$n" ] && break
    sleep 0.1
  done
  count=$(redis-cli -p "$port" "$count_cmd")
  m1=$(used_memory "$port")
  python3 -c "print('%9d $kind: %6.1f bytes each' % ($count, ($m1 - $m0) / $count))"
  exec 3>&-
  wait "$lpid" || true
  rm -f "$work/hold"
  kill "$gpid"
  wait "$gpid" 2>/dev/null || true
done
