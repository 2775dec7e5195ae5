// --per-test in the tracker: which test a new thread belongs to, which tests
// have ended with threads still alive, and what a thread that outlived its
// test becomes. Synthetic events, no root.
#include "track/thread_tracker.h"

#include <gtest/gtest.h>

#include "../support/tracker_events.h"

using namespace threadleak;

namespace {

using test::fake_image;
using test::stack_at;

TestEvent test_begin(uint64_t t, int pid, int tid, std::optional<std::string> name) {
    return TestEvent{t, pid, tid, true, 0, 0, true, std::move(name)};
}
TestEvent test_end(uint64_t t, int pid, int tid) { return TestEvent{t, pid, tid, false, 0, 0, true, std::nullopt}; }

ThreadCreateEvent created(uint64_t t, int pid, int tid, int creator) {
    return ThreadCreateEvent{t, pid, tid, creator, "app", stack_at(0x1234, 435)};
}

ThreadExitEvent exited(uint64_t t, int pid, int tid, ExitHow how) {
    ThreadExitEvent e{t, pid, tid, "worker", how, std::nullopt, std::nullopt};
    if (how == ExitHow::Killed) e.stack = stack_at(0x4000, 202);
    return e;
}

class PerTestTracker : public ::testing::Test {
protected:
    PerTestTracker() { t.add_root_process(100, 1, "/bin/unit_tests"); }
    ThreadTracker t{fake_image};
};

}  // namespace

TEST_F(PerTestTracker, EndedTestListsOnlyItsThreadsStillAlive) {
    t.on_event(test_begin(10, 100, 100, "Cache.Evicts"));
    t.on_event(created(11, 100, 101, 100));
    t.on_event(created(12, 100, 102, 100));
    t.on_event(exited(13, 100, 102, ExitHow::Self));
    t.on_event(test_end(20, 100, 100));
    t.on_event(created(21, 100, 103, 100));  // after the test: nobody's

    EXPECT_TRUE(t.take_ended_tests(19).empty()) << "not ended by then";
    std::vector<EndedTest> ended = t.take_ended_tests(25);
    ASSERT_EQ(ended.size(), 1u);
    EXPECT_EQ(ended[0].name, "Cache.Evicts");
    EXPECT_EQ(ended[0].ordinal, 1);
    EXPECT_EQ(ended[0].end_ns, 20u);
    EXPECT_EQ(ended[0].tids, std::vector<int>{101});
    EXPECT_TRUE(t.take_ended_tests(1000).empty()) << "each test is returned once";
}

TEST_F(PerTestTracker, ThreadThatOutlivedItsTestAndEndedLaterIsThatTestsLeak) {
    t.on_event(test_begin(10, 100, 100, "Cache.Evicts"));
    t.on_event(created(11, 100, 101, 100));
    t.on_event(test_end(20, 100, 100));
    t.mark_outlived(100, 101, "evictor", stack_at(0x5000, 202), BlockedFor{7, true});
    t.on_event(exited(30, 100, 101, ExitHow::Self));  // joined at exit
    t.on_event(exited(31, 100, 100, ExitHow::GroupLeader));

    ASSERT_EQ(t.leaks().size(), 1u);
    const PendingLeak& l = t.leaks()[0];
    EXPECT_EQ(l.kind, LeakKind::OutlivedTest);
    EXPECT_EQ(l.test, "Cache.Evicts");
    EXPECT_EQ(l.thread.tid, 101);
    EXPECT_EQ(l.thread.name, "evictor");
    EXPECT_EQ(l.at_exit.stack.snapshot.regs[16], 0x5000u) << "the stack read when the test ended";
    ASSERT_TRUE(l.creation.has_value());
    EXPECT_EQ(l.creation->stack.snapshot.regs[16], 0x1234u);
}

TEST_F(PerTestTracker, OutlivedThreadStillThereAtExitIsUnjoinedWithItsTest) {
    t.on_event(test_begin(10, 100, 100, "Cache.Evicts"));
    t.on_event(created(11, 100, 101, 100));
    t.on_event(test_end(20, 100, 100));
    t.mark_outlived(100, 101, "evictor", stack_at(0x5000, 202), std::nullopt);
    t.on_event(exited(30, 100, 100, ExitHow::GroupLeader));
    t.on_event(exited(30, 100, 101, ExitHow::Killed));

    ASSERT_EQ(t.leaks().size(), 1u);
    EXPECT_EQ(t.leaks()[0].kind, LeakKind::Unjoined);
    EXPECT_EQ(t.leaks()[0].test, "Cache.Evicts");
    EXPECT_EQ(t.leaks()[0].at_exit.stack.snapshot.regs[16], 0x4000u) << "the stack at exit is fresher";
}

TEST_F(PerTestTracker, ThreadThatFinishedWithinSettleIsNoLeak) {
    t.on_event(test_begin(10, 100, 100, "Cache.Evicts"));
    t.on_event(created(11, 100, 101, 100));
    t.on_event(test_end(20, 100, 100));
    t.on_event(exited(25, 100, 101, ExitHow::Self));
    EXPECT_TRUE(t.take_ended_tests(200)[0].tids.empty());
    EXPECT_TRUE(t.leaks().empty());
}

TEST_F(PerTestTracker, ThreadsCreatedByATestsThreadBelongToThatTestEvenLater) {
    t.on_event(test_begin(10, 100, 100, "Pool.Grows"));
    t.on_event(created(11, 100, 101, 100));
    t.on_event(test_end(20, 100, 100));
    t.on_event(test_begin(30, 100, 100, "Pool.Shrinks"));
    t.on_event(created(31, 100, 102, 101));  // the pool thread of the first test spawns
    t.on_event(created(32, 100, 103, 100));
    t.on_event(exited(40, 100, 100, ExitHow::GroupLeader));
    t.on_event(exited(40, 100, 102, ExitHow::Killed));
    t.on_event(exited(40, 100, 103, ExitHow::Killed));

    ASSERT_EQ(t.leaks().size(), 2u);
    EXPECT_EQ(t.leaks()[0].test, "Pool.Grows");
    EXPECT_EQ(t.leaks()[0].test_ordinal, 1);
    EXPECT_EQ(t.leaks()[1].test, "Pool.Shrinks");
    EXPECT_EQ(t.leaks()[1].test_ordinal, 2);
}

TEST_F(PerTestTracker, UnnamedTestKeepsItsOrdinalAndThreadsOutsideTestsHaveNone) {
    t.on_event(created(5, 100, 101, 100));
    t.on_event(test_begin(10, 100, 100, std::nullopt));
    t.on_event(created(11, 100, 102, 100));
    t.on_event(exited(40, 100, 100, ExitHow::GroupLeader));
    t.on_event(exited(40, 100, 101, ExitHow::Killed));
    t.on_event(exited(40, 100, 102, ExitHow::Killed));

    ASSERT_EQ(t.leaks().size(), 2u);
    EXPECT_FALSE(t.leaks()[0].test_ordinal.has_value());
    EXPECT_FALSE(t.leaks()[1].test.has_value());
    EXPECT_EQ(t.leaks()[1].test_ordinal, 1);
}

TEST_F(PerTestTracker, ProbedCallThatRunsNoTestDoesNotEndTheTest) {
    // Boost.Test runs fixture setup and teardown through the probed function too.
    TestEvent setup = test_begin(5, 100, 100, std::nullopt);
    setup.is_test = false;
    t.on_event(setup);
    t.on_event(test_end(6, 100, 100));
    t.on_event(test_begin(10, 100, 100, "cache/evicts"));
    TestEvent nested = test_begin(11, 100, 100, std::nullopt);
    nested.is_test = false;
    t.on_event(nested);
    t.on_event(test_end(12, 100, 100));  // the nested call's end
    t.on_event(created(13, 100, 101, 100));
    t.on_event(test_end(20, 100, 100));

    std::vector<EndedTest> ended = t.take_ended_tests(100);
    ASSERT_EQ(ended.size(), 1u);
    EXPECT_EQ(ended[0].name, "cache/evicts");
    EXPECT_EQ(ended[0].ordinal, 1) << "the setup was not counted as a test";
    EXPECT_EQ(ended[0].end_ns, 20u);
    EXPECT_EQ(ended[0].tids, std::vector<int>{101});
}
