/* The kernel types threadleak's BPF programs read, and only the fields they
 * read: a minimal vmlinux.h, checked in so the build needs no kernel BTF (a
 * full dump from `bpftool btf dump file /sys/kernel/btf/vmlinux format c` is
 * several MB and names the build host's kernel).
 *
 * Every struct is preserve_access_index: each field access becomes a CO-RE
 * relocation that libbpf resolves against the running kernel's BTF at load
 * time, so neither the field offsets nor the structs' sizes here need to match
 * any kernel. Fields that moved into anonymous structs or unions in later
 * kernels (vm_area_struct's vm_start and vm_flags, mm_struct's exec_vm) are
 * still found by name. Offsets of embedded structs must be taken with
 * bpf_core_field_offset(), never offsetof(). Checked on Linux 6.1 and 6.18
 * layouts (a new field is added here, with the kernel version it needs).
 *
 * The constants below are the stable uapi values of include/uapi/linux/bpf.h.
 */
#ifndef THREADLEAK_VMLINUX_H
#define THREADLEAK_VMLINUX_H

typedef signed char __s8;
typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef int pid_t;
typedef unsigned short umode_t;
typedef __u32 dev_t;

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum { BPF_ANY = 0, BPF_NOEXIST = 1 };           /* bpf_map_update_elem flags */
enum { BPF_RB_NO_WAKEUP = 1, BPF_RB_FORCE_WAKEUP = 2 }; /* bpf_ringbuf_output flags */

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
};

struct vfsmount {
	struct dentry *mnt_root;
};

/* fs/mount.h: the struct a vfsmount is embedded in (`mnt`). */
struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct super_block {
	dev_t s_dev;
};

struct inode {
	umode_t i_mode;
	struct super_block *i_sb;
	unsigned long i_ino;
};

struct file {
	struct path f_path;
	struct inode *f_inode;
	void *private_data;
};

/* fs/eventpoll.c: an epoll file's private_data; its watched fds are the
 * nodes of rbr. */
struct rb_node {
	unsigned long __rb_parent_color;
};

struct rb_root {
	struct rb_node *rb_node;
};

struct rb_root_cached {
	struct rb_root rb_root;
	struct rb_node *rb_leftmost;
};

struct eventpoll {
	struct rb_root_cached rbr;
};

/* fs/timerfd.c: a timerfd's private_data (tintv: its interval, a ktime_t;
 * t.tmr.state & 1: its hrtimer is queued, i.e. armed). */
struct hrtimer {
	__u8 state;
};

struct timerfd_ctx {
	union {
		struct hrtimer tmr;
	} t;
	__s64 tintv;
};

/* A socket file's private_data, and the ends of its connection. The
 * kernel's sock_common keeps the IPv4 pair and the ports in anonymous
 * unions: CO-RE finds fields through anonymous members by name. */
struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
};

struct sock_common {
	__u32 skc_daddr;       /* __be32 */
	__u32 skc_rcv_saddr;   /* __be32 */
	__u16 skc_dport;       /* __be16 */
	__u16 skc_num;         /* host order */
	unsigned short skc_family;
	unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
};

struct sock {
	struct sock_common __sk_common;
};

struct socket {
	short type;
	struct sock *sk;
};

/* fs/pipe.c: a pipe file's private_data. */
struct pipe_inode_info {
	unsigned int readers;
	unsigned int writers;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

struct files_struct {
	struct fdtable *fdt;
};

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	unsigned long vm_pgoff;
	struct file *vm_file;
};

struct mm_struct {
	unsigned long exec_vm;
};

struct rq;

/* CFS runqueue: `rq` exists with CONFIG_FAIR_GROUP_SCHED (checked with
 * bpf_core_field_exists), else it is embedded in struct rq as `cfs`. */
struct cfs_rq {
	struct rq *rq;
};

/* A CPU's runqueue: its clocks (clock - clock_task = that CPU's steal and
 * irq time) and its CPU number. */
struct rq {
	u64 clock;
	u64 clock_task;
	int cpu;
	struct cfs_rq cfs;
};

struct sched_entity {
	u64 exec_start;
	struct cfs_rq *cfs_rq; /* CONFIG_FAIR_GROUP_SCHED; NULL-checked */
};

struct task_struct;

struct signal_struct {
	unsigned int flags;
	int group_exit_code;
	struct task_struct *group_exec_task; /* Linux >= 5.17 */
};

struct thread_info {
	u32 cpu; /* x86, Linux >= 5.16 (CONFIG_THREAD_INFO_IN_TASK) */
};

struct task_struct {
	struct thread_info thread_info;
	unsigned int __state; /* Linux >= 5.14 */
	int on_cpu;
	unsigned int flags;
	struct sched_entity se;
	struct mm_struct *mm;
	int exit_code;
	pid_t pid;
	pid_t tgid;
	unsigned long nvcsw;
	unsigned long nivcsw;
	char comm[16];
	struct files_struct *files;
	struct signal_struct *signal;
};

struct kernel_siginfo; /* signal_deliver's arguments, not read */
struct k_sigaction;

struct linux_binprm {
	struct file *file;
};

/* Context of an iter/task program (kernel/bpf/task_iter.c). */
struct bpf_iter_meta;
struct bpf_iter__task {
	union {
		struct bpf_iter_meta *meta;
	};
	union {
		struct task_struct *task;
	};
};

#pragma clang attribute pop

/* State of the open-coded VMA iterator (Linux >= 6.7), opaque to programs. */
struct bpf_iter_task_vma {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

#endif /* THREADLEAK_VMLINUX_H */
