// SPDX-License-Identifier: GPL-2.0
/* The sleep sampler: an iter/task program userspace runs every
 * --sample-interval, remembering when each traced thread that is asleep went
 * to sleep (sleep_sample.bpf.h). Nothing here runs on a kernel event. */
#include "sleep_sample.bpf.h"

/* se.exec_start is the scheduler clock of the task's last accounting, i.e.
 * when it stopped running. */
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
