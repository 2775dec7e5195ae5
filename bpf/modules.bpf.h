/* Sends a traced address space's executable file mappings (TL_EV_MODULES)
 * before the first stack that could point into them, and again when they
 * change, so userspace can unwind and symbolize after the process is gone
 * (/proc/PID/maps is empty by the time an exit record is read, measured 90-850 us
 * after the exit).
 *
 * Listing the mappings from BPF needs the open-coded VMA iterator (kfuncs
 * bpf_iter_task_vma_*, Linux >= 6.7). Where the kernel lacks it, the programs
 * built with `vma_iter` false instead ask userspace to read /proc/PID/maps at
 * the same moments (TL_EV_READ_MAPS); userspace probes the kernel's BTF and
 * loads one set or the other (capture/kernel_features). */
#ifndef THREADLEAK_MODULES_BPF_H
#define THREADLEAK_MODULES_BPF_H

#include "shared.bpf.h"

#define VM_EXEC 0x00000004
#define MAX_PATH_DEPTH 16

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
		c->vfs = (void *)up + bpf_core_field_offset(struct mount, mnt);
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
	/* CO-RE: struct mount is private to fs/ and its layout differs by kernel */
	c.mnt = (void *)c.vfs - bpf_core_field_offset(struct mount, mnt);
	bpf_loop(MAX_PATH_DEPTH * 2, path_step_cb, &c, 0);
	m->path_len = c.pos;
}

/* __weak: a kernel without them still loads the object (libbpf leaves a
 * missing weak kfunc unresolved); only the programs that call them must then
 * stay unloaded. */
extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task,
				 __u64 addr) __ksym __weak;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __ksym __weak;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __ksym __weak;

/* True if `task`'s executable mappings were not sent since they last changed;
 * fills the key and the mm->exec_vm to remember once they are. */
static __always_inline bool modules_unsent(struct task_struct *task, struct mm_key *key,
					   __u64 *exec_vm)
{
	struct mm_struct *mm = task->mm;

	if (!mm)
		return false;
	key->mm = (__u64)mm;
	key->tgid = task->tgid;
	*exec_vm = mm->exec_vm;
	__u64 *old = bpf_map_lookup_elem(&sent_modules, key);
	return !old || *old != *exec_vm;
}

/* Sends every executable file mapping of `task`'s address space with the VMA
 * iterator, unless they were sent already and have not changed since. */
static __always_inline void send_modules_from_vma_iter(struct task_struct *task,
							struct tl_modules_event *e)
{
	struct bpf_iter_task_vma it;
	struct vm_area_struct *vma;
	struct mm_key key = {};
	__u64 exec_vm;
	__u32 sent = 0;

	if (!modules_unsent(task, &key, &exec_vm))
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

/* Without the VMA iterator: asks userspace to read /proc/PID/maps now, at the
 * moments the iterator would have listed them. The record wakes the reader at
 * once (the others wait for its 5 ms timer): the process must still be alive
 * when userspace reads. Once per address space and per dlopen/dlclose, so the
 * wake-up's cost (~40 us) is paid rarely. */
static __always_inline void request_proc_maps(struct task_struct *task)
{
	struct tl_read_maps_event e = {};
	struct mm_key key = {};
	__u64 exec_vm;

	if (!modules_unsent(task, &key, &exec_vm))
		return;
	fill_header(&e.h, TL_EV_READ_MAPS, sizeof(e), task);
	if (bpf_ringbuf_output(&events, &e, sizeof(e), BPF_RB_FORCE_WAKEUP)) {
		count(TL_STAT_RB_LOST);
		return;
	}
	bpf_map_update_elem(&sent_modules, &key, &exec_vm, BPF_ANY);
}

/* Makes sure userspace knows `task`'s executable mappings before a stack of
 * it is sent. `vma_iter` is a constant in each program: the variant without
 * the iterator holds no call to its kfuncs. */
static __always_inline void send_modules(struct task_struct *task, struct tl_modules_event *e,
					 bool vma_iter)
{
	if (vma_iter)
		send_modules_from_vma_iter(task, e);
	else
		request_proc_maps(task);
}

static __always_inline void forget_modules(struct task_struct *task)
{
	struct mm_key key = {.mm = (__u64)task->mm, .tgid = task->tgid};
	bpf_map_delete_elem(&sent_modules, &key);
}

#endif /* THREADLEAK_MODULES_BPF_H */
