// SPDX-License-Identifier: GPL-2.0
/* --per-test: where each test of a test binary begins and ends, from a uprobe
 * and a uretprobe on the function the framework calls once per test
 * (GoogleTest's TestInfo::Run, Boost.Test's unit_test_monitor_t::execute_and_translate). A few hits per
 * test, never on a hot path (a uprobe hit costs ~19 us). Userspace attaches
 * them to the files that define those functions (capture/test_probe_sites),
 * with a cookie saying which kind each is.
 */
#include "shared.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* libstdc++'s std::string: a pointer to the characters, then the length. */
struct cxx_string {
	__u64 ptr;
	__u64 len;
};

static __always_inline bool copy_cxx_string(__u64 addr, char *out, __u32 *len)
{
	struct cxx_string s;

	if (bpf_probe_read_user(&s, sizeof(s), (void *)addr))
		return false;
	*len = s.len > 0xffffffffULL ? 0xffffffffU : (__u32)s.len;
	__u64 n = s.len < TL_TEST_NAME_LEN - 1 ? s.len : TL_TEST_NAME_LEN - 1;
	return bpf_probe_read_user_str(out, n + 1, (void *)s.ptr) >= 0;
}

static __always_inline int test_mark(struct pt_regs *ctx, __u32 kind)
{
	__u64 id = bpf_get_current_pid_tgid();

	if (!is_traced(id >> 32))
		return 0;
	/* Small enough for the BPF stack: no scratch slot needed. */
	struct tl_test_event e = {};
	struct task_struct *task = bpf_get_current_task_btf();

	fill_header(&e.h, kind, sizeof(e), task);
	e.cookie = bpf_get_attach_cookie(ctx);
	if (kind == TL_EV_TEST_BEGIN && e.cookie == TL_TEST_PROBE_GTEST) {
		__u64 self = ctx->di; /* x86_64: the first argument, `this` */

		e.names_read = copy_cxx_string(self, e.suite, &e.suite_len) &&
			       copy_cxx_string(self + 32, e.name, &e.name_len);
	}
	if (kind == TL_EV_TEST_BEGIN && e.cookie == TL_TEST_PROBE_BOOST) {
		/* boost::function<void()>: a vtable pointer, then its functor buffer,
		 * whose first word is the function pointer it was made from. */
		__u64 fn = 0;

		if (!bpf_probe_read_user(&fn, sizeof(fn), (void *)(ctx->si + 8)))
			e.function = fn;
	}
	submit(&e, sizeof(e));
	return 0;
}

SEC("uprobe")
int on_test_begin(struct pt_regs *ctx)
{
	return test_mark(ctx, TL_EV_TEST_BEGIN);
}

SEC("uretprobe")
int on_test_end(struct pt_regs *ctx)
{
	return test_mark(ctx, TL_EV_TEST_END);
}
