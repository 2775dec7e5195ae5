// SPDX-License-Identifier: GPL-2.0
/* threadleak's kernel side: follows the traced processes' lifecycle and, at the
 * few moments that matter, captures a thread's registers and a copy of its user
 * stack, after sending (once per address space) its executable file mappings,
 * so userspace can unwind and symbolize even after the process is gone.
 *
 * Hooks (all rare events; nothing runs on syscalls or context switches):
 *   tp_btf/sched_process_fork  thread creation (+ creator's stack) and new processes
 *   tp_btf/sched_process_exec  exec of a traced process
 *   tp_btf/sched_process_exit  thread exit (+ stack when the thread did not end itself)
 *   iter/task                  on demand: "last seen asleep" samples of traced threads
 *
 * Every program filters on the traced-tgid map first: they run for the whole
 * machine, and an untraced process must pay for one hash lookup only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "events.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */
#define PF_IO_WORKER 0x00000010      /* include/linux/sched.h: io_uring worker */
#define PF_USER_WORKER 0x00004000    /* kernel-created worker of a user process (vhost, io_uring) */
#define VM_EXEC 0x00000004
#define PAGE_SIZE 4096
#define NR_EXIT 60
#define NR_EXIT_GROUP 231
#define MAX_PATH_DEPTH 16

/* Set by userspace between open and load. */
const volatile __u32 stack_size = 16384; /* bytes copied above sp, <= TL_MAX_STACK_BYTES */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* resized by --max-processes */
	__type(key, __u32);        /* tgid */
	__type(value, __u8);
} traced SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 32 << 20); /* resized by --ringbuf-size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tid */
	__type(value, struct tl_sleep_sample);
} sleep_samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TL_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* Executable mappings already sent, per address space: key (tgid, mm), value
 * mm->exec_vm when they were sent. A change of exec_vm (dlopen, dlclose) sends
 * them again. Entries are dropped at exit and exec so a reused mm address
 * cannot hide a new address space. */
struct mm_key {
	__u64 mm;
	__u32 tgid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct mm_key);
	__type(value, __u64);
} sent_modules SEC(".maps");

/* Records are built here, then copied into the ring buffer with their real
 * length (the stack copy is rarely full). Tracepoints run with preemption
 * disabled, so one slot per CPU cannot be shared by two programs at once.
 * A plain array indexed by CPU: per-CPU maps cap values at 32 KiB. */

union scratch_record {
	struct tl_thread_create_event create;
	struct tl_thread_exit_event exit;
	struct tl_modules_event modules;
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
} scratch SEC(".maps");

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

/* ---- stack copy ------------------------------------------------------- */

struct vma_bounds {
	__u64 start;
	__u64 end;
};

static long stack_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_bounds *b = data;
	b->start = vma->vm_start;
	b->end = vma->vm_end;
	return 0;
}

struct copy_ctx {
	struct tl_stack_sample *s;
	__u64 sp;
	__u64 len; /* bytes wanted */
	__u64 done;
};

/* bpf_probe_read_user is all-or-nothing, so copy page by page and stop at
 * the first page that is not present. */
static long copy_page_cb(__u64 i, void *data)
{
	struct copy_ctx *c = data;
	__u64 off = c->done;
	__u64 addr = c->sp + off;
	__u64 chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));

	if (off >= c->len)
		return 1;
	if (chunk > c->len - off)
		chunk = c->len - off;
	if (off > TL_MAX_STACK_BYTES - PAGE_SIZE || chunk > PAGE_SIZE || chunk == 0)
		return 1;
	if (bpf_probe_read_user(&c->s->stack[off], chunk, (void *)addr))
		return 1;
	c->done = off + chunk;
	return 0;
}

/* ---- executable mappings ---------------------------------------------- */

/* Path of a dentry, leaf first: "libc.so.6\0x86_64-linux-gnu\0lib\0usr\0".
 * Crosses mount points up to the root of the task's mount namespace.
 * bpf_d_path is not allowed in tp_btf programs, hence the walk; one step per
 * bpf_loop iteration keeps the verifier's work independent of the depth. */
struct path_ctx {
	struct tl_module *m;
	struct dentry *d;
	struct vfsmount *vfs;
	struct mount *mnt;
	__u32 pos;
};

static long path_step_cb(__u64 i, void *data)
{
	struct path_ctx *c = data;
	/* locals: BPF_CORE_READ must not relocate accesses to our own struct */
	struct dentry *d = c->d;
	struct vfsmount *vfs = c->vfs;
	struct mount *mnt = c->mnt;
	struct dentry *root = BPF_CORE_READ(vfs, mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (up == mnt || !up)
			return 1;
		c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = up;
		c->vfs = (void *)up + __builtin_offsetof(struct mount, mnt);
		return 0;
	}
	__u32 pos = c->pos;
	if (pos > TL_PATH_LEN - 64)
		return 1;
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	long n = bpf_probe_read_kernel_str(&c->m->path[pos], 64, name);
	if (n <= 0)
		return 1;
	c->pos = pos + n;
	c->d = parent;
	return 0;
}

static __always_inline void read_path(struct tl_module *m, struct file *file)
{
	struct path_ctx c = {};

	c.m = m;
	c.d = BPF_CORE_READ(file, f_path.dentry);
	c.vfs = BPF_CORE_READ(file, f_path.mnt);
	c.mnt = (void *)c.vfs - __builtin_offsetof(struct mount, mnt);
	bpf_loop(MAX_PATH_DEPTH * 2, path_step_cb, &c, 0);
	m->path_len = c.pos;
}

extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym;

/* Sends every executable file mapping of `task`'s address space, unless they
 * were sent already and have not changed since. Runs before a stack is sent,
 * so stacks never name a mapping userspace has not heard of. */
static __always_inline void send_modules(struct task_struct *task, struct tl_modules_event *e)
{
	struct mm_struct *mm = task->mm;
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	struct mm_key key = {};
	__u64 exec_vm;
	__u32 sent = 0;

	if (!mm)
		return;
	key.mm = (__u64)mm;
	key.tgid = task->tgid;
	exec_vm = mm->exec_vm;
	__u64 *old = bpf_map_lookup_elem(&sent_modules, &key);
	if (old && *old == exec_vm)
		return;

	fill_header(&e->h, TL_EV_MODULES, 0, task);
	e->n = 0;
	bpf_iter_task_vma_new(&it, task, 0);
	while ((vma = bpf_iter_task_vma_next(&it))) {
		if (!(vma->vm_flags & VM_EXEC) || !vma->vm_file)
			continue;
		__u32 n = e->n;
		if (n >= TL_MODULES_PER_RECORD)
			break;
		struct tl_module *m = &e->modules[n];
		struct file *file = vma->vm_file;
		m->start = vma->vm_start;
		m->end = vma->vm_end;
		m->pgoff = (__u64)vma->vm_pgoff << 12;
		m->ino = BPF_CORE_READ(file, f_inode, i_ino);
		m->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
		m->path_len = 0;
		read_path(m, file);
		e->n = n + 1;
		sent = 1; /* a flag, not a count: lets the verifier see the loop converge */
		if (e->n == TL_MODULES_PER_RECORD) {
			e->h.size = sizeof(*e);
			submit(e, sizeof(*e));
			e->n = 0;
		}
	}
	bpf_iter_task_vma_destroy(&it);
	if (e->n > 0) {
		__u64 size = __builtin_offsetof(struct tl_modules_event, modules) +
			     (__u64)e->n * sizeof(struct tl_module);
		e->h.size = size;
		submit(e, size);
	}
	/* The iterator gives up if mmap_lock is contended: then try next time. */
	if (sent)
		bpf_map_update_elem(&sent_modules, &key, &exec_vm, BPF_ANY);
}

static __always_inline void forget_modules(struct task_struct *task)
{
	struct mm_key key = {.mm = (__u64)task->mm, .tgid = task->tgid};
	bpf_map_delete_elem(&sent_modules, &key);
}

/* ---- syscall details --------------------------------------------------- */

static __always_inline void describe_fd(struct tl_stack_sample *s, struct task_struct *task)
{
	__u64 fd = s->args[0];
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd >= max || fd >= (1 << 20))
		return;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return;
	s->fd_mode = BPF_CORE_READ(f, f_inode, i_mode);
	const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(s->fd_name, sizeof(s->fd_name), name);
}

/* Fills `s` from the current task: registers, syscall, stack copy, mappings. */
static __always_inline void capture(struct tl_stack_sample *s)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct vma_bounds b = {};
	struct copy_ctx cc = {};
	__u64 sp;

	s->regs[0] = regs->ax;  s->regs[1] = regs->dx;  s->regs[2] = regs->cx;
	s->regs[3] = regs->bx;  s->regs[4] = regs->si;  s->regs[5] = regs->di;
	s->regs[6] = regs->bp;  s->regs[7] = regs->sp;  s->regs[8] = regs->r8;
	s->regs[9] = regs->r9;  s->regs[10] = regs->r10; s->regs[11] = regs->r11;
	s->regs[12] = regs->r12; s->regs[13] = regs->r13; s->regs[14] = regs->r14;
	s->regs[15] = regs->r15; s->regs[16] = regs->ip;
	s->syscall_nr = (long)regs->orig_ax;
	s->args[0] = regs->di; s->args[1] = regs->si; s->args[2] = regs->dx;
	s->args[3] = regs->r10; s->args[4] = regs->r8; s->args[5] = regs->r9;
	s->timeout_valid = 0;
	s->fd_mode = 0;
	s->fd_name[0] = 0;
	s->stack_len = 0;

	int targ = tl_timeout_arg(s->syscall_nr);
	if (targ >= 0 && targ < 6 && s->args[targ & 7]) {
		if (!bpf_probe_read_user(s->timeout, sizeof(s->timeout), (void *)s->args[targ & 7]))
			s->timeout_valid = 1;
	}
	if (s->syscall_nr >= 0)
		describe_fd(s, task);

	/* Copy at most up to the end of the stack mapping (the main thread has
	 * only a few KiB above sp; reading past the end fails whole). */
	sp = s->regs[7];
	if (bpf_find_vma(task, sp, stack_vma_cb, &b, 0) == 0 && b.end > sp) {
		cc.s = s;
		cc.sp = sp;
		cc.len = b.end - sp;
		if (cc.len > stack_size)
			cc.len = stack_size;
		if (cc.len > TL_MAX_STACK_BYTES)
			cc.len = TL_MAX_STACK_BYTES;
		bpf_loop(TL_MAX_STACK_BYTES / PAGE_SIZE + 1, copy_page_cb, &cc, 0);
		s->stack_len = cc.done;
	}
	if (s->stack_len == 0)
		count(TL_STAT_STACK_READ_FAIL);
}

/* ---- programs ---------------------------------------------------------- */

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

/* How long the thread had been parked before the exit woke it: measured only
 * if the sampling iterator saw it asleep and it has not switched since. */
static __always_inline void blocked_for(struct tl_thread_exit_event *e, struct task_struct *task)
{
	__u32 tid = task->pid;
	struct tl_sleep_sample *ss = bpf_map_lookup_elem(&sleep_samples, &tid);

	e->blocked_for_ns = 0;
	e->blocked_known = 0;
	if (!ss)
		return;
	if (ss->switches == task->nvcsw + task->nivcsw && task->se.exec_start > ss->exec_start) {
		e->blocked_for_ns = task->se.exec_start - ss->exec_start;
		e->blocked_known = 1;
	}
	bpf_map_delete_elem(&sleep_samples, &tid);
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
		__u32 tid = p->pid;
		bpf_map_delete_elem(&sleep_samples, &tid);
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

/* Run by userspace every few ms: remembers when each traced thread that is
 * asleep went to sleep (se.exec_start is the scheduler clock of its last
 * accounting, i.e. when it stopped running). */
SEC("iter/task")
int sample_sleepers(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct tl_sleep_sample ss = {};
	__u32 tid;

	if (!task || !is_traced(task->tgid))
		return 0;
	tid = task->pid;
	if (task->__state == 0) { /* TASK_RUNNING: not parked */
		bpf_map_delete_elem(&sleep_samples, &tid);
		return 0;
	}
	ss.switches = task->nvcsw + task->nivcsw;
	struct tl_sleep_sample *old = bpf_map_lookup_elem(&sleep_samples, &tid);
	if (old && old->switches == ss.switches)
		return 0; /* same sleep as last time: keep its start */
	ss.exec_start = task->se.exec_start;
	bpf_map_update_elem(&sleep_samples, &tid, &ss, BPF_ANY);
	return 0;
}
