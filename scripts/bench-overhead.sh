#!/usr/bin/env bash
# What threadleak costs the process it traces: runs each workload plain and under
# `threadleak run`, interleaved, pinned to one CPU, and prints medians and ratios.
# Usage: scripts/bench-overhead.sh [REPS]   (as root; `make bench` builds and runs it)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
work=build/bench_workload
tl=build/threadleak
[ -x "$work" ] && [ -x "$tl" ] || { echo "build first: make build/threadleak build/bench_workload" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root: threadleak loads BPF programs" >&2; exit 77; }

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

run_case() {
  local name=$1; shift
  local plain=() traced=()
  for _ in $(seq "$reps"); do
    plain+=("$(taskset -c 0 "$work" "$@")")
    traced+=("$($tl run -- taskset -c 0 "$work" "$@" 2>/dev/null)")
  done
  local p t
  p=$(printf '%s\n' "${plain[@]}" | median)
  t=$(printf '%s\n' "${traced[@]}" | median)
  printf '%-28s plain %9.4fs  traced %9.4fs  ratio %.2f\n' "$name" "$p" "$t" "$(echo "$t / $p" | bc -l)"
}

echo "threadleak overhead on the traced process (median of $reps, CPU 0):"
run_case "thread churn (5000 threads)" churn 5000
run_case "futex ping-pong (50000)" pingpong 50000
