#!/usr/bin/env bash
# What reporting leaked goroutines costs (issue 17), measured:
#  (a) a goroutine-churning Go program (tools/bench_go_churn: goroutines started
#      and ended, 64 at a time) plain and under `threadleak run` (default flags: one
#      uprobe on runtime.exit, nothing per goroutine); throughput medians of
#      interleaved runs pinned to one CPU; ratio = plain / traced (target <= 1.02);
#  (b) the same program under `threadleak attach -p PID`, which reads its goroutines
#      from /proc at every point without stopping it (--interval 1s);
#  (c) a program with 100,000 leaked goroutines (go_leaks many 100000): how long
#      reading them at its exit takes and threadleak's peak RSS (targets < 1 s,
#      < 300 MiB).
# Usage: scripts/bench-go.sh [PAIRS]   (as root; `make bench` runs it)
#   PAIRS              plain/traced pairs (default 5)
#   BENCH_GO_SECONDS   length of each churn run (default 2)
#   BENCH_GO_CPU       the CPU the workload is pinned to (default 0)
#   THREADLEAK=PATH    the threadleak binary (default build/threadleak)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: threadleak loads BPF programs" >&2; exit 77; }
tl=${THREADLEAK:-build/threadleak}
churn=build/bench_go_churn
many=build/fixtures/go/go_leaks
pairs=${1:-5}
seconds=${BENCH_GO_SECONDS:-2}
cpu=${BENCH_GO_CPU:-0}
[ "$pairs" -ge 1 ] 2>/dev/null || { echo "PAIRS must be a positive number" >&2; exit 64; }
for f in "$tl" "$churn" "$many"; do
  [ -x "$f" ] || { echo "build first: make $f" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
rate() { "$@" 2>/dev/null | awk '/^goroutines\/s/ {print $2; found=1} END {if (!found) print "fail"}'; }

plain=() traced=() attached=()
for ((i = 0; i < pairs; i++)); do
  plain+=("$(rate taskset -c "$cpu" "$churn" "$seconds")")
  traced+=("$(rate "$tl" run --error-exitcode 0 -o /dev/null -- taskset -c "$cpu" "$churn" "$seconds")")
  # attach: the workload runs alone for its length while threadleak reads it every second.
  taskset -c "$cpu" "$churn" "$seconds" >"$tmp/attach.out" 2>&1 &
  pid=$!
  "$tl" attach -p "$pid" --interval 1s --duration "$((${seconds%.*} + 1))s" -o /dev/null >/dev/null 2>&1 &
  tl_pid=$!
  wait "$pid" || true
  wait "$tl_pid" || true
  attached+=("$(awk '/^goroutines\/s/ {print $2}' "$tmp/attach.out")")
done
p=$(printf '%s\n' "${plain[@]}" | median)
t=$(printf '%s\n' "${traced[@]}" | median)
a=$(printf '%s\n' "${attached[@]}" | median)
echo "Go goroutine churn, $pairs interleaved rounds of ${seconds}s on CPU $cpu:"
echo "  plain:                      $p goroutines/s"
awk -v p="$p" -v t="$t" 'BEGIN {printf "  under threadleak run:       %s goroutines/s, ratio %.3f (target <= 1.02)\n", t, p / t}'
awk -v p="$p" -v a="$a" 'BEGIN {printf "  under threadleak attach -p: %s goroutines/s, ratio %.3f\n", a, p / a}'

# threadleak's own peak RSS, as it prints it with -v (VmHWM: not the traced program's).
"$tl" run -v --error-exitcode 0 -o /dev/null -- "$many" many 100000 >"$tmp/many.out" 2>&1 || true
read_ms=$(sed -n 's/.*goroutines read at exit in \([0-9.]*\) ms.*/\1/p' "$tmp/many.out" | head -1)
count=$(sed -n 's/.*): \([0-9]*\) goroutines read at exit.*/\1/p' "$tmp/many.out" | head -1)
rss_kb=$(sed -n 's/.*own peak RSS \([0-9]*\) kB.*/\1/p' "$tmp/many.out")
echo "100,000 leaked goroutines (go_leaks many 100000):"
echo "  read at exit: ${count:-?} goroutines in ${read_ms:-?} ms (target < 1000 ms)"
awk -v k="${rss_kb:-0}" 'BEGIN {printf "  threadleak peak RSS: %.0f MiB (target < 300 MiB)\n", k / 1024}'
