// The weighted stacks the flame-graph formats draw (formats/flame_stacks.h):
// root first, creation then [thread start] then blocking, a leaf naming the
// syscall or state; leaks and leaked processes' threads only; --weight time
// as each group's count x its blocked_for.
#include <gtest/gtest.h>

#include "flame_test_support.h"
#include "formats/flame_stacks.h"

namespace threadleak {
namespace {

using namespace flame_test;

std::vector<std::string> texts(const WeightedStack& s) {
    std::vector<std::string> out;
    for (const FlameFrame& f : s.frames) out.push_back(f.text);
    return out;
}

using Texts = std::vector<std::string>;

TEST(FlameStacks, BothStacksRootFirstWithSeparatorAndSyscallLeaf) {
    Report r;
    r.leaks = {pool_group(3)};
    const FlameStacks flame = flame_stacks(r, {});
    ASSERT_EQ(flame.stacks.size(), 1u);
    EXPECT_EQ(texts(flame.stacks[0]),
              (Texts{"main", "start_pool()", "pthread_create", "__clone3", "[thread start]", "__clone3",
                     "start_thread", "Pool::run()", "__futex_abstimed_wait_common", "[syscall futex]"}));
    EXPECT_EQ(flame.stacks[0].threads, 3u);
    EXPECT_EQ(flame.threads, 3u);
    const auto& f = flame.stacks[0].frames;
    EXPECT_EQ(f[0].role, FrameRole::Creation);
    EXPECT_EQ(f[4].role, FrameRole::Separator);
    EXPECT_EQ(f[5].role, FrameRole::Blocking);
    EXPECT_EQ(f[9].role, FrameRole::Leaf);
    EXPECT_EQ(f[1].location, "/src/app.cpp:20 (app+0x1200)");
    EXPECT_EQ(f[2].location, "libc.so.6+0x8a0f0");
    EXPECT_EQ(f[9].location, "");
}

TEST(FlameStacks, CreationOrBlockingAlone) {
    Report r;
    r.leaks = {pool_group(2)};
    EXPECT_EQ(texts(flame_stacks(r, {FlameStack::Creation, FlameWeight::Count}).stacks.at(0)),
              (Texts{"main", "start_pool()", "pthread_create", "__clone3"}));
    EXPECT_EQ(texts(flame_stacks(r, {FlameStack::Blocking, FlameWeight::Count}).stacks.at(0)),
              (Texts{"__clone3", "start_thread", "Pool::run()", "__futex_abstimed_wait_common", "[syscall futex]"}));
}

TEST(FlameStacks, FramesWithoutSymbolAreModulePlusOffset) {
    EXPECT_EQ(flame_frame_text(frame(std::nullopt, "/usr/lib/libfoo.so.1", 0x2f00)), "libfoo.so.1+0x2f00");
    EXPECT_EQ(flame_frame_text(frame(std::string(), "[unknown]", 0x7f00dead1234)), "[unknown]+0x7f00dead1234");
    EXPECT_EQ(flame_frame_text(frame("ns::f(int)", kApp, 1)), "ns::f(int)");
}

TEST(FlameStacks, RunningStartingAndUnknownCreationHaveTheirMarkers) {
    LeakGroup running = pool_group(1);
    running.state = ThreadState::Running;
    running.blocked_in.reset();
    running.running_frames = {frame("spin()", kApp, 0x10)};
    LeakGroup starting = pool_group(1);
    starting.state = ThreadState::Starting;
    starting.blocked_in.reset();
    LeakGroup before_tracing = blocked_group(1, {}, "read", {frame("read", kLibc, 1)});
    before_tracing.threads[0].creator_tid.reset();
    LeakGroup main_thread = blocked_group(1, {}, "nanosleep", {frame("main", kApp, 2)});
    main_thread.threads[0] = {100, kApp, 100, "app", std::nullopt};
    Report r;
    r.leaks = {running, starting, before_tracing, main_thread};
    const FlameStacks flame = flame_stacks(r, {});
    ASSERT_EQ(flame.stacks.size(), 4u);
    EXPECT_EQ(texts(flame.stacks[0]).back(), "[running]");
    EXPECT_EQ(texts(flame.stacks[0])[5], "spin()");
    EXPECT_EQ(texts(flame.stacks[1]).back(), "[starting]");
    EXPECT_EQ(texts(flame.stacks[1]).back(), texts(flame.stacks[1])[5]);  // no blocking frames
    EXPECT_EQ(texts(flame.stacks[2]), (Texts{"[created before tracing]", "[thread start]", "read", "[syscall read]"}));
    EXPECT_EQ(texts(flame.stacks[3]), (Texts{"[process start]", "main", "[syscall nanosleep]"}));
}

TEST(FlameStacks, LeakedProcessThreadsCountAndAliveAtCrashDoesNot) {
    Report r;
    LeakGroup crashed = pool_group(5);
    crashed.kind = LeakKind::AliveAtCrash;
    r.alive_at_crash = {crashed};
    LeakedProcess p;
    p.pid = 300;
    p.created_by = {frame("_Fork", kLibc, 0xea6b0), frame("spawn_helper()", kApp, 0x40)};
    LeakGroup main_thread = blocked_group(1, {}, "read", {frame("read", kLibc, 1), frame("main", kApp, 2)});
    main_thread.kind = LeakKind::LeftRunning;
    main_thread.threads = {{300, "/bin/helper", 300, "helper", std::nullopt}};
    LeakGroup worker = pool_group(2);
    worker.kind = LeakKind::LeftRunning;
    p.threads = {main_thread, worker};
    r.leaked_processes = {p};
    const FlameStacks flame = flame_stacks(r, {});
    EXPECT_EQ(flame.threads, 3u);  // not the 5 alive at the crash
    ASSERT_EQ(flame.stacks.size(), 2u);
    EXPECT_EQ(texts(flame.stacks[0]),
              (Texts{"spawn_helper()", "_Fork", "[process start]", "main", "read", "[syscall read]"}));
    EXPECT_EQ(texts(flame_stacks(r, {FlameStack::Creation, FlameWeight::Count}).stacks[0]),
              (Texts{"spawn_helper()", "_Fork", "[process start]"}));
}

TEST(FlameStacks, TimeIsEachGroupsCountTimesItsBlockedForAndUnmeasuredCountZero) {
    Report r;
    r.leaks = {pool_group(3, BlockedFor{2'000'000'000, true}), pool_group(2), pool_group(1, BlockedFor{500, false})};
    r.leaks[1].created_by[2].function = "other_pool()";
    const FlameStacks flame = flame_stacks(r, {FlameStack::Both, FlameWeight::Time});
    // The first and third read the same: merged.
    ASSERT_EQ(flame.stacks.size(), 2u);
    EXPECT_EQ(flame.stacks[0].threads, 4u);
    EXPECT_EQ(flame.stacks[0].blocked_ns, 6'000'000'500u);
    EXPECT_EQ(flame.stacks[1].unmeasured, 2u);
    EXPECT_EQ(flame.unmeasured, 2u);
    EXPECT_EQ(flame.blocked_ns, 6'000'000'500u);
    EXPECT_EQ(flame.weight(flame.stacks[0], 1'000'000), 6000u);
    EXPECT_EQ(flame.weight(flame.stacks[1], 1'000'000), 0u);
    const FlameStacks counted = flame_stacks(r, {});
    EXPECT_EQ(counted.weight(counted.stacks[0], 1'000'000), 4u);
}

TEST(FlameStacks, MergedFramesAtDifferentPlacesSaySo) {
    Report r;
    r.leaks = {pool_group(1), pool_group(1)};
    r.leaks[1].created_by[2].line = 21;
    const FlameStacks flame = flame_stacks(r, {});
    ASSERT_EQ(flame.stacks.size(), 1u);
    EXPECT_EQ(flame.stacks[0].frames[1].location, "several locations");
    EXPECT_EQ(flame.stacks[0].frames[0].location, "/src/app.cpp:5 (app+0x1100)");
}

TEST(FlameStacks, SubjectIsTheCommandOrThePids) {
    SessionInfo s;
    s.command = {"./a", "-x"};
    EXPECT_EQ(flame_subject(s), "./a -x");
    s.mode = Mode::Attach;
    s.pids = {12, 34};
    EXPECT_EQ(flame_subject(s), "pids 12 34");
}

}  // namespace
}  // namespace threadleak
