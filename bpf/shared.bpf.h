/* What every BPF program file of threadleak shares: the traced-process filter,
 * the ring buffer, the loss counters and the per-CPU scratch record, with the
 * helpers that write records. Included by each bpf/NAME.bpf.c; the files are
 * compiled separately and linked into one object (Makefile).
 *
 * The maps are __weak so each file can carry the same definition and the
 * linker keeps one: libbpf's static linker resolves identical weak maps to a
 * single map, which is what the skeleton then names.
 */
#ifndef THREADLEAK_SHARED_BPF_H
#define THREADLEAK_SHARED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "events.h"

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */
#define PAGE_SIZE 4096

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* resized by --max-processes */
	__type(key, __u32);        /* tgid */
	__type(value, __u8);
} traced SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20); /* resized by --ringbuf-size */
} events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TL_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps") __weak;

/* Records are built here, then copied into the ring buffer with their real
 * length (the stack copy is rarely full). Tracepoints run with preemption
 * disabled, so one slot per CPU cannot be shared by two programs at once.
 * A plain array indexed by CPU: per-CPU maps cap values at 32 KiB. */
union scratch_record {
	struct tl_process_fork_event fork;
	struct tl_thread_create_event create;
	struct tl_thread_exit_event exit;
	struct tl_modules_event modules;
	struct tl_timer_create_event timer;
};

/* Too big for the 512-byte BPF stack. */
struct scratch_space {
	union scratch_record rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct scratch_space);
} scratch SEC(".maps") __weak;

static __always_inline void count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &stat);
	if (v)
		(*v)++;
}

static __always_inline bool is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced, &tgid) != NULL;
}

/* The file behind `fd` in `task`'s table, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *task, __s32 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || (unsigned int)fd >= max || fd >= (1 << 20))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void fill_header(struct tl_header *h, __u32 kind, __u32 size,
					struct task_struct *task)
{
	h->kind = kind;
	h->size = size;
	h->pid = task->tgid;
	h->tid = task->pid;
	h->time_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel_str(h->comm, sizeof(h->comm), task->comm);
}

static __always_inline void submit(void *rec, __u64 size)
{
	if (size > sizeof(union scratch_record))
		size = sizeof(union scratch_record);
	/* No wake-up: userspace drains on a short timer. Waking the reader per
	 * event cost the traced process ~35-45 us per event (measured: thread
	 * churn 1.25-1.43x with wake-ups, 0.91-1.03x without). */
	if (bpf_ringbuf_output(&events, rec, size, BPF_RB_NO_WAKEUP))
		count(TL_STAT_RB_LOST);
}

#endif /* THREADLEAK_SHARED_BPF_H */
