#!/usr/bin/env bash
# What futex wake tracking costs (issue 16): `threadleak run --track-wakes` hooks
# the syscalls:sys_enter_futex tracepoint, which runs on every futex call of every
# process and, once any per-syscall tracepoint is on, puts every syscall of every
# task through the kernel's syscall-trace path. Measured, as throughput medians of
# interleaved runs, each workload pinned to one CPU with taskset (the tracer not):
#  (a) traced futex ping-pong (tools/bench_pingpong.c): plain, under `threadleak run`
#      (default flags), under `threadleak run --track-wakes` (target <= 1.10), and for
#      comparison under `strace -f -e trace=futex -o /dev/null` and as a
#      ThreadSanitizer build (clang -O2 -fsanitize=thread);
#  (b) bystander getppid loop (tools/bench_getppid.c), a process nobody traces, plain
#      and while `threadleak run [--track-wakes] -- sleep 1000` (or strace) traces
#      another process (target <= 1.02 with --track-wakes);
#  (c) bystander futex ping-pong, likewise (target <= 1.10 with --track-wakes).
# Ratio = plain median / median under the tool: 1.00 costs nothing, 2.00 halves the
# throughput. Each round runs every variant once, in an order rotated per round.
# The --track-wakes rows read "n/a (no --track-wakes in this build)" until
# `threadleak run --help` lists the flag.
# Usage: scripts/bench-wakes.sh [PAIRS]   (as root; `make bench` runs it)
#   PAIRS                    rounds, i.e. plain/traced pairs per variant (default 5)
#   BENCH_WAKES_SECONDS=S    length of each workload run (default 2)
#   BENCH_WAKES_CPU=N        the CPU the workloads are pinned to (default 0)
#   THREADLEAK=PATH          the threadleak binary to measure (default build/threadleak)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root: threadleak loads BPF programs" >&2; exit 77; }
tl=${THREADLEAK:-build/threadleak}
pingpong=build/bench_pingpong
pingpong_tsan=build/bench_pingpong_tsan
getppid=build/bench_getppid
pairs=${1:-5}
seconds=${BENCH_WAKES_SECONDS:-2}
cpu=${BENCH_WAKES_CPU:-0}
[ "$pairs" -ge 1 ] 2>/dev/null || { echo "PAIRS must be a positive number" >&2; exit 64; }
for f in "$tl" "$pingpong" "$getppid"; do
  [ -x "$f" ] || { echo "build first: make $f" >&2; exit 2; }
done

tmp=$(mktemp -d)
tracer_pid=
tracee_pid=
cleanup() {
  if [ -n "$tracer_pid" ]; then
    kill -INT "$tracer_pid" 2>/dev/null || true
    wait "$tracer_pid" 2>/dev/null || true
  fi
  if [ -n "$tracee_pid" ]; then
    kill -KILL "$tracee_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# True once process $1 holds a BPF link (its programs are attached).
holds_links() { grep -qs '^link_id:' /proc/"$1"/fdinfo/* 2>/dev/null; }

# Which columns can be measured here: "" if it can, else why not.
no_wakes=
help=$("$tl" run --help 2>&1 || true)
if ! grep -q -- --track-wakes <<<"$help"; then
  no_wakes="n/a (no --track-wakes in this build)"
fi
# (threadleak --track-wakes mounts tracefs for its attach when it is not, and unmounts it.)
no_strace=
command -v strace >/dev/null || no_strace="n/a (strace missing: scripts/install-deps.sh)"
no_tsan=
if [ ! -x "$pingpong_tsan" ]; then
  no_tsan="n/a (no $pingpong_tsan: make $pingpong_tsan)"
elif ! "$pingpong_tsan" 100 >/dev/null 2>"$tmp/tsan.err"; then
  no_tsan="n/a (TSan build does not run: $(head -c 80 "$tmp/tsan.err" | tr '\n' ' '))"
fi
no_bystander_tsan="n/a (TSan slows only the program built with it)"

# rate KEY CMD...: runs CMD; prints the number after KEY on its stdout, or "fail".
rate() {
  local key=$1 out
  shift
  out=$("$@" 2>>"$tmp/runs.log" | awk -v k="$key" '$1 == k {print $2}' || true)
  echo "${out:-fail}"
}
pin() { echo taskset -c "$cpu"; }

# Bystander tracers: started in the background, tracing a `sleep 1000` of their own.
start_tracer() {
  case $1 in
    threadleak) "$tl" run -- sleep 1000 >/dev/null 2>>"$tmp/tracer.log" & ;;
    wakes) "$tl" run --track-wakes -- sleep 1000 >/dev/null 2>>"$tmp/tracer.log" & ;;
    strace) strace -f -e trace=futex -o /dev/null sleep 1000 >/dev/null 2>>"$tmp/tracer.log" & ;;
  esac
  tracer_pid=$!
  local ready=
  for _ in $(seq 1000); do
    [ -n "$tracee_pid" ] || tracee_pid=$(pgrep -P "$tracer_pid" | head -1 || true)
    if [ -n "$tracee_pid" ]; then
      case $1 in
        strace) [ "$(awk '/^TracerPid:/ {print $2}' /proc/"$tracee_pid"/status 2>/dev/null)" = "$tracer_pid" ] && ready=1 ;;
        *) holds_links "$tracer_pid" && ready=1 ;;
      esac
    fi
    [ -n "$ready" ] && break
    kill -0 "$tracer_pid" 2>/dev/null || break
    sleep 0.01
  done
  [ -n "$ready" ] || { echo "bystander tracer ($1) did not start:" >&2; tail -5 "$tmp/tracer.log" >&2; return 1; }
  sleep 1  # past the tracer's start-up work
}
stop_tracer() {
  # threadleak passes SIGINT on to its command and exits; strace would detach and
  # leave the sleep running, so the sleep is killed first.
  if [ "$1" = strace ]; then kill -TERM "$tracee_pid" 2>/dev/null || true; fi
  kill -INT "$tracer_pid" 2>/dev/null || true
  wait "$tracer_pid" 2>/dev/null || true
  kill -KILL "$tracee_pid" 2>/dev/null || true
  tracer_pid= tracee_pid=
}

declare -A runs  # "ROW VARIANT" -> the rates of its runs, space-separated
variants=(plain threadleak wakes strace tsan)
skip() {  # skip ROW VARIANT: why the cell is not measured, or "" if it is
  case $2 in
    wakes) echo "$no_wakes" ;;
    strace) echo "$no_strace" ;;
    tsan) [ "$1" = traced_pingpong ] && echo "$no_tsan" || echo "$no_bystander_tsan" ;;
  esac
}
# One run of ROW under VARIANT; the rate is appended to runs["ROW VARIANT"].
run_one() {
  local row=$1 variant=$2 key=round_trips/s work=$pingpong r
  [ -z "$(skip "$row" "$variant")" ] || return 0
  [ "$row" = bystander_getppid ] && key=calls/s work=$getppid
  if [ "$row" = traced_pingpong ]; then
    case $variant in
      plain) r=$(rate "$key" $(pin) "$work" --seconds "$seconds") ;;
      threadleak) r=$(rate "$key" "$tl" run -- $(pin) "$work" --seconds "$seconds") ;;
      wakes) r=$(rate "$key" "$tl" run --track-wakes -- $(pin) "$work" --seconds "$seconds") ;;
      strace) r=$(rate "$key" strace -f -e trace=futex -o /dev/null $(pin) "$work" --seconds "$seconds") ;;
      tsan) r=$(rate "$key" $(pin) "$pingpong_tsan" --seconds "$seconds") ;;
    esac
  elif [ "$variant" = plain ]; then
    r=$(rate "$key" $(pin) "$work" --seconds "$seconds")
  else
    if start_tracer "$variant"; then
      r=$(rate "$key" $(pin) "$work" --seconds "$seconds")
    else
      r=fail
    fi
    stop_tracer "$variant"
  fi
  runs["$row $variant"]+="$r "
}

rows=(traced_pingpong bystander_getppid bystander_pingpong)
declare -A title=(
  [traced_pingpong]="traced futex ping-pong"
  [bystander_getppid]="bystander getppid loop"
  [bystander_pingpong]="bystander futex ping-pong"
)
declare -A unit=([traced_pingpong]=round_trips/s [bystander_getppid]=calls/s [bystander_pingpong]=round_trips/s)
declare -A target=([traced_pingpong]=1.10 [bystander_getppid]=1.02 [bystander_pingpong]=1.10)
declare -A column=([plain]=plain [threadleak]=threadleak [wakes]="threadleak --track-wakes" [strace]="strace -f" [tsan]=TSan)

echo "futex wake tracking: its cost (median of $pairs interleaved rounds, ${seconds}s runs, workloads on CPU $cpu)"
for row in "${rows[@]}"; do
  for i in $(seq 0 $((pairs - 1))); do
    for j in "${!variants[@]}"; do
      run_one "$row" "${variants[$(( (i + j) % ${#variants[@]} ))]}"
    done
  done
done

# ratio ROW VARIANT -> "1.23", or why not.
declare -A cell
for row in "${rows[@]}"; do
  p=$(tr ' ' '\n' <<<"${runs["$row plain"]}" | grep -E '^[0-9.]+$' | median || true)
  printf '%-52s median %s of %s\n' "${title[$row]}, plain (${unit[$row]}):" "${p:-fail}" "${runs["$row plain"]}"
  cell["$row plain"]="${p:-fail} ${unit[$row]}"
  for variant in "${variants[@]:1}"; do
    label="${title[$row]}, ${column[$variant]}:"
    case $variant in
      wakes) goal="target <= ${target[$row]}" ;;
      threadleak) goal="no target: default flags, for reference" ;;
      *) goal="no target: comparison" ;;
    esac
    why=$(skip "$row" "$variant")
    if [ -n "$why" ]; then
      printf '%-52s %s\n' "$label" "$why"
      cell["$row $variant"]=$why
      continue
    fi
    t=$(tr ' ' '\n' <<<"${runs["$row $variant"]}" | grep -E '^[0-9.]+$' | median || true)
    if [ -z "$p" ] || [ -z "$t" ] || [ "$(echo "$t == 0" | bc)" = 1 ]; then
      printf '%-52s failed (runs: %s) (%s)\n' "$label" "${runs["$row $variant"]}" "$goal"
      tail -3 "$tmp/runs.log" "$tmp/tracer.log" 2>/dev/null | sed 's/^/    /' || true
      cell["$row $variant"]=failed
      continue
    fi
    ratio=$(printf '%.2f' "$(echo "$p / $t" | bc -l)")
    verdict=
    [ "$variant" = wakes ] && verdict=$( [ "$(echo "$ratio <= ${target[$row]}" | bc)" = 1 ] && echo ": met" || echo ": NOT met")
    printf '%-52s median %s of %s; ratio %s (%s%s)\n' "$label" "$t" "${runs["$row $variant"]}" "$ratio" "$goal" "$verdict"
    cell["$row $variant"]=$ratio
  done
done

echo
echo "ratio = plain median / median under the tool (1.00: no cost); targets for --track-wakes:"
echo "traced ping-pong <= 1.10, bystander getppid <= 1.02, bystander ping-pong <= 1.10"
echo
echo "| workload | plain | threadleak | threadleak --track-wakes | strace -f | TSan |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  line="| ${title[$row]} |"
  for variant in "${variants[@]}"; do line+=" ${cell["$row $variant"]} |"; done
  echo "$line"
done
