/* The timerfds traced processes created and have not been seen closed:
 * written where timerfd_create returns (timers.bpf.c), checked at each
 * process's exit (lifecycle.bpf.c), where those still open are leaked timers. */
#ifndef THREADLEAK_TIMERS_BPF_H
#define THREADLEAK_TIMERS_BPF_H

#include "shared.bpf.h"

struct bpf_map;

struct timer_key {
	__u32 tgid;
	__s32 fd;
};

struct timer_value {
	__u64 ino;  /* its file's inode: a closed fd reused by another file is told apart */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct timer_key);
	__type(value, struct timer_value);
} timers SEC(".maps") __weak;

struct open_timers_ctx {
	struct task_struct *task;
	__u32 tgid;
};

/* For each timer of the exiting process: still open (same inode at that fd)
 * is a leaked timer, sent with its interval and whether it is armed. */
static long check_timer(struct bpf_map *map, struct timer_key *key, struct timer_value *value,
			struct open_timers_ctx *ctx)
{
	if (key->tgid != ctx->tgid)
		return 0;
	struct file *f = fd_file(ctx->task, key->fd);
	if (f && BPF_CORE_READ(f, f_inode, i_ino) == value->ino) {
		struct timerfd_ctx *t = BPF_CORE_READ(f, private_data);
		struct tl_timer_open_event e = {};
		fill_header(&e.h, TL_EV_TIMER_OPEN_AT_EXIT, sizeof(e), ctx->task);
		e.fd = key->fd;
		if (t) {
			e.interval_ns = BPF_CORE_READ(t, tintv);
			/* Queued to fire; or periodic: the kernel requeues a periodic
			 * timerfd only when it is read, so one nobody reads sits
			 * expired, still armed (disarming clears the interval). */
			e.armed = (BPF_CORE_READ(t, t.tmr.state) & 1) || e.interval_ns > 0;
		}
		submit(&e, sizeof(e));
	}
	bpf_map_delete_elem(map, key);
	return 0;
}

/* At the exit of process `task` (its last thread, files still attached). */
static __always_inline void report_open_timers(struct task_struct *task)
{
	struct open_timers_ctx ctx = {.task = task, .tgid = task->tgid};
	bpf_for_each_map_elem(&timers, check_timer, &ctx, 0);
}

#endif /* THREADLEAK_TIMERS_BPF_H */
