// Decoding of the kernel's ring-buffer records, from hand-built bytes.
#include "capture/trace_events.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

extern "C" {
#include "events.h"
}

using namespace threadleak;

namespace {

std::span<const uint8_t> bytes(const void* p, size_t n) { return {static_cast<const uint8_t*>(p), n}; }

void set_path(tl_module& m, std::initializer_list<const char*> leaf_first) {
    size_t pos = 0;
    for (const char* part : leaf_first) {
        strcpy(m.path + pos, part);
        pos += strlen(part) + 1;
    }
    m.path_len = pos;
}

}  // namespace

TEST(TraceEvents, ThreadExitWithStackDecodesRegistersAndSyscall) {
    auto e = std::make_unique<tl_thread_exit_event>();
    memset(e.get(), 0, sizeof(*e));
    e->h.kind = TL_EV_THREAD_EXIT;
    e->h.pid = 10;
    e->h.tid = 11;
    strcpy(e->h.comm, "worker");
    e->how = TL_EXIT_KILLED;
    e->has_stack = 1;
    e->blocked_known = 1;
    e->blocked_exact = 0;
    e->blocked_for_ns = 5000;
    e->s.regs[16] = 0xabc;
    e->s.regs[7] = 0x7000;
    e->s.syscall_nr = 202;
    e->s.args[1] = 128;
    e->s.stack_len = 16;
    e->s.stack[0] = 0x42;
    size_t size = offsetof(tl_thread_exit_event, s.stack) + 16;

    std::string error;
    auto ev = decode_event(bytes(e.get(), size), &error);
    ASSERT_TRUE(ev.has_value()) << error;
    auto* x = std::get_if<ThreadExitEvent>(&*ev);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->pid, 10);
    EXPECT_EQ(x->tid, 11);
    EXPECT_EQ(x->comm, "worker");
    EXPECT_EQ(x->how, ExitHow::Killed);
    ASSERT_TRUE(x->blocked_for.has_value());
    EXPECT_EQ(x->blocked_for->ns, 5000u);
    EXPECT_FALSE(x->blocked_for->exact) << "a lower bound stays one";
    ASSERT_TRUE(x->stack.has_value());
    EXPECT_EQ(x->stack->snapshot.regs[16], 0xabcu);
    EXPECT_EQ(x->stack->snapshot.stack.size(), 16u);
    EXPECT_EQ(x->stack->snapshot.stack[0], 0x42);
    EXPECT_EQ(x->stack->syscall.nr, 202);
    EXPECT_EQ(x->stack->syscall.args[1], 128u);
}

TEST(TraceEvents, ModulesRecordRebuildsPathsFromLeafFirstComponents) {
    auto e = std::make_unique<tl_modules_event>();
    memset(e.get(), 0, sizeof(*e));
    e->h.kind = TL_EV_MODULES;
    e->h.pid = 10;
    e->n = 2;
    e->modules[0] = tl_module{0x1000, 0x2000, 0x1000, 77, 0xfe00000, 0, {}};
    set_path(e->modules[0], {"libc.so.6", "x86_64-linux-gnu", "lib", "usr"});
    e->modules[1] = tl_module{0x5000, 0x6000, 0, 78, 0xfe00000, 0, {}};
    set_path(e->modules[1], {"app"});
    size_t size = offsetof(tl_modules_event, modules) + 2 * sizeof(tl_module);

    std::string error;
    auto ev = decode_event(bytes(e.get(), size), &error);
    ASSERT_TRUE(ev.has_value()) << error;
    auto& m = std::get<ModulesEvent>(*ev);
    EXPECT_EQ(m.pid, 10);
    ASSERT_EQ(m.mappings.size(), 2u);
    EXPECT_EQ(m.mappings[0].path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    EXPECT_EQ(m.mappings[0].pgoff, 0x1000u);
    EXPECT_EQ(m.mappings[0].ino, 77u);
    EXPECT_EQ(m.mappings[1].path, "/app");

    e->n = 3;  // claims more than the record holds
    EXPECT_FALSE(decode_event(bytes(e.get(), size), &error).has_value());
    EXPECT_EQ(error, "module count exceeds record");
}

TEST(TraceEvents, ReadMapsRecordNamesTheProcess) {
    tl_read_maps_event e{};
    e.h.kind = TL_EV_READ_MAPS;
    e.h.pid = 321;
    e.h.time_ns = 9;
    std::string error;
    auto ev = decode_event(bytes(&e, sizeof(e)), &error);
    ASSERT_TRUE(ev.has_value()) << error;
    auto& r = std::get<ReadMapsEvent>(*ev);
    EXPECT_EQ(r.pid, 321);
    EXPECT_EQ(r.time_ns, 9u);
}

TEST(TraceEvents, SelfExitHasNoStack) {
    tl_thread_exit_event e{};
    e.h.kind = TL_EV_THREAD_EXIT;
    e.how = TL_EXIT_SELF;
    auto ev = decode_event(bytes(&e, offsetof(tl_thread_exit_event, s)), nullptr);
    ASSERT_TRUE(ev.has_value());
    auto& x = std::get<ThreadExitEvent>(*ev);
    EXPECT_EQ(x.how, ExitHow::Self);
    EXPECT_FALSE(x.stack.has_value());
    EXPECT_FALSE(x.blocked_for.has_value());
}

TEST(TraceEvents, StackLengthBeyondTheRecordIsRejected) {
    auto e = std::make_unique<tl_thread_create_event>();
    memset(e.get(), 0, sizeof(*e));
    e->h.kind = TL_EV_THREAD_CREATE;
    e->s.stack_len = 4096;
    std::string error;
    auto ev = decode_event(bytes(e.get(), offsetof(tl_thread_create_event, s.stack) + 100), &error);
    EXPECT_FALSE(ev.has_value());
    EXPECT_EQ(error, "stack length exceeds record");
}

TEST(TraceEvents, UnknownKindAndShortRecordsAreRejected) {
    tl_header h{};
    h.kind = 99;
    std::string error;
    EXPECT_FALSE(decode_event(bytes(&h, sizeof(h)), &error).has_value());
    EXPECT_EQ(error, "unknown record kind 99");
    EXPECT_FALSE(decode_event(bytes(&h, 4), &error).has_value());
    EXPECT_EQ(error, "record shorter than its header");
}

TEST(TraceEvents, ProcessForkCarriesTheCreatorsStackAndExitItsStatus) {
    auto f = std::make_unique<tl_process_fork_event>();
    memset(f.get(), 0, sizeof(*f));
    f->h.kind = TL_EV_PROCESS_FORK;
    f->h.pid = 20;
    f->h.tid = 11;
    f->parent_pid = 10;
    f->s.regs[16] = 0xf0f0;
    f->s.syscall_nr = 56;
    f->s.stack_len = 8;
    f->s.stack[7] = 0x99;
    const size_t size = offsetof(tl_process_fork_event, s.stack) + 8;
    std::string error;
    auto ev = decode_event(bytes(f.get(), size), &error);
    ASSERT_TRUE(ev.has_value()) << error;
    const auto& fork = std::get<ProcessForkEvent>(*ev);
    EXPECT_EQ(fork.parent_pid, 10);
    EXPECT_EQ(fork.pid, 20);
    EXPECT_EQ(fork.creator_tid, 11);
    EXPECT_EQ(fork.creator_stack.snapshot.regs[16], 0xf0f0u);
    EXPECT_EQ(fork.creator_stack.syscall.nr, 56);
    ASSERT_EQ(fork.creator_stack.snapshot.stack.size(), 8u);
    EXPECT_EQ(fork.creator_stack.snapshot.stack[7], 0x99);
    // A stack length beyond the record is malformed, not read past the end.
    f->s.stack_len = 64;
    EXPECT_FALSE(decode_event(bytes(f.get(), size), &error).has_value());
    EXPECT_EQ(error, "stack length exceeds record");

    tl_process_exit_event x{};
    x.h.kind = TL_EV_PROCESS_EXIT;
    x.h.pid = 20;
    x.exit_code = 3 << 8;
    auto exit_ev = decode_event(bytes(&x, sizeof(x)), nullptr);
    ASSERT_TRUE(exit_ev.has_value());
    EXPECT_EQ(std::get<ProcessExitEvent>(*exit_ev).wait_status, 3 << 8);
}

namespace {

TestEvent decode_test_event(const char* suite, uint32_t suite_len, const char* name, uint32_t name_len) {
    tl_test_event e{};
    e.h.kind = TL_EV_TEST_BEGIN;
    e.h.pid = 50;
    e.h.tid = 51;
    e.cookie = TL_TEST_PROBE_GTEST;
    e.names_read = 1;
    strncpy(e.suite, suite, sizeof(e.suite) - 1);
    strncpy(e.name, name, sizeof(e.name) - 1);
    e.suite_len = suite_len;
    e.name_len = name_len;
    auto ev = decode_event(bytes(&e, sizeof(e)), nullptr);
    EXPECT_TRUE(ev.has_value());
    return ev ? std::get<TestEvent>(*ev) : TestEvent{};
}

}  // namespace

TEST(TraceEvents, TestBeginCarriesTheGoogleTestNameAndTheProbeIndex) {
    TestEvent t = decode_test_event("Cache", 5, "LeaksEvictor", 12);
    EXPECT_TRUE(t.begin);
    EXPECT_EQ(t.pid, 50);
    EXPECT_EQ(t.tid, 51);
    EXPECT_EQ(t.probe_kind, uint32_t{TL_TEST_PROBE_GTEST});
    EXPECT_EQ(t.name, "Cache.LeaksEvictor");
    EXPECT_EQ(decode_test_event("Prefix/Suite", 12, "Name/0", 6).name, "Prefix/Suite.Name/0");
}

TEST(TraceEvents, TestNameThatIsNotPlausiblyANameIsDropped) {
    // What a different std::string layout (or a stale object) would give.
    EXPECT_EQ(decode_test_event("Ca\x01he", 5, "X", 1).name, std::nullopt);
    EXPECT_EQ(decode_test_event("Cache", 900, "X", 1).name, std::nullopt) << "length beyond what was copied";
    EXPECT_EQ(decode_test_event("", 0, "X", 1).name, std::nullopt);
    EXPECT_EQ(decode_test_event("with space", 10, "X", 1).name, std::nullopt);
}

TEST(TraceEvents, LongTestNameIsCutAndSaysSo) {
    std::string longname(200, 'a');
    TestEvent t = decode_test_event("S", 1, longname.c_str(), 200);
    ASSERT_TRUE(t.name.has_value());
    EXPECT_EQ(*t.name, "S." + std::string(TL_TEST_NAME_LEN - 1, 'a') + "...");
}
