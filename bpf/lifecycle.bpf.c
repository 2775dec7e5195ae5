// SPDX-License-Identifier: GPL-2.0
/* threadleak's lifecycle programs: follow the traced processes through fork,
 * exec and exit and, at the few moments that matter, capture a thread's
 * registers and a copy of its user stack (stack_capture.bpf.h), after sending
 * (once per address space) its executable file mappings (modules.bpf.h), so
 * userspace can unwind and symbolize even after the process is gone.
 *
 * Hooks (all rare events; nothing runs on syscalls or context switches):
 *   tp_btf/sched_process_fork  new threads and processes (+ creator's stack)
 *   tp_btf/sched_process_exec  exec of a traced process
 *   tp_btf/signal_deliver      a thread killed by its process's exit or an exec (+ stack)
 *   tp_btf/sched_process_exit  every other thread exit, and the process's exit (+ its open timerfds)
 *   uretprobe timerfd_create   timer creation (+ creator's stack), in the C libraries
 * The sleep sampler (sleep_sampler.bpf.c) runs on demand from userspace.
 *
 * Every program filters on the traced-tgid map first: they run for the whole
 * machine, and an untraced process must pay for one hash lookup only.
 *
 * fork and exit come in two variants that differ only in how the mappings
 * reach userspace (modules.bpf.h): on_fork/on_exit list them with the VMA
 * iterator (Linux >= 6.7), on_fork_procfs/on_exit_procfs ask userspace
 * to read /proc/PID/maps. Userspace loads one pair (capture/kernel_features).
 */
#include "shared.bpf.h"
#include "modules.bpf.h"
#include "sleep_sample.bpf.h"
#include "stack_capture.bpf.h"
#include "futex_wakes.bpf.h"
#include "timers.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by userspace between open and load: --track-wakes loaded on_futex. */
const volatile bool track_wakes = false;

#define PF_IO_WORKER 0x00000010      /* include/linux/sched.h: io_uring worker */
#define PF_USER_WORKER 0x00004000    /* kernel-created worker of a user process (vhost; Linux >= 6.4, unused bit before) */
#define SIGKILL 9
#define NR_EXIT 60
#define NR_EXIT_GROUP 231

static __always_inline int fork_hook(struct task_struct *parent, struct task_struct *child,
				     bool vma_iter)
{
	__u32 tgid = parent->tgid;

	if (!is_traced(tgid))
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();
	bool new_process = child->tgid != tgid;

	if (new_process) {
		__u8 one = 1;
		__u32 child_tgid = child->tgid;

		if (bpf_map_update_elem(&traced, &child_tgid, &one, BPF_ANY))
			count(TL_STAT_TRACED_FULL);
		forget_modules(child); /* a fresh mm: drop any stale entry for its address */
	}

	struct scratch_space *sc = bpf_map_lookup_elem(&scratch, &cpu);
	if (!sc)
		return 0;
	/* Runs in the creating thread (`current` is `parent`), before the child
	 * first runs: its stack is the creation site of a thread and of a
	 * process alike (fork, vfork, posix_spawn). */
	send_modules(parent, &sc->rec.modules, vma_iter);
	if (new_process) {
		struct tl_process_fork_event *e = &sc->rec.fork;

		fill_header(&e->h, TL_EV_PROCESS_FORK, 0, child);
		e->h.tid = parent->pid;
		e->parent_pid = tgid;
		e->flags = child->mm == parent->mm;
		capture(&e->s);
		__u64 size = __builtin_offsetof(struct tl_process_fork_event, s.stack) + e->s.stack_len;
		e->h.size = size;
		submit(e, size);
		return 0;
	}

	struct tl_thread_create_event *e = &sc->rec.create;
	fill_header(&e->h, TL_EV_THREAD_CREATE, 0, parent);
	e->h.tid = child->pid;
	e->creator_tid = parent->pid;
	capture(&e->s);
	__u64 size = __builtin_offsetof(struct tl_thread_create_event, s.stack) + e->s.stack_len;
	e->h.size = size;
	submit(e, size);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	return fork_hook(parent, child, true);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork_procfs, struct task_struct *parent, struct task_struct *child)
{
	return fork_hook(parent, child, false);
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

/* Threads whose exit record was sent at signal_deliver (kill_hook): their
 * sched_process_exit sends none. A plain hash: an entry that could not be
 * added leaves the record to sched_process_exit, never sends it twice. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tid */
	__type(value, __u8);
} exit_sent SEC(".maps");

/* Sends the exit record of a thread killed by its process's exit (or an exec,
 * or a fatal signal), with its mappings first and its registers and stack:
 * `p` is current, and its address space must still be there. */
static __always_inline void send_killed(struct task_struct *p, struct scratch_space *sc, bool vma_iter)
{
	struct tl_thread_exit_event *e = &sc->rec.exit;

	send_modules(p, &sc->rec.modules, vma_iter);
	fill_header(&e->h, TL_EV_THREAD_EXIT, 0, p);
	e->how = TL_EXIT_KILLED;
	e->has_stack = 1;
	blocked_for(e, p);
	capture(&e->s);
	__u64 size = __builtin_offsetof(struct tl_thread_exit_event, s.stack) + e->s.stack_len;
	e->h.size = size;
	submit(e, size);
}

/* A thread that the exit of its process (exit_group, a fatal signal, kill -9)
 * or an exec kills takes SIGKILL in get_signal(), which fires signal_deliver
 * in that thread before do_exit(): its mm, user stack and registers (orig_ax:
 * the syscall it was stopped in) are all there. At sched_process_exit they are
 * only since Linux 6.16, which moved that tracepoint before exit_mm(); before,
 * current->mm is already NULL there. So killed threads are captured here on
 * every kernel, and sched_process_exit keeps the rest (threads that ended
 * themselves, the crashing thread, kills that bypass get_signal). */
static __always_inline int kill_hook(int sig, bool vma_iter)
{
	struct task_struct *p = bpf_get_current_task_btf();
	__u32 tgid = p->tgid, tid = p->pid;
	__u8 one = 1;

	if (sig != SIGKILL || !is_traced(tgid))
		return 0;
	struct signal_struct *ss = p->signal;
	if (!(ss->flags & SIGNAL_GROUP_EXIT) && !ss->group_exec_task)
		return 0;
	if (p->flags & (PF_IO_WORKER | PF_USER_WORKER))
		return 0; /* see exit_how() */
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch_space *sc = bpf_map_lookup_elem(&scratch, &cpu);
	if (!sc || bpf_map_update_elem(&exit_sent, &tid, &one, BPF_NOEXIST))
		return 0;
	send_killed(p, sc, vma_iter);
	return 0;
}

static __always_inline int exit_hook(struct task_struct *p, bool group_dead, bool vma_iter)
{
	__u32 tgid = p->tgid, tid = p->pid;

	if (!is_traced(tgid))
		return 0;
	__u32 cpu = bpf_get_smp_processor_id();

	struct scratch_space *sc = bpf_map_lookup_elem(&scratch, &cpu);
	if (!sc)
		return 0;
	struct tl_thread_exit_event *e = &sc->rec.exit;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);
	__u64 size = __builtin_offsetof(struct tl_thread_exit_event, s);

	__u32 how = exit_how(p, (long)regs->orig_ax);

	if (bpf_map_delete_elem(&exit_sent, &tid) == 0) {
		/* sent at signal_deliver */
	} else if (how == TL_EXIT_KILLED) {
		/* Not through get_signal (e.g. the thread whose fault crashed the
		 * process): capturable here since 6.16 only (kill_hook). */
		send_killed(p, sc, vma_iter);
	} else {
		fill_header(&e->h, TL_EV_THREAD_EXIT, 0, p);
		e->how = how;
		e->has_stack = 0;
		e->blocked_for_ns = 0;
		e->blocked_known = 0;
		e->blocked_exact = 0;
		forget_sleep(p);
		e->h.size = size;
		submit(e, size);
	}

	if (track_wakes)
		forget_futex_wait(tid);

	if (group_dead) {
		struct tl_process_exit_event pe = {};
		struct signal_struct *sig = p->signal;

		report_open_timers(p); /* before the exit record: the process is still known then */
		fill_header(&pe.h, TL_EV_PROCESS_EXIT, sizeof(pe), p);
		forget_modules(p); /* mm is NULL here before 6.16: fork and exec forget too */
		pe.exit_code = (sig->flags & SIGNAL_GROUP_EXIT) ? sig->group_exit_code : p->exit_code;
		submit(&pe, sizeof(pe));
		bpf_map_delete_elem(&traced, &tgid);
	}
	return 0;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(on_kill, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	return kill_hook(sig, true);
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(on_kill_procfs, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	return kill_hook(sig, false);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	return exit_hook(p, group_dead, true);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit_procfs, struct task_struct *p, bool group_dead)
{
	return exit_hook(p, group_dead, false);
}

/* Timer creation: a uretprobe on the C library's timerfd_create() (a rare
 * call: a uprobe hit costs ~19 us, paid only by the call; attached by
 * BpfSession::attach_timer_probes). Where it returns, the creator's registers
 * and stack are its caller's: the creation site. The fd is remembered
 * (timers.bpf.h) and checked at the process's exit (exit_hook). Here, not in
 * a file of its own: it sends mappings, and libbpf's linker cannot join two
 * objects that both declare the VMA iterator's kfuncs. */
static __always_inline int timer_created(long ret, bool vma_iter)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 tgid = task->tgid;
	__s32 fd = (__s32)ret;

	if (fd < 0 || !is_traced(tgid))
		return 0;
	struct file *f = fd_file(task, fd);
	if (!f)
		return 0;
	struct timer_key key = {.tgid = tgid, .fd = fd};
	struct timer_value value = {.ino = BPF_CORE_READ(f, f_inode, i_ino)};
	bpf_map_update_elem(&timers, &key, &value, BPF_ANY);

	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch_space *sc = bpf_map_lookup_elem(&scratch, &cpu);
	if (!sc)
		return 0;
	send_modules(task, &sc->rec.modules, vma_iter);
	struct tl_timer_create_event *e = &sc->rec.timer;
	fill_header(&e->h, TL_EV_TIMER_CREATE, 0, task);
	e->fd = fd;
	e->pad = 0;
	capture(&e->s);
	__u64 size = __builtin_offsetof(struct tl_timer_create_event, s.stack) + e->s.stack_len;
	e->h.size = size;
	submit(e, size);
	return 0;
}

SEC("uretprobe")
int on_timerfd_created(struct pt_regs *ctx)
{
	return timer_created((long)ctx->ax, true);
}

SEC("uretprobe")
int on_timerfd_created_procfs(struct pt_regs *ctx)
{
	return timer_created((long)ctx->ax, false);
}
