// Which goroutines of a snapshot are leaks, the frame a Go user calls
// "blocked in", and how leak_grouping folds goroutines: fed synthetic
// snapshots (the reader itself is tested on real Go programs).
#include <gtest/gtest.h>

#include "analyze/goroutine_leaks.h"
#include "analyze/leak_grouping.h"

namespace threadleak {
namespace {

const std::string kGoroot = "/usr/lib/go-1.19/src/";
const std::string kExe = "/srv/app";

Frame go_frame(const std::string& function, const std::string& file, int line, uint64_t offset) {
    Frame f;
    f.module = kExe;
    f.offset = offset;
    f.address = 0x400000 + offset;
    f.function = function;
    f.file = file;
    f.line = line;
    return f;
}

Frame runtime_frame(const std::string& function, uint64_t offset) {
    return go_frame(function, kGoroot + "runtime/proc.go", 363, offset);
}

Goroutine goroutine(uint64_t goid, const std::string& start, const std::string& reason, Stack frames) {
    Goroutine g;
    g.goid = goid;
    g.g = 0xc000000000 + goid * 0x1000;
    g.status = reason.empty() ? GoStatus::Runnable : GoStatus::Waiting;
    g.wait_reason = reason;
    g.start_function = std::make_shared<const Frame>(go_frame(start, "/src/app/main.go", 10, 0x100));
    g.created_by = std::make_shared<const Frame>(go_frame("main.main", "/src/app/main.go", 20, 0x200));
    g.frames = std::make_shared<const Stack>(std::move(frames));
    return g;
}

Stack recv_stack(int line) {
    return {runtime_frame("runtime.gopark", 0x10), go_frame("runtime.chanrecv1", kGoroot + "runtime/chan.go", 442, 0x20),
            go_frame("main.worker", "/src/app/main.go", line, 0x300 + static_cast<uint64_t>(line))};
}

GoroutineSnapshot snapshot(std::vector<Goroutine> gs) {
    GoroutineSnapshot s;
    s.pid = 77;
    s.exe = kExe;
    s.goroot_src = kGoroot;
    s.time_ns = 10'000'000'000;
    s.goroutines = std::move(gs);
    return s;
}

TEST(GoroutineLeaksTest, RuntimeGoroutinesMainAndTheExitingOneAreNotLeaks) {
    std::vector<Goroutine> gs = {
        goroutine(1, "runtime.main", "", {}),
        goroutine(2, "runtime.forcegchelper", "force gc (idle)", {}),
        goroutine(3, "runtime.bgsweep", "GC sweep wait", {}),
        goroutine(5, "os/signal.loop", "", {}),
        goroutine(18, "main.worker", "chan receive", recv_stack(30)),
        goroutine(19, "main.exiter", "", {}),
    };
    const uint64_t exiting = gs[5].g;
    std::vector<LeakedThread> leaks = goroutines_alive_at_exit(snapshot(gs), "app", exiting);
    ASSERT_EQ(leaks.size(), 1u);
    EXPECT_EQ(leaks[0].kind, LeakKind::Goroutine);
    EXPECT_EQ(leaks[0].state, ThreadState::Goroutine);
    ASSERT_TRUE(leaks[0].goroutine);
    EXPECT_EQ(leaks[0].goroutine->goids, std::vector<uint64_t>{18});
    EXPECT_EQ(leaks[0].goroutine->wait_reason, "chan receive");
    EXPECT_EQ(leaks[0].thread.pid, 77);
    EXPECT_EQ(leaks[0].thread.name, "app");
    ASSERT_EQ(leaks[0].created_by.size(), 1u);
    EXPECT_EQ(leaks[0].created_by[0].function, "main.main");
}

TEST(GoroutineLeaksTest, BlockedFrameIsTheFirstOutsideTheStandardLibrary) {
    Stack frames = {runtime_frame("runtime.gopark", 0x10),
                    go_frame("sync.runtime_SemacquireMutex", kGoroot + "runtime/sema.go", 77, 0x30),
                    go_frame("sync.(*Mutex).lockSlow", kGoroot + "sync/mutex.go", 171, 0x40),
                    go_frame("main.holdForever", "/src/app/mutex.go", 12, 0x50)};
    auto f = blocked_user_frame(frames, kGoroot);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->function, "main.holdForever");
    EXPECT_EQ(f->line, 12);
}

TEST(GoroutineLeaksTest, TrimpathBuildsTellTheStandardLibraryByItsDotlessPaths) {
    Stack frames = {go_frame("runtime.gopark", "runtime/proc.go", 363, 0x10),
                    go_frame("internal/poll.(*FD).Read", "internal/poll/fd_unix.go", 167, 0x20),
                    go_frame("example.com/app/reader.loop", "example.com/app/reader/loop.go", 9, 0x30)};
    auto f = blocked_user_frame(frames, "");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->function, "example.com/app/reader.loop");
}

TEST(GoroutineLeaksTest, OnlyStandardLibraryFramesGiveTheFirstOutsideTheRuntime) {
    Stack frames = {runtime_frame("runtime.gopark", 0x10), go_frame("time.Sleep", kGoroot + "runtime/time.go", 195, 0x20)};
    auto f = blocked_user_frame(frames, kGoroot);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->function, "time.Sleep");
    EXPECT_FALSE(blocked_user_frame({runtime_frame("runtime.gopark", 0x10)}, kGoroot));
}

TEST(GoroutineLeaksTest, WaitsinceGivesALowerBound) {
    Goroutine g = goroutine(18, "main.worker", "chan receive", recv_stack(30));
    g.waitsince_ns = 7'500'000'000;
    LeakedThread t = goroutine_leak(snapshot({g}), g, "app");
    ASSERT_TRUE(t.goroutine->waiting_ns);
    EXPECT_EQ(*t.goroutine->waiting_ns, 2'500'000'000u);
    EXPECT_FALSE(t.goroutine->waiting_exact);
    g.waitsince_ns = 0;  // before the second GC: unknown
    EXPECT_FALSE(goroutine_leak(snapshot({g}), g, "app").goroutine->waiting_ns);
}

TEST(GoroutineLeaksTest, GroupsBySiteReasonAndBlockedFrameWithAllGoids) {
    std::vector<Goroutine> gs = {goroutine(40, "main.worker", "chan receive", recv_stack(30)),
                                 goroutine(18, "main.worker", "chan receive", recv_stack(30)),
                                 goroutine(19, "main.worker", "chan receive", recv_stack(31)),
                                 goroutine(20, "main.worker", "chan send", recv_stack(30))};
    gs[0].waitsince_ns = 1'000'000'000;
    std::vector<LeakGroup> groups = group_leaks(goroutines_alive_at_exit(snapshot(gs), "app", std::nullopt));
    ASSERT_EQ(groups.size(), 3u);
    EXPECT_EQ(groups[0].goroutine->goids, (std::vector<uint64_t>{18, 40}));
    EXPECT_EQ(groups[0].threads.size(), 2u);
    EXPECT_EQ(groups[0].goroutine->waiting_ns, 9'000'000'000u);  // the group's longest
}

}  // namespace
}  // namespace threadleak
