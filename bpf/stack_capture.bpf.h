/* Captures the current thread for userspace to unwind later: its user
 * registers, the syscall it sits in (number, arguments, the timeout it points
 * to, what its fd is) and a copy of its user stack above sp. Used at thread
 * creation (the creator) and at the exit of a killed thread. */
#ifndef THREADLEAK_STACK_CAPTURE_BPF_H
#define THREADLEAK_STACK_CAPTURE_BPF_H

#include "shared.bpf.h"
#include "futex_wakes.bpf.h"

#define NR_FUTEX 202
#define S_IFMT 00170000  /* include/uapi/linux/stat.h */
#define S_IFIFO 0010000
#define S_IFSOCK 0140000

/* Set by userspace between open and load. */
const volatile __u32 stack_size = 16384; /* bytes copied above sp, <= TL_MAX_STACK_BYTES */

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

#define AF_INET 2
#define AF_INET6 10

/* The two ends of the socket behind `f` (a reader blocked on a peer that
 * never writes names that peer). */
static __always_inline void describe_socket(struct tl_stack_sample *s, struct file *f)
{
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	s->sock_type = BPF_CORE_READ(sock, type);
	s->sock_family = BPF_CORE_READ(sk, __sk_common.skc_family);
	s->sock_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	s->sock_local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	s->sock_remote_port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (s->sock_family == AF_INET) {
		__u32 local = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 remote = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(s->sock_local_addr, &local, 4);
		__builtin_memcpy(s->sock_remote_addr, &remote, 4);
	} else if (s->sock_family == AF_INET6) {
		BPF_CORE_READ_INTO(&s->sock_local_addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&s->sock_remote_addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	s->socket_valid = 1;
}

static __always_inline void describe_fd(struct tl_stack_sample *s, struct task_struct *task)
{
	__u64 fd = s->args[0];
	struct file *f = fd >= (1 << 20) ? NULL : fd_file(task, (__s32)fd);

	if (!f)
		return;
	s->fd_mode = BPF_CORE_READ(f, f_inode, i_mode);
	s->fd_ino = BPF_CORE_READ(f, f_inode, i_ino);
	const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(s->fd_name, sizeof(s->fd_name), name);
	/* A reader of a pipe nobody can write to again is parked for good; one
	 * whose write end is open (in which process is read later) may not be. */
	/* An epoll set nobody added a descriptor to can never return. Its
	 * inode is anonymous (no type bits): told by the dentry name. */
	if (s->fd_mode == 0 || (s->fd_mode & S_IFMT) == 0) {
		char eventpoll[] = "[eventpoll]";
		bool same = true;
		for (int i = 0; i < sizeof(eventpoll); i++)
			same = same && s->fd_name[i] == eventpoll[i];
		if (same) {
			struct eventpoll *ep = BPF_CORE_READ(f, private_data);
			if (ep)
				s->epoll_state = BPF_CORE_READ(ep, rbr.rb_root.rb_node) ? 2 : 1;
		}
		char timerfd[] = "[timerfd]";
		same = true;
		for (int i = 0; i < sizeof(timerfd); i++)
			same = same && s->fd_name[i] == timerfd[i];
		if (same) {
			struct timerfd_ctx *ctx = BPF_CORE_READ(f, private_data);
			if (ctx) {
				s->timer_interval_ns = BPF_CORE_READ(ctx, tintv);
				s->timer_valid = 1;
			}
		}
	}
	if ((s->fd_mode & S_IFMT) == S_IFSOCK)
		describe_socket(s, f);
	if ((s->fd_mode & S_IFMT) == S_IFIFO) {
		struct pipe_inode_info *pipe = BPF_CORE_READ(f, private_data);
		if (pipe) {
			s->pipe_readers = BPF_CORE_READ(pipe, readers);
			s->pipe_writers = BPF_CORE_READ(pipe, writers);
			s->pipe_valid = 1;
		}
	}
}

/* x86's __USER32_CS: the code segment of a task running 32-bit code. */
#define USER32_CS 0x23

/* Fills `s` from the current task: registers, syscall, stack copy. The
 * caller sends the task's mappings first (modules.bpf.h). */
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
	s->ia32 = regs->cs == USER32_CS;
	s->args[0] = regs->di; s->args[1] = regs->si; s->args[2] = regs->dx;
	s->args[3] = regs->r10; s->args[4] = regs->r8; s->args[5] = regs->r9;
	s->timeout_valid = 0;
	s->fd_mode = 0;
	s->fd_name[0] = 0;
	s->fd_ino = 0;
	s->pipe_valid = 0;
	s->pipe_readers = 0;
	s->pipe_writers = 0;
	s->epoll_state = 0;
	__builtin_memset(s->sock_local_addr, 0, sizeof(s->sock_local_addr));
	__builtin_memset(s->sock_remote_addr, 0, sizeof(s->sock_remote_addr));
	s->sock_family = 0;
	s->sock_type = 0;
	s->sock_local_port = 0;
	s->sock_remote_port = 0;
	s->socket_valid = 0;
	s->sock_state = 0;
	s->timer_valid = 0;
	s->timer_interval_ns = 0;
	s->pad_wait = 0;
	s->wakes_known = 0;
	s->wakes_sent = 0;
	s->last_waker_tid = 0;
	s->futex_words_valid = 0;
	s->stack_len = 0;
	/* The futex word and the one after it: a glibc mutex's owner tid. */
	if (s->syscall_nr == NR_FUTEX && s->args[0] &&
	    !bpf_probe_read_user(s->futex_words, sizeof(s->futex_words), (void *)s->args[0]))
		s->futex_words_valid = 1;
	if (s->syscall_nr == NR_FUTEX)
		wake_facts(s, task->tgid, task->pid);

	int targ = tl_timeout_arg(s->syscall_nr);
	if (targ >= 0 && targ < 6 && s->args[targ & 7]) {
		if (!bpf_probe_read_user(s->timeout, sizeof(s->timeout), (void *)s->args[targ & 7]))
			s->timeout_valid = 1;
	}
	if (s->syscall_nr >= 0)
		describe_fd(s, task);

	/* 32-bit code: userspace does not unwind it, so no copy (and no failure). */
	if (s->ia32)
		return;
	/* Copy at most up to the end of the stack mapping (the main thread has
	 * only a few KiB above sp; reading past the end fails whole). With IRQs
	 * off (signal_deliver runs under siglock), bpf_find_vma defers its
	 * mmap_lock unlock to an irq_work and fails with EBUSY while one is
	 * pending on this CPU (another program's, or the VMA iterator's just
	 * before): then copy up to stack_size, page by page, which stops at the
	 * first page past the stack that is not mapped. */
	sp = s->regs[7];
	cc.s = s;
	cc.sp = sp;
	cc.len = stack_size;
	if (bpf_find_vma(task, sp, stack_vma_cb, &b, 0) == 0) {
		if (b.end > sp && b.end - sp < cc.len)
			cc.len = b.end - sp;
		if (b.end <= sp)
			cc.len = 0;
	}
	if (cc.len > TL_MAX_STACK_BYTES)
		cc.len = TL_MAX_STACK_BYTES;
	bpf_loop(TL_MAX_STACK_BYTES / PAGE_SIZE + 1, copy_page_cb, &cc, 0);
	s->stack_len = cc.done;
	if (s->stack_len == 0)
		count(TL_STAT_STACK_READ_FAIL);
}

#endif /* THREADLEAK_STACK_CAPTURE_BPF_H */
