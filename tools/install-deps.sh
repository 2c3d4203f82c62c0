#!/usr/bin/env bash
# Installs the Debian 12 packages groupd builds and tests with. Idempotent: does nothing when
# everything is already present. Uses sudo when not root.
set -euo pipefail

build_pkgs=(cmake g++ make pkg-config libuv1-dev libjemalloc-dev libspdlog-dev libfmt-dev libssl-dev
            libabsl-dev libsodium-dev)
test_pkgs=(googletest libgtest-dev libgmock-dev libhiredis-dev redis-tools openssl python3 python3-redis nodejs npm)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then
  want+=("${test_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# A machine may provide node/npm outside dpkg (e.g. a preinstalled toolchain); accept that.
if [[ " ${missing[*]} " == *" nodejs "* ]] && command -v node >/dev/null; then
  missing=("${missing[@]/nodejs}")
fi
if [[ " ${missing[*]} " == *" npm "* ]] && command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
