// SPDX-License-Identifier: GPL-2.0
/* threadleak's lifecycle programs: follow the traced processes through fork,
 * exec and exit and, at the few moments that matter, capture a thread's
 * registers and a copy of its user stack (stack_capture.bpf.h), after sending
 * (once per address space) its executable file mappings (modules.bpf.h), so
 * userspace can unwind and symbolize even after the process is gone.
 *
 * Hooks (all rare events; nothing runs on syscalls or context switches):
 *   tp_btf/sched_process_fork  thread creation (+ creator's stack) and new processes
 *   tp_btf/sched_process_exec  exec of a traced process
 *   tp_btf/sched_process_exit  thread exit (+ stack when the thread did not end itself)
 * The sleep sampler (sleep_sampler.bpf.c) runs on demand from userspace.
 *
 * Every program filters on the traced-tgid map first: they run for the whole
 * machine, and an untraced process must pay for one hash lookup only.
 */
#include "shared.bpf.h"
#include "modules.bpf.h"
#include "sleep_sample.bpf.h"
#include "stack_capture.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_IO_WORKER 0x00000010      /* include/linux/sched.h: io_uring worker */
#define PF_USER_WORKER 0x00004000    /* kernel-created worker of a user process (vhost, io_uring) */
#define NR_EXIT 60
#define NR_EXIT_GROUP 231

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 tgid = parent->tgid;

	if (!is_traced(tgid))
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();

	if (child->tgid != tgid) {
		struct tl_process_fork_event e = {};
		__u8 one = 1;
		__u32 child_tgid = child->tgid;

		if (bpf_map_update_elem(&traced, &child_tgid, &one, BPF_ANY))
			count(TL_STAT_TRACED_FULL);
		fill_header(&e.h, TL_EV_PROCESS_FORK, sizeof(e), child);
		e.h.tid = parent->pid;
		e.parent_pid = tgid;
		e.flags = child->mm == parent->mm;
		submit(&e, sizeof(e));
		return 0;
	}

	struct scratch_space *sc = bpf_map_lookup_elem(&scratch, &cpu);
	if (!sc)
		return 0;
	send_modules(parent, &sc->rec.modules);
	struct tl_thread_create_event *e = &sc->rec.create;
	/* runs in the creating thread: `current` is `parent` */
	fill_header(&e->h, TL_EV_THREAD_CREATE, 0, parent);
	e->h.tid = child->pid;
	e->creator_tid = parent->pid;
	capture(&e->s);
	__u64 size = __builtin_offsetof(struct tl_thread_create_event, s.stack) + e->s.stack_len;
	e->h.size = size;
	submit(e, size);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!is_traced(p->tgid))
		return 0;
	struct tl_exec_event e = {}; /* zeroed only for traced processes */
	forget_modules(p); /* a fresh mm: drop any stale entry for its address */
	fill_header(&e.h, TL_EV_EXEC, sizeof(e), p);
	/* The opened file, not bprm->filename: that is relative to the caller's cwd. */
	struct file *file = BPF_CORE_READ(bprm, file);
	e.exe.ino = BPF_CORE_READ(file, f_inode, i_ino);
	e.exe.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	read_path(&e.exe, file);
	submit(&e, sizeof(e));
	return 0;
}

static __always_inline __u32 exit_how(struct task_struct *task, long nr)
{
	struct signal_struct *sig = task->signal;

	/* Kernel-made workers (io_uring, vhost) are not threads the program made:
	 * their registers are copies of another thread's, and they end with it. */
	if (task->flags & (PF_IO_WORKER | PF_USER_WORKER))
		return TL_EXIT_SELF;
	if (nr == NR_EXIT)
		return TL_EXIT_SELF;
	if (nr == NR_EXIT_GROUP)
		return TL_EXIT_GROUP_LEADER;
	if ((sig->flags & SIGNAL_GROUP_EXIT) || sig->group_exec_task)
		return TL_EXIT_KILLED;
	return TL_EXIT_SELF;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 tgid = p->tgid;

	if (!is_traced(tgid))
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();

	struct scratch_space *sc = bpf_map_lookup_elem(&scratch, &cpu);
	if (!sc)
		return 0;
	struct tl_thread_exit_event *e = &sc->rec.exit;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);
	__u64 size = __builtin_offsetof(struct tl_thread_exit_event, s);

	fill_header(&e->h, TL_EV_THREAD_EXIT, 0, p);
	e->how = exit_how(p, (long)regs->orig_ax);
	e->has_stack = 0;
	e->blocked_for_ns = 0;
	e->blocked_known = 0;
	e->blocked_exact = 0;
	if (e->how == TL_EXIT_KILLED) {
		/* Still readable here (verified on 6.18): current->mm, the user
		 * stack and bpf_task_pt_regs(), whose orig_ax is the syscall the
		 * thread was stopped in. */
		send_modules(p, &sc->rec.modules);
		fill_header(&e->h, TL_EV_THREAD_EXIT, 0, p);
		e->how = TL_EXIT_KILLED;
		e->has_stack = 1;
		blocked_for(e, p);
		capture(&e->s);
		size = __builtin_offsetof(struct tl_thread_exit_event, s.stack) + e->s.stack_len;
	} else {
		forget_sleep(p);
	}
	e->h.size = size;
	submit(e, size);

	if (group_dead) {
		struct tl_process_exit_event pe = {};
		struct signal_struct *sig = p->signal;

		fill_header(&pe.h, TL_EV_PROCESS_EXIT, sizeof(pe), p);
		forget_modules(p);
		pe.exit_code = (sig->flags & SIGNAL_GROUP_EXIT) ? sig->group_exit_code : p->exit_code;
		submit(&pe, sizeof(pe));
		bpf_map_delete_elem(&traced, &tgid);
	}
	return 0;
}
