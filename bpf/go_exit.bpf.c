// SPDX-License-Identifier: GPL-2.0
/* Go programs: a uprobe on runtime.exit, the one function every way out of a
 * Go program ends in (return from main.main, os.Exit, a fatal panic) right
 * before exit_group. It stops the process (SIGSTOP to the whole thread group)
 * and tells userspace, which reads every goroutine from the stopped process's
 * memory (golang/goroutine_reader) and then sends SIGCONT: the program then
 * exits as it would have. One hit per process: it costs nothing while the
 * program runs. Userspace attaches it by file offset (stripped binaries have
 * no .symtab), to each Go executable the traced processes run.
 */
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TL_SIGSTOP 19

SEC("uprobe")
int on_go_exit(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!is_traced(id >> 32))
		return 0;
	struct tl_go_exit_event e = {};
	struct task_struct *task = bpf_get_current_task_btf();

	fill_header(&e.h, TL_EV_GO_EXIT, sizeof(e), task);
	e.g = ctx->r14;
	e.stopped = 1;
	/* Stopped only once userspace is sure to hear of it: a record lost to a
	 * full ring buffer must not leave the program stopped for good. */
	if (bpf_ringbuf_output(&events, &e, sizeof(e), 0)) {
		count(TL_STAT_RB_LOST);
		return 0;
	}
	/* The stop takes effect when the probe returns to user space, before
	 * exit_group: the goroutines are then still all there. */
	bpf_send_signal(TL_SIGSTOP);
	return 0;
}
