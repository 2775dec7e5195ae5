// SPDX-License-Identifier: GPL-2.0
/* The sleep sampler: an iter/task program userspace runs every
 * --sample-interval, remembering when each traced thread that is asleep went
 * to sleep (sleep_sample.bpf.h), in the bpf_ktime_get_ns() clock. Nothing here
 * runs on a kernel event.
 *
 * A sleeping task's se.exec_start is in the clock_task of the CPU it last ran
 * on, which leaves out that CPU's steal time: it is converted with that CPU's
 * runqueue clocks (sleep_clock.h). */
#include "sleep_sample.bpf.h"

/* Per CPU, the runqueue clocks read at the last two sampler runs: a sleep
 * that began after a reading is placed between it and the reading taken
 * when the sleep is first seen. */
struct cpu_readings {
	struct tl_cpu_clock latest;
	struct tl_cpu_clock older;
	__u64 run;  /* the run that took `latest` */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct cpu_readings);
} cpu_clocks SEC(".maps");

static __u64 run_nr = 1;

/* sched_clock - ktime: the largest reading of this run and of the previous
 * one. A reading is late by the time since its CPU's clock was last updated,
 * so the largest is the closest, and never above the truth. */
static __s64 sched_minus_ktime_now;
static __s64 sched_minus_ktime_prev;
static bool have_sched_minus_ktime_now;
static bool have_sched_minus_ktime_prev;

#define TASK_SLEEPING 0x000f /* TASK_INTERRUPTIBLE | UNINTERRUPTIBLE | __TASK_STOPPED | __TASK_TRACED */

/* The runqueue of the CPU `task` is on (last ran on, if asleep). Reached
 * through its CFS entity: the per-CPU `runqueues` variable is not usable as
 * a ksym on kernels without CONFIG_KALLSYMS_ALL (the verifier needs its
 * address from kallsyms). */
static __always_inline struct rq *task_rq(struct task_struct *task)
{
	struct cfs_rq *cfs_rq = BPF_CORE_READ(task, se.cfs_rq);

	if (!cfs_rq)
		return NULL;
	if (bpf_core_field_exists(cfs_rq->rq)) /* CONFIG_FAIR_GROUP_SCHED */
		return BPF_CORE_READ(cfs_rq, rq);
	return (struct rq *)((void *)cfs_rq - bpf_core_field_offset(struct rq, cfs));
}

static __always_inline __u64 read_u64(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), p);
	return v;
}

/* The clock and clock_task of `task`'s CPU (`cpu`), from the same update: an
 * update between the two clock_task reads is read again. */
static __always_inline bool read_cpu_clock(struct task_struct *task, __u32 cpu, struct tl_cpu_clock *out)
{
	struct rq *rq = task_rq(task);

	if (!rq || (__u32)BPF_CORE_READ(rq, cpu) != cpu)
		return false;
	for (int i = 0; i < 3; i++) {
		__u64 clock_task = read_u64(__builtin_preserve_access_index(&rq->clock_task));
		__u64 clock = read_u64(__builtin_preserve_access_index(&rq->clock));

		if (read_u64(__builtin_preserve_access_index(&rq->clock_task)) == clock_task) {
			out->clock = clock;
			out->clock_task = clock_task;
			return true;
		}
	}
	return false;
}

static __always_inline void measure_sched_minus_ktime(void)
{
	struct rq *rq = task_rq(bpf_get_current_task_btf());
	__u64 sched;
	__s64 k;

	if (!rq)
		return;
	sched = read_u64(__builtin_preserve_access_index(&rq->clock)); /* before the ktime reading */
	k = (__s64)(sched - bpf_ktime_get_ns());
	if (!have_sched_minus_ktime_now || k > sched_minus_ktime_now)
		sched_minus_ktime_now = k;
	have_sched_minus_ktime_now = true;
}

static __always_inline __s64 sched_minus_ktime(void)
{
	if (have_sched_minus_ktime_prev && sched_minus_ktime_prev > sched_minus_ktime_now)
		return sched_minus_ktime_prev;
	return sched_minus_ktime_now;
}

/* Once per run and CPU, through the first task found on it (every CPU has
 * its own kernel threads, so every CPU is read). */
static __always_inline void remember_cpu_clock(struct task_struct *task, __u32 cpu)
{
	struct cpu_readings *r = bpf_map_lookup_elem(&cpu_clocks, &cpu);
	struct tl_cpu_clock c = {};

	if (!r || r->run == run_nr || !read_cpu_clock(task, cpu, &c))
		return;
	r->older = r->latest;
	r->latest = c;
	r->run = run_nr;
}

/* The end of a run (the iterator's last call, without a task). */
static __always_inline void end_run(void)
{
	measure_sched_minus_ktime();
	sched_minus_ktime_prev = sched_minus_ktime_now;
	have_sched_minus_ktime_prev = have_sched_minus_ktime_now;
	have_sched_minus_ktime_now = false;
	run_nr++;
}

/* The sleeping task's saved user registers and syscall (a task asleep in a
 * syscall has them at the top of its kernel stack). */
static __always_inline void record_where(struct task_struct *task, struct tl_sleep_sample *ss)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	if (!regs) {
		ss->syscall_nr = -1;
		return;
	}
	ss->regs[0] = regs->ax;  ss->regs[1] = regs->dx;
	ss->regs[2] = regs->cx;  ss->regs[3] = regs->bx;
	ss->regs[4] = regs->si;  ss->regs[5] = regs->di;
	ss->regs[6] = regs->bp;  ss->regs[7] = regs->sp;
	ss->regs[8] = regs->r8;  ss->regs[9] = regs->r9;
	ss->regs[10] = regs->r10; ss->regs[11] = regs->r11;
	ss->regs[12] = regs->r12; ss->regs[13] = regs->r13;
	ss->regs[14] = regs->r14; ss->regs[15] = regs->r15;
	ss->regs[16] = regs->ip;
	ss->syscall_nr = (long)regs->orig_ax;
	ss->ia32 = regs->cs == 0x23; /* __USER32_CS */
	ss->args[0] = ss->regs[5]; ss->args[1] = ss->regs[4]; ss->args[2] = ss->regs[1];
	ss->args[3] = ss->regs[10]; ss->args[4] = ss->regs[8]; ss->args[5] = ss->regs[9];
	bpf_probe_read_kernel_str(ss->comm, sizeof(ss->comm), task->comm);
}

SEC("iter/task")
int sample_sleepers(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct tl_sleep_sample ss = {};
	struct tl_cpu_clock now = {}, none = {};
	const struct tl_cpu_clock *prev = &none;
	__u32 tid, cpu;

	if (!task) {
		end_run();
		return 0;
	}
	cpu = task->thread_info.cpu; /* task_cpu(): the CPU it runs or last ran on */
	remember_cpu_clock(task, cpu);
	if (!is_traced(task->tgid))
		return 0;
	tid = task->pid;
	ss.exec_start = task->se.exec_start;
	ss.switches = task->nvcsw;
	ss.preemptions = task->nivcsw;
	struct tl_sleep_sample *old = bpf_map_lookup_elem(&sleep_samples, &tid);
	/* Asleep = in a sleeping state and switched out (on_cpu is cleared after
	 * the switch, so exec_start and the switch count are final by then). */
	if (!(task->__state & TASK_SLEEPING) || task->on_cpu) {
		/* Ran since it was seen asleep (running updates exec_start). One
		 * woken but not yet on a CPU keeps its sample: the kill at exit
		 * wakes a thread before its exit record reads it. */
		if (old && old->exec_start != ss.exec_start)
			bpf_map_delete_elem(&sleep_samples, &tid);
		return 0;
	}
	if (old && old->exec_start == ss.exec_start && old->switches == ss.switches)
		return 0; /* the same sleep as last time: keep its start */

	measure_sched_minus_ktime();
	if (!read_cpu_clock(task, cpu, &now))
		now.clock = now.clock_task = 0;
	struct cpu_readings *r = bpf_map_lookup_elem(&cpu_clocks, &cpu);
	/* The latest reading from before the sleep, else the earliest after it. */
	if (r)
		prev = r->latest.clock_task < ss.exec_start ? &r->latest : &r->older;
	ss.since = tl_sleep_start(ss.exec_start, &now, prev, sched_minus_ktime(), bpf_ktime_get_ns());
	record_where(task, &ss);
	/* Asleep again where it slept before, with no run seen in between: a
	 * loop that waits, wakes (a timer, a timeout) and waits again. */
	if (old && old->syscall_nr == ss.syscall_nr && old->regs[16] == ss.regs[16] && old->regs[7] == ss.regs[7]) {
		ss.same_sleeps = old->same_sleeps + 1;
		ss.first_same_ns = old->same_sleeps ? old->first_same_ns : bpf_ktime_get_ns();
	}
	bpf_map_update_elem(&sleep_samples, &tid, &ss, BPF_ANY);
	return 0;
}
