# Sourced by the shell tools in tools/bench: a scratch folder ($work) and a list of processes
# ($pids) that are stopped, and the folder removed, when the tool exits however it exits.
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
