// Unit tests for userspace/analyze/leak_grouping.cpp.
#include <gtest/gtest.h>

#include "analyze/leak_grouping.h"

namespace threadleak {
namespace {

Frame frame(const std::string& module, uint64_t offset, uint64_t bias = 0x7f0000000000) {
    Frame f;
    f.module = module;
    f.offset = offset;
    f.address = bias + offset;
    return f;
}

LeakedThread blocked_thread(int pid, int tid, uint64_t park_offset = 0x8ab2c) {
    LeakedThread t;
    t.thread = ThreadIdentity{pid, "/bin/demo", tid, "worker-" + std::to_string(tid), pid};
    t.created_by = {frame("/lib/libc.so.6", 0x11c3c0), frame("/bin/demo", 0x1234)};
    t.state = ThreadState::Blocked;
    BlockedIn b;
    b.syscall = "futex";
    b.args = {{"uaddr", ArgType::Address, 0x1000}, {"val", ArgType::Int, 0}};
    b.blocked_for = BlockedFor{1'000'000'000, true};
    b.frames = {frame("/lib/libc.so.6", park_offset), frame("/bin/demo", 0x2000)};
    t.blocked_in = b;
    return t;
}

LeakedThread running_thread(int pid, int tid) {
    LeakedThread t = blocked_thread(pid, tid);
    t.state = ThreadState::Running;
    t.blocked_in.reset();
    t.running_frames = {frame("/bin/demo", 0x3000)};
    return t;
}

TEST(LeakGroupingTest, FiftyIdenticalThreadsFormOneGroupWithSortedTids) {
    std::vector<LeakedThread> threads;
    for (int i = 49; i >= 0; --i) {
        LeakedThread t = blocked_thread(100, 200 + i);
        // Differences that must not split the group:
        t.thread.creator_tid = 100 + i % 3;
        t.blocked_in->args[0].raw = 0x1000 + uint64_t(i);
        t.blocked_in->blocked_for = BlockedFor{1'000'000'000 + uint64_t(i) * 1000, i != 49};
        for (auto& f : t.blocked_in->frames) f.address += uint64_t(i) << 20;  // other bias
        threads.push_back(t);
    }
    std::vector<LeakGroup> groups = group_leaks(threads);
    ASSERT_EQ(groups.size(), 1u);
    const LeakGroup& g = groups[0];
    const std::vector<int> tids = g.tids();
    ASSERT_EQ(tids.size(), 50u);
    EXPECT_TRUE(std::is_sorted(tids.begin(), tids.end()));
    EXPECT_EQ(tids.front(), 200);
    EXPECT_EQ(tids.back(), 249);
    const std::vector<std::string> names = g.thread_names();
    ASSERT_EQ(names.size(), 50u);
    EXPECT_EQ(names[0], "worker-200");
    EXPECT_EQ(names[49], "worker-249");
    EXPECT_EQ(g.first().name, "worker-200");
    EXPECT_EQ(g.first().creator_tid, 100);  // tid 200's creator (i = 0)
    EXPECT_EQ(g.first().pid, 100);
    EXPECT_EQ(g.first().exe, "/bin/demo");
    ASSERT_TRUE(g.blocked_in);
    ASSERT_TRUE(g.blocked_in->blocked_for);
    EXPECT_EQ(g.blocked_in->blocked_for->ns, 1'000'000'000u + 49 * 1000);  // the longest
    EXPECT_FALSE(g.blocked_in->blocked_for->exact) << "with its own exactness (a lower bound)";
    EXPECT_EQ(g.blocked_in->args[0].raw, 0x1000u);  // tid 200's (i = 0)
    EXPECT_EQ(g.created_by.size(), 2u);
}

TEST(LeakGroupingTest, DifferentBlockingStackSplitsTheGroup) {
    std::vector<LeakedThread> threads = {blocked_thread(100, 201), blocked_thread(100, 202),
                                         blocked_thread(100, 203, 0x9999)};
    std::vector<LeakGroup> groups = group_leaks(threads);
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].tids(), (std::vector<int>{201, 202}));
    EXPECT_EQ(groups[1].tids(), (std::vector<int>{203}));
}

TEST(LeakGroupingTest, DifferentSyscallSplitsTheGroup) {
    LeakedThread other = blocked_thread(100, 202);
    other.blocked_in->syscall = "read";
    std::vector<LeakGroup> groups = group_leaks({blocked_thread(100, 201), other});
    EXPECT_EQ(groups.size(), 2u);
}

TEST(LeakGroupingTest, DifferentCreationStackSplitsTheGroup) {
    LeakedThread other = blocked_thread(100, 202);
    other.created_by[1].offset = 0x5678;
    EXPECT_EQ(group_leaks({blocked_thread(100, 201), other}).size(), 2u);
}

TEST(LeakGroupingTest, DifferentPidsAreSeparateGroupsOrderedByPid) {
    std::vector<LeakGroup> groups = group_leaks(
        {blocked_thread(300, 301), blocked_thread(100, 101), blocked_thread(300, 302)});
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].first().pid, 100);
    EXPECT_EQ(groups[0].tids(), (std::vector<int>{101}));
    EXPECT_EQ(groups[1].first().pid, 300);
    EXPECT_EQ(groups[1].tids(), (std::vector<int>{301, 302}));
}

TEST(LeakGroupingTest, RunningAndBlockedAreSeparate) {
    std::vector<LeakGroup> groups = group_leaks({blocked_thread(100, 101), running_thread(100, 102)});
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].state, ThreadState::Blocked);
    EXPECT_TRUE(groups[0].blocked_in);
    EXPECT_EQ(groups[1].state, ThreadState::Running);
    EXPECT_FALSE(groups[1].blocked_in);
    EXPECT_EQ(groups[1].running_frames.size(), 1u);
}

TEST(LeakGroupingTest, HungAndUnjoinedAreSeparate) {
    LeakedThread hung = blocked_thread(100, 102);
    hung.kind = LeakKind::Hung;
    EXPECT_EQ(group_leaks({blocked_thread(100, 101), hung}).size(), 2u);
}

TEST(LeakGroupingTest, OrderedByPidThenSizeThenLowestTid) {
    std::vector<LeakedThread> threads = {
        blocked_thread(100, 110, 0xa),                                 // group A: 1 thread
        blocked_thread(100, 120, 0xb), blocked_thread(100, 121, 0xb),  // group B: 2 threads
        blocked_thread(100, 105, 0xc),                                 // group C: 1 thread
        blocked_thread(50, 900, 0xd),                                  // lower pid first
    };
    std::vector<LeakGroup> groups = group_leaks(threads);
    ASSERT_EQ(groups.size(), 4u);
    EXPECT_EQ(groups[0].first().pid, 50);
    EXPECT_EQ(groups[1].tids(), (std::vector<int>{120, 121}));
    EXPECT_EQ(groups[2].tids(), (std::vector<int>{105}));
    EXPECT_EQ(groups[3].tids(), (std::vector<int>{110}));
}

TEST(LeakGroupingTest, UnmeasuredBlockedForTakesAMeasuredOne) {
    LeakedThread a = blocked_thread(100, 101);
    a.blocked_in->blocked_for.reset();
    LeakedThread b = blocked_thread(100, 102);
    b.blocked_in->blocked_for = BlockedFor{42, true};
    std::vector<LeakGroup> groups = group_leaks({a, b});
    ASSERT_EQ(groups.size(), 1u);
    ASSERT_TRUE(groups[0].blocked_in->blocked_for);
    EXPECT_EQ(groups[0].blocked_in->blocked_for->ns, 42u);
}

TEST(LeakGroupingTest, DifferentlyNamedThreadsWithAlikeStacksAreNotMerged) {
    LeakedThread a = blocked_thread(1, 10), b = blocked_thread(1, 11), c = blocked_thread(1, 12);
    a.thread.name = "Finalizer";
    b.thread.name = "app-waiter";
    c.thread.name = "app-waiter";
    auto groups = group_leaks({a, b, c});
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].first().name, "app-waiter");
    EXPECT_EQ(groups[0].tids(), (std::vector<int>{11, 12}));
    EXPECT_EQ(groups[1].first().name, "Finalizer");
}

TEST(LeakGroupingTest, NoThreadsNoGroups) { EXPECT_TRUE(group_leaks({}).empty()); }

}  // namespace
}  // namespace threadleak
