#!/usr/bin/env bash
# Runs every libFuzzer target for a fixed time and prints what each did. Used by `make fuzz`.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS OUT_DIR [PARALLEL]
#
# Each target starts from its seed corpus (tests/fuzz/corpus/<target>, read only) plus what
# earlier runs found (OUT_DIR/corpus/<target>, where new inputs go), with -max_len=4096 and its
# dictionary. Logs, crash artifacts and the grown corpus stay in OUT_DIR, never in the source
# tree. At most PARALLEL targets (default 2) run at once. Exits 1 if any target crashed.
set -u

build=${1:?build dir}
seconds=${2:?seconds}
out=${3:?output dir}
parallel=${4:-2}
src=$(cd "$(dirname "$0")" && pwd)
targets=(fuzz_resp_parser fuzz_commands fuzz_peer_frames)
declare -A dict=([fuzz_resp_parser]=resp.dict [fuzz_commands]=commands.dict
                 [fuzz_peer_frames]=peer.dict)

mkdir -p "$out"
run_one() {
  local t=$1
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  echo "fuzz: $t for ${seconds}s (log: $out/$t.log)"
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="$src/${dict[$t]}" \
    -artifact_prefix="$out/artifacts/$t/" "$out/corpus/$t" "$src/corpus/$t" \
    >"$out/$t.log" 2>&1
  echo $? >"$out/$t.rc"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n
    running=$((running - 1))
  fi
done
wait

status=0
printf '\n%-18s %6s %12s %9s %7s %7s %9s  %s\n' target rc execs exec/s cov ft corpus result
for t in "${targets[@]}"; do
  log=$out/$t.log
  rc=$(cat "$out/$t.rc" 2>/dev/null || echo '?')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # The last status line, e.g. "#123 DONE cov: 456 ft: 789 corp: 10/1Kb ...".
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  crashes=$(find "$out/artifacts/$t" -type f | wc -l)
  result=ok
  if [ "$rc" != 0 ] || [ "$crashes" -gt 0 ]; then
    result="FAILED: $crashes artifact(s) in $out/artifacts/$t"
    status=1
  fi
  printf '%-18s %6s %12s %9s %7s %7s %9s  %s\n' "$t" "$rc" "${execs:-?}" "${speed:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done
exit $status
