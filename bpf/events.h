/* Event records shared by the BPF programs (bpf/NAME.bpf.c) and userspace
 * (decoded in userspace/capture/trace_events.cpp). Fixed-width types and explicit
 * padding only: the layout is the wire format of the ring buffer.
 *
 * Every record starts with struct tl_header. Records that carry a user stack
 * (thread and process creation, leaked-thread exit) end with struct tl_stack_sample, whose
 * trailing `stack` array is only `stack_len` bytes long on the wire.
 */
#ifndef THREADLEAK_EVENTS_H
#define THREADLEAK_EVENTS_H

#ifdef __BPF__
/* vmlinux.h provides __u8 .. __u64 */
#else
#include <linux/types.h>
#endif

#include "sleep_clock.h"

#define TL_COMM_LEN 16
#define TL_PATH_LEN 256          /* module path, as seen from the target's root */
#define TL_FD_NAME_LEN 32        /* dentry name of a file descriptor's file */
#define TL_MODULES_PER_RECORD 32 /* executable mappings per TL_EV_MODULES record */
#define TL_MAX_STACK_BYTES 32768 /* hard cap of the --stack-size flag */

enum tl_event_kind {
	TL_EV_PROCESS_FORK = 1, /* a traced process started a new process (+ creator's stack) */
	TL_EV_EXEC = 2,         /* a traced process called execve */
	TL_EV_THREAD_CREATE = 3,/* a traced process created a thread (+ creator's stack) */
	TL_EV_THREAD_EXIT = 4,  /* a thread exited (+ its stack if it did not end itself) */
	TL_EV_PROCESS_EXIT = 5, /* the last thread of a traced process exited */
	TL_EV_MODULES = 6,      /* executable file mappings of a process's address space */
	TL_EV_READ_MAPS = 7,    /* read them from /proc/PID/maps now (no VMA iterator in BPF) */
	TL_EV_TEST_BEGIN = 8,   /* --per-test: a test started in this thread */
	TL_EV_TEST_END = 9,     /* --per-test: the test this thread started has ended */
	TL_EV_TIMER_CREATE = 10,/* a traced process created a timerfd (+ creator's stack) */
	TL_EV_TIMER_OPEN_AT_EXIT = 11, /* a timerfd it created was still open when it exited */
	TL_EV_GO_EXIT = 12,     /* a Go program entered runtime.exit: stopped until its goroutines are read */
};

/* How a thread left. */
enum tl_exit_how {
	TL_EXIT_SELF = 0,       /* exit(2)/pthread_exit/return from the start routine */
	TL_EXIT_GROUP_LEADER = 1,/* this thread called exit_group: it ended the process */
	TL_EXIT_KILLED = 2,     /* killed by the process's exit (or exec, or a fatal signal) */
};

struct tl_header {
	__u32 kind;   /* enum tl_event_kind */
	__u32 size;   /* bytes of the whole record */
	__u32 pid;    /* tgid of the process concerned */
	__u32 tid;    /* thread concerned (new thread for THREAD_CREATE) */
	__u64 time_ns;/* bpf_ktime_get_ns() */
	char comm[TL_COMM_LEN];
};

/* An executable file mapping of a traced process. */
struct tl_module {
	__u64 start;
	__u64 end;
	__u64 pgoff;  /* file offset of `start`, in bytes */
	__u64 ino;
	__u32 dev;    /* kernel dev_t (MAJOR << 20 | MINOR) of the file's superblock */
	__u32 path_len;
	char path[TL_PATH_LEN];
};

/* x86_64 user registers, DWARF numbering order (0 rax .. 15 r15, 16 rip). */
#define TL_NREGS 17

struct tl_stack_sample {
	__u64 regs[TL_NREGS];
	__s64 syscall_nr;      /* orig_ax: -1 when the thread was in user code */
	__u64 args[6];         /* syscall arguments: di si dx r10 r8 r9 */
	__u64 timeout[2];      /* struct timespec the syscall's timeout argument points to */
	__u32 timeout_valid;   /* 1 if `timeout` was read */
	__u32 fd_mode;         /* i_mode of the file behind args[0] if it is an fd, else 0 */
	char fd_name[TL_FD_NAME_LEN]; /* its dentry name (e.g. "pipe:", "[eventfd]") */
	__u32 ia32;            /* 1: the thread was in 32-bit code (cs == __USER32_CS): its
	                        * registers, syscall number and arguments follow the ia32 ABI */
	/* What the thread waits on, read beside the syscall: for futex(2) the 16
	 * bytes at uaddr (a glibc mutex keeps its owner's tid at +8); for a pipe,
	 * how many read and write ends are open (any process); for an epoll fd,
	 * whether it watches anything; for a timerfd, its interval. */
	__u64 futex_words[2];
	__u64 fd_ino;          /* inode number of the file behind args[0], 0 if none */
	__u64 timer_interval_ns; /* a timerfd's it_interval: 0 for a one-shot timer */
	__u32 futex_words_valid;
	__u32 pipe_valid;
	__u32 pipe_readers;
	__u32 pipe_writers;
	__u32 epoll_state;     /* an epoll fd: 1 watches nothing, 2 watches something, 0 unknown */
	__u32 timer_valid;     /* a timerfd: 1 if timer_interval_ns was read */
	/* A socket fd (socket_valid): its family (AF_*), type (SOCK_*), state
	 * (TCP_*), and both ends, addresses in network order (IPv4: the first 4
	 * bytes), ports in host order. */
	__u8 sock_local_addr[16];
	__u8 sock_remote_addr[16];
	__u16 sock_family;
	__u16 sock_type;
	__u16 sock_local_port;
	__u16 sock_remote_port;
	__u32 socket_valid;
	__u32 sock_state;
	/* --track-wakes: futex wakes sent to args[0] since this thread's wait on
	 * it began, and the last thread that sent one (futex_wakes.bpf.h). */
	__u64 wakes_sent;
	__u32 wakes_known;     /* 1 if wakes_sent is known */
	__u32 last_waker_tid;  /* 0 if none */
	__u32 pad_wait;
	__u32 stack_len;       /* valid bytes in `stack`, copied from regs[7] (sp) upward */
	__u8 stack[TL_MAX_STACK_BYTES];
};

/* Sent before the first stack of an address space, and again whenever its
 * executable mappings change (dlopen): every record lists some of them, so a
 * process that maps many files sends several. Userspace keeps the union, and
 * can unwind and symbolize after the process is gone. */
struct tl_modules_event {
	struct tl_header h;
	__u32 n;
	__u32 pad;
	struct tl_module modules[TL_MODULES_PER_RECORD];
};

/* Sent instead of tl_modules_event by kernels without the open-coded VMA
 * iterator (Linux < 6.7): the address space's executable mappings are new or
 * changed, and userspace must read them from /proc/PID/maps while it lives. */
struct tl_read_maps_event {
	struct tl_header h;
};

struct tl_process_fork_event {
	struct tl_header h;    /* pid = new process, tid = creating thread */
	__u32 parent_pid;
	__u32 flags;           /* 1 = shares the parent's mm (vfork/posix_spawn) */
	struct tl_stack_sample s; /* the creating thread at its fork/clone call */
};

struct tl_exec_event {
	struct tl_header h;
	struct tl_module exe;  /* the executable's path (start/end/pgoff unused) */
};

struct tl_thread_create_event {
	struct tl_header h;    /* tid = the new thread; comm = creator's */
	__u32 creator_tid;
	__u32 pad;
	struct tl_stack_sample s; /* the creating thread at its clone/clone3 call */
};

struct tl_thread_exit_event {
	struct tl_header h;
	__u32 how;             /* enum tl_exit_how */
	__u32 has_stack;       /* 1 if `s` is present (the thread did not end itself) */
	__u64 blocked_for_ns;  /* time parked before the kill; 0 if unknown or running */
	__u32 blocked_known;   /* 1 if blocked_for_ns is measured */
	__u32 blocked_exact;   /* 1 if it is the time parked, 0 if a lower bound of it */
	/* How many times the sampler saw it fall asleep again at the same place
	 * (same syscall, pc and sp) since it first did, and over what span: a
	 * thread woken by a timer that waits again ticks. 0 if never. */
	__u32 same_sleeps;
	__u32 pad2;
	__u64 same_sleeps_span_ns;
	struct tl_stack_sample s;
};

struct tl_timer_create_event {
	struct tl_header h;    /* tid = the creating thread */
	__s32 fd;              /* what timerfd_create returned */
	__u32 pad;
	struct tl_stack_sample s; /* the creator where timerfd_create returned */
};

/* Sent at a process's exit for each timerfd it created that was still open. */
struct tl_timer_open_event {
	struct tl_header h;
	__s32 fd;
	__u32 armed;           /* 1: its timer was queued (set to fire) */
	__u64 interval_ns;     /* it_interval: 0 for a one-shot timer */
};

struct tl_go_exit_event {
	struct tl_header h;    /* tid = the thread calling runtime.exit */
	__u64 g;               /* its current goroutine (R14 in Go's register ABI): the one exiting */
	__u32 stopped;         /* 1: SIGSTOP was sent; userspace must send SIGCONT */
	__u32 pad;
};

struct tl_process_exit_event {
	struct tl_header h;    /* tid = last thread to exit */
	__u32 exit_code;       /* wait status: (code << 8) | signal, as in waitpid */
	__u32 pad;
};

/* Which argument of a blocking syscall points to its timeout (x86_64), or -1.
 * Shared so the kernel side and the /proc reader agree. */
static inline int tl_timeout_arg(long nr)
{
	switch (nr) {
	case 35:  return 0; /* nanosleep */
	case 202: return 3; /* futex */
	case 230: return 2; /* clock_nanosleep */
	case 271: return 2; /* ppoll */
	case 270: return 4; /* pselect6 */
	case 23:  return 4; /* select (a timeval) */
	case 441: return 3; /* epoll_pwait2 */
	case 449: return 3; /* futex_waitv */
	case 128: return 2; /* rt_sigtimedwait */
	case 208: return 4; /* io_getevents */
	case 220: return 3; /* semtimedop */
	case 243: return 4; /* mq_timedreceive */
	case 299: return 4; /* recvmmsg */
	case 242: return 4; /* mq_timedsend */
	case 333: return 4; /* io_pgetevents */
	case 455: return 4; /* futex_wait */
	}
	return -1;
}

/* Per-thread "last seen asleep" record kept by the sampling iterator (the
 * key is the tid); userspace reads it too, for --timeout. */
struct tl_sleep_sample {
	__u64 exec_start;      /* task->se.exec_start when seen asleep: names the sleep */
	__u64 switches;        /* nvcsw then: each new sleep adds one, so unchanged means it
	                        * has not slept again since (woken, it may have run) */
	__u64 preemptions;     /* nivcsw then: unchanged as well means it never ran since */
	struct tl_sleep_since since; /* when that sleep began (sleep_clock.h) */
	/* Where it sleeps, from its saved user registers when the sleep was first
	 * seen: attach reads 10,000 parked threads without a /proc file each. */
	__u64 regs[17];        /* DWARF order, as tl_stack_sample's */
	__s64 syscall_nr;      /* orig_ax: -1 when not in a syscall */
	__u64 args[6];
	__u32 ia32;            /* 1: in 32-bit code */
	__u32 same_sleeps;     /* sleeps seen at this same place before this one, in a row */
	__u64 first_same_ns;   /* bpf_ktime_get_ns() when the first of them was seen */
	char comm[16];         /* its name then */
};

/* --track-wakes (bpf/futex_wakes.bpf.h): wakes sent to one futex address. */
struct tl_futex_key {
	__u32 tgid;
	__u32 pad;
	__u64 uaddr;
};
struct tl_futex_wakes {
	__u64 wakes;           /* FUTEX_WAKE (and the other waking ops) on it so far */
	__u32 last_waker;      /* tid of the latest */
	__u32 pad;
};
/* Where a thread's latest futex wait began. */
struct tl_futex_wait {
	__u64 uaddr;
	__u64 wakes_before;    /* the address's wake count then */
};

/* --per-test probes (bpf/test_marks.bpf.c). The attach cookie says what the
 * probed function is: one of these. */
enum tl_test_probe_kind {
	TL_TEST_PROBE_GTEST = 1, /* testing::TestInfo::Run(): `this` (rdi) starts with the
	                          * test suite's and the test's names (two std::string) */
	TL_TEST_PROBE_NAMED = 2, /* a function that runs one named test (a Boost.Test case's
	                          * invoker: looked up by address, not probed) */
	TL_TEST_PROBE_BOOST = 3, /* boost::unit_test::unit_test_monitor_t::execute_and_translate(
	                          * boost::function<void()> const&, unsigned long): for a test
	                          * case, the function (rsi) holds its invoker's address at +8 */
};

#define TL_TEST_NAME_LEN 96

/* The names are copied in the probe, while the test object surely lives. */
struct tl_test_event {
	struct tl_header h;
	__u64 cookie;          /* the probe's attach cookie */
	__u64 function;        /* TL_TEST_PROBE_BOOST: the function it is asked to run */
	__u32 suite_len;       /* the std::string's length (may exceed what was copied) */
	__u32 name_len;
	__u32 names_read;      /* 1 if both strings were copied */
	__u32 pad;
	char suite[TL_TEST_NAME_LEN];
	char name[TL_TEST_NAME_LEN];
};

/* Counters in the `stats` array map, index = enum tl_stat. */
enum tl_stat {
	TL_STAT_RB_LOST = 0,   /* ring buffer full: record dropped */
	TL_STAT_STACK_READ_FAIL = 1, /* user stack could not be copied */
	TL_STAT_TRACED_FULL = 2,/* traced-process map full: a new process is not followed */
	TL_STAT_FUTEX_WAITS_FULL = 3, /* --track-wakes: a wait's start not kept, map full */
	TL_STAT_COUNT = 4,
};

#endif /* THREADLEAK_EVENTS_H */
