#!/usr/bin/env bash
# What threadleak costs itself when many processes leak: runs fork_many_leakers
# with N children (each leaking one thread) under `threadleak run`, and a
# thread churn (threads created and joined), and prints threadleak's peak
# resident set and wall time for each.
# Usage: scripts/bench-many-processes.sh [CHILDREN...]  (as root; `make bench` runs it)
#   BENCH_CHURN=N  threads created and joined in the churn case (default 1000000, 0 = skip)
#   THREADLEAK=PATH  the threadleak binary to measure (default build/threadleak)
set -euo pipefail
cd "$(dirname "$0")/.."
tl=${THREADLEAK:-build/threadleak}
fixture=build/fixtures/fork_many_leakers
measure=build/run_measured
work=build/bench_workload
for f in "$tl" "$fixture" "$measure" "$work"; do
  [ -x "$f" ] || { echo "build first: make $f" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root: threadleak loads BPF programs" >&2; exit 77; }
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(25 100 200 1000)
churn=${BENCH_CHURN:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "run_measured: peak_rss_kib=K seconds=S status=C" -> "MiB seconds"
measured() { sed -n 's/^run_measured: peak_rss_kib=\([0-9]*\) seconds=\([0-9.]*\) status=.*/\1 \2/p' "$1"; }

echo "threadleak's own peak RSS and wall time:"
printf '%-34s %12s %10s %8s\n' case "peak RSS" seconds leaks
for n in "${counts[@]}"; do
  "$measure" "$tl" run --format json --output "$tmp/report.json" -- "$fixture" "$n" 2>"$tmp/err" >/dev/null || true
  read -r kib secs < <(measured "$tmp/err")
  leaks=$(grep -o '"leaked_threads": *[0-9]*' "$tmp/report.json" | grep -o '[0-9]*$' || echo "?")
  printf '%-34s %8d MiB %10s %8s\n' "$n children leaking a thread each" $((kib / 1024)) "$secs" "$leaks"
done
if [ "$churn" -gt 0 ]; then
  for m in $((churn / 10)) "$churn"; do
    "$measure" "$tl" run -- "$work" churn "$m" 2>"$tmp/err" >/dev/null || true
    read -r kib secs < <(measured "$tmp/err")
    printf '%-34s %8d MiB %10s %8s\n' "$m threads created and joined" $((kib / 1024)) "$secs" 0
  done
fi
