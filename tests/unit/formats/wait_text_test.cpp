// The phrase a person reads for a wait: what it waits on, who holds it, and
// what that thread does; the deadlock edge lines.
#include <gtest/gtest.h>

#include "formats/wait_text.h"

namespace threadleak {
namespace {

LeakFindings waiting(WaitFacts w) {
    LeakFindings f;
    f.wait = w;
    return f;
}

TEST(WaitText, CondvarWithAndWithoutWakeFacts) {
    WaitFacts w;
    w.kind = WaitKind::Condvar;
    w.object = 0x601048;
    EXPECT_EQ(wait_phrase(waiting(w)), "waits on condition variable 0x601048 (its futex)");
    w.wakes_sent = 0;
    EXPECT_EQ(wait_phrase(waiting(w)), "waits on condition variable 0x601048 (its futex); no wake was ever sent to it");
    w.wakes_sent = 2;
    w.last_waker_tid = 77;
    EXPECT_EQ(wait_phrase(waiting(w)),
              "waits on condition variable 0x601048 (its futex); 2 wakes were sent to it since it began waiting "
              "(last by thread 77), none reached it");
}

TEST(WaitText, MutexNamesItsHolderAndWhatTheHolderDoes) {
    WaitFacts w;
    w.kind = WaitKind::Mutex;
    w.object = 0x601080;
    w.owner_tid = 200;
    LeakFindings f = waiting(w);
    f.waits_for = WaitsFor{200, "holder", true, WaitKind::Condvar};
    EXPECT_EQ(wait_phrase(f),
              "waits for mutex 0x601080, held by thread 200 (holder), which waits on a condition variable itself");
    f.waits_for = WaitsFor{200, "", false, std::nullopt};
    EXPECT_EQ(wait_phrase(f), "waits for mutex 0x601080, held by thread 200, which is not among this process's "
                              "threads (it exited without releasing it)");
    f.deadlock = 0;
    EXPECT_EQ(wait_phrase(f).rfind("in a deadlock: waits for mutex", 0), 0u);
}

TEST(WaitText, JoinReadAndTimedWaits) {
    WaitFacts join;
    join.kind = WaitKind::Join;
    join.joins_tid = 301;
    LeakFindings f = waiting(join);
    f.waits_for = WaitsFor{301, "parked", true, WaitKind::Condvar};
    EXPECT_EQ(wait_phrase(f), "waits to join thread 301 (parked), which waits on a condition variable itself");

    WaitFacts read;
    read.kind = WaitKind::Read;
    read.fd = 5;
    read.fd_kind = FdKind::Pipe;
    read.pipe_writers = 0;
    EXPECT_EQ(wait_phrase(waiting(read)), "waits to read fd 5 (pipe); no write end is open: nothing can ever write to it");
    read.pipe_writers = 1;
    EXPECT_EQ(wait_phrase(waiting(read)), "waits to read fd 5 (pipe); 1 write end is open");

    WaitFacts sleep;
    sleep.kind = WaitKind::Sleep;
    sleep.timed = true;
    sleep.timeout_ns = 1'500'000'000;
    EXPECT_EQ(wait_phrase(waiting(sleep)), "sleeps, with a timeout of 1.50s");
}

TEST(WaitText, DeadlockEdges) {
    EXPECT_EQ(deadlock_edge_phrase({300, "dl-a", WaitKind::Mutex, 0x601080, 301}, "dl-b"),
              "thread 300 (dl-a) waits for mutex 0x601080, held by thread 301 (dl-b)");
    EXPECT_EQ(deadlock_edge_phrase({300, "a", WaitKind::Join, std::nullopt, 301}, "b"),
              "thread 300 (a) waits to join thread 301 (b)");
}

}  // namespace
}  // namespace threadleak
