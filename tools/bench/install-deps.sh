#!/usr/bin/env bash
# Installs what `make bench` needs beyond the build packages (tools/install-deps.sh): Redis 7 and
# its tools (redis-server, redis-benchmark), valgrind (callgrind instruction counts), matplotlib
# for the chart, and util-linux's taskset for pinning. Idempotent; uses sudo when not root.
set -euo pipefail

want=(redis-server redis-tools valgrind python3 python3-matplotlib util-linux)

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "bench install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
