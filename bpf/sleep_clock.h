/* When a sleeping thread went to sleep, in the bpf_ktime_get_ns() clock
 * (CLOCK_MONOTONIC), and how long it has been asleep: the arithmetic, shared by
 * the sleep sampler (bpf/sleep_sampler.bpf.c), the exit program and userspace
 * (the --timeout path, unit tests). Pure functions of plain values.
 *
 * A sleeping task's se.exec_start is its CPU's rq->clock_task when it switched
 * out. clock_task is per CPU: it is rq->clock (sched_clock, one clock for every
 * CPU when the kernel marked it stable) minus the steal and irq time of that
 * CPU so far, and on a VM two CPUs' clock_task differ by seconds. So exec_start
 * is converted with the CPU it last ran on (task_cpu), never compared with
 * another CPU's reading:
 *
 *   ktime(sleep) = exec_start + lag(sleep) - (sched_clock - ktime)
 *
 * where lag = rq->clock - rq->clock_task of that CPU. lag only grows, and the
 * sampler reads it after the sleep began, so the result is never earlier than
 * the truth: a duration from it is never longer than the thread slept. A
 * reading of the same CPU from before the sleep (its clock_task below
 * exec_start) bounds the sleep's own lag from below: the start is then known
 * to within the steal between the two readings (`uncertainty_ns`). Without
 * one, the start is only a lower bound of the time asleep ("at least").
 */
#ifndef THREADLEAK_SLEEP_CLOCK_H
#define THREADLEAK_SLEEP_CLOCK_H

#ifdef __BPF__
/* vmlinux.h provides __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

/* A duration counts as exact when its start is known to within 1 ms or 1% of
 * it, whichever is more. */
#define TL_EXACT_MIN_NS 1000000ULL
#define TL_EXACT_PER_CENT 1
/* uncertainty_ns of a start that is only a bound: how much earlier it was is unknown. */
#define TL_UNBOUNDED (~0ULL)

/* One CPU's runqueue clocks, read together. */
struct tl_cpu_clock {
	__u64 clock;       /* rq->clock: sched_clock at the CPU's last clock update */
	__u64 clock_task;  /* rq->clock_task then: clock minus steal and irq time */
};

/* When a sleep began, in the bpf_ktime_get_ns() clock: at since_ns, or up to
 * uncertainty_ns earlier; never later. */
struct tl_sleep_since {
	__u64 since_ns;
	__u64 uncertainty_ns; /* TL_UNBOUNDED: only "at since_ns or before" is known */
};

/* The start of a sleep whose exec_start is `exec_start`, seen at `now_ns`
 * (bpf_ktime_get_ns()) by a sampler that read the task's CPU's clocks `cpu`
 * (after the sleep began) and `prev` (an earlier reading; clock 0 if none).
 * `sched_minus_ktime` is sched_clock - ktime, measured from a clock update
 * before the ktime reading (so never above the truth). Without a usable
 * reading the start is `now_ns`: it slept at least since it was first seen. */
static inline struct tl_sleep_since tl_sleep_start(__u64 exec_start, const struct tl_cpu_clock *cpu,
						   const struct tl_cpu_clock *prev,
						   __s64 sched_minus_ktime, __u64 now_ns)
{
	struct tl_sleep_since s = {now_ns, TL_UNBOUNDED};
	__u64 lag, prev_lag = 0, uncertainty = TL_UNBOUNDED;
	__s64 since;
	int have_prev;

	/* exec_start 0: never ran, or migrated (the scheduler resets it then). */
	if (exec_start == 0 || cpu->clock < cpu->clock_task || cpu->clock_task < exec_start)
		return s;
	lag = cpu->clock - cpu->clock_task;
	have_prev = prev->clock != 0 && prev->clock >= prev->clock_task &&
		    prev->clock - prev->clock_task <= lag;
	if (have_prev)
		prev_lag = prev->clock - prev->clock_task;
	/* clock_task stands still while all time is stolen: only a reading whose
	 * clock_task is below exec_start is surely before the sleep. */
	if (have_prev && prev->clock_task > exec_start)
		lag = prev_lag; /* asleep since before that reading: its lag is the closer bound */
	else if (have_prev && prev->clock_task < exec_start)
		uncertainty = lag - prev_lag;
	since = (__s64)(exec_start + lag) - sched_minus_ktime;
	if (since <= 0 || (__u64)since > now_ns)
		return s; /* makes no sense: keep the bound we know */
	s.since_ns = (__u64)since;
	s.uncertainty_ns = uncertainty;
	return s;
}

/* How long a thread last seen asleep since `since` has been blocked at `now_ns`,
 * given whether it stayed in that sleep (its switch count did not change), and
 * whether that is exact (else a lower bound). Returns 0 when it did not stay
 * (or the times make no sense): unknown. */
static inline int tl_blocked_for(const struct tl_sleep_since *since, int same_sleep, __u64 now_ns,
				 __u64 *blocked_for_ns, int *exact)
{
	__u64 ns, tolerance;

	if (!same_sleep || now_ns < since->since_ns)
		return 0;
	ns = now_ns - since->since_ns;
	tolerance = ns / 100 * TL_EXACT_PER_CENT;
	if (tolerance < TL_EXACT_MIN_NS)
		tolerance = TL_EXACT_MIN_NS;
	*blocked_for_ns = ns;
	*exact = since->uncertainty_ns <= tolerance;
	return 1;
}

#endif /* THREADLEAK_SLEEP_CLOCK_H */
