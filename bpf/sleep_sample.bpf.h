/* "Last seen asleep" samples of traced threads: written by the sampling
 * iterator (sleep_sampler.bpf.c), read at exit to say how long a killed thread
 * had been parked (blocked_for), and by userspace at --timeout. */
#ifndef THREADLEAK_SLEEP_SAMPLE_BPF_H
#define THREADLEAK_SLEEP_SAMPLE_BPF_H

#include "shared.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tid */
	__type(value, struct tl_sleep_sample);
} sleep_samples SEC(".maps") __weak;

/* How long the thread had been parked before the exit woke it: measured only
 * if the sampling iterator saw it asleep and it has not slept again since
 * (the kill woke it, and it runs its exit). Being preempted on the way from
 * that wake-up to its exit is no new sleep; but a preemption could also come
 * from an earlier wake-up (then it ran before the kill), so the value is
 * then not called exact. Both
 * ends are bpf_ktime_get_ns() readings: the start was converted from the
 * clock of the CPU it slept on (sleep_clock.h). */
static __always_inline void blocked_for(struct tl_thread_exit_event *e, struct task_struct *task)
{
	__u32 tid = task->pid;
	struct tl_sleep_sample *ss = bpf_map_lookup_elem(&sleep_samples, &tid);
	__u64 ns = 0;
	int exact = 0;

	e->blocked_for_ns = 0;
	e->blocked_known = 0;
	e->blocked_exact = 0;
	e->same_sleeps = 0;
	e->pad2 = 0;
	e->same_sleeps_span_ns = 0;
	if (!ss)
		return;
	if (ss->same_sleeps) {
		e->same_sleeps = ss->same_sleeps;
		e->same_sleeps_span_ns = bpf_ktime_get_ns() - ss->first_same_ns;
	}
	if (tl_blocked_for(&ss->since, ss->switches == task->nvcsw, bpf_ktime_get_ns(), &ns, &exact)) {
		e->blocked_for_ns = ns;
		e->blocked_known = 1;
		e->blocked_exact = exact && ss->preemptions == task->nivcsw;
	}
	bpf_map_delete_elem(&sleep_samples, &tid);
}

static __always_inline void forget_sleep(struct task_struct *task)
{
	__u32 tid = task->pid;
	bpf_map_delete_elem(&sleep_samples, &tid);
}

#endif /* THREADLEAK_SLEEP_SAMPLE_BPF_H */
