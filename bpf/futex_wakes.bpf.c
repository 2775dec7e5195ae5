// SPDX-License-Identifier: GPL-2.0
/* --track-wakes: the one program on a per-call path, loaded only when asked.
 * It runs on the syscalls:sys_enter_futex tracepoint (tracefs), which fires
 * only for futex calls: a process that makes none pays nothing, unlike a hook
 * on every syscall (../docs/performance.md has the measured costs). Untraced
 * processes pay one hash lookup; for traced ones a wait remembers the wake
 * count of its address, a wake adds one to it. Nothing is sent per call. */
#include "futex_wakes.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The tracepoint's record (events/syscalls/sys_enter_futex/format): the
 * common header, the syscall number, then each argument in 8 bytes. */
struct sys_enter_futex_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 uaddr;
	__u64 op;
	__u64 val;
	__u64 utime;
	__u64 uaddr2;
	__u64 val3;
};

enum {
	FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5,
	FUTEX_LOCK_PI = 6, FUTEX_UNLOCK_PI = 7, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10,
	FUTEX_WAIT_REQUEUE_PI = 11, FUTEX_CMP_REQUEUE_PI = 12, FUTEX_LOCK_PI2 = 13,
};
#define FUTEX_CMD_MASK 0x7f /* without FUTEX_PRIVATE_FLAG (128) and FUTEX_CLOCK_REALTIME (256) */

static __always_inline void count_wake(__u32 tgid, __u32 tid, __u64 uaddr)
{
	struct tl_futex_key key = {.tgid = tgid, .uaddr = uaddr};
	struct tl_futex_wakes *c = bpf_map_lookup_elem(&futex_wakes, &key);
	if (c) {
		__sync_fetch_and_add(&c->wakes, 1);
		c->last_waker = tid;
		return;
	}
	struct tl_futex_wakes first = {.wakes = 1, .last_waker = tid};
	if (bpf_map_update_elem(&futex_wakes, &key, &first, BPF_NOEXIST)) {
		c = bpf_map_lookup_elem(&futex_wakes, &key); /* another CPU added it first */
		if (c) {
			__sync_fetch_and_add(&c->wakes, 1);
			c->last_waker = tid;
		}
	}
}

static __always_inline void begin_wait(__u32 tgid, __u32 tid, __u64 uaddr)
{
	struct tl_futex_key key = {.tgid = tgid, .uaddr = uaddr};
	struct tl_futex_wakes *c = bpf_map_lookup_elem(&futex_wakes, &key);
	struct tl_futex_wait w = {.uaddr = uaddr, .wakes_before = c ? c->wakes : 0};
	if (bpf_map_update_elem(&futex_waits, &tid, &w, BPF_ANY))
		count(TL_STAT_FUTEX_WAITS_FULL);
}

SEC("tracepoint/syscalls/sys_enter_futex")
int on_futex(struct sys_enter_futex_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

	if (!is_traced(tgid))
		return 0;
	switch (ctx->op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_WAIT_REQUEUE_PI:
		begin_wait(tgid, tid, ctx->uaddr);
		break;
	case FUTEX_WAKE_OP:
		count_wake(tgid, tid, ctx->uaddr2);
		/* fallthrough: it wakes uaddr too */
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_UNLOCK_PI:
	case FUTEX_CMP_REQUEUE_PI:
		count_wake(tgid, tid, ctx->uaddr);
		break;
	}
	return 0;
}
