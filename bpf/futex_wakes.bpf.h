/* --track-wakes: futex wakes per (process, address), and where each thread's
 * latest futex wait began, so a parked waiter can be told whether any wake
 * was sent to its address since (and by whom). Written by futex_wakes.bpf.c,
 * read where a blocked thread is captured (stack_capture.bpf.h) and by
 * userspace for live threads. Empty when wake tracking is off. */
#ifndef THREADLEAK_FUTEX_WAKES_BPF_H
#define THREADLEAK_FUTEX_WAKES_BPF_H

#include "shared.bpf.h"

struct {
	/* LRU: addresses woken long ago give way to busy ones; a waiter whose
	 * count was evicted is then "not known", never a wrong zero (below). */
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tl_futex_key);
	__type(value, struct tl_futex_wakes);
} futex_wakes SEC(".maps") __weak;

struct {
	/* Not LRU: the oldest entries are the parked waiters this is for. One
	 * per thread, dropped at its exit; a full map is counted. */
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tid */
	__type(value, struct tl_futex_wait);
} futex_waits SEC(".maps") __weak;

/* The wakes sent to the address `tid` waits on since its wait began. */
static __always_inline void wake_facts(struct tl_stack_sample *s, __u32 tgid, __u32 tid)
{
	struct tl_futex_wait *w = bpf_map_lookup_elem(&futex_waits, &tid);
	s->wakes_known = 0;
	s->wakes_sent = 0;
	s->last_waker_tid = 0;
	if (!w || w->uaddr != s->args[0])
		return;
	struct tl_futex_key key = {.tgid = tgid, .uaddr = w->uaddr};
	struct tl_futex_wakes *c = bpf_map_lookup_elem(&futex_wakes, &key);
	__u64 now = c ? c->wakes : 0;
	if (now < w->wakes_before)
		return; /* its count was evicted and began again: not known */
	s->wakes_sent = now - w->wakes_before;
	s->last_waker_tid = c && s->wakes_sent ? c->last_waker : 0;
	s->wakes_known = 1;
}

static __always_inline void forget_futex_wait(__u32 tid)
{
	bpf_map_delete_elem(&futex_waits, &tid);
}

#endif /* THREADLEAK_FUTEX_WAKES_BPF_H */
