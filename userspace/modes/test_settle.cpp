#include "modes/test_settle.h"

#include "common/monotonic_clock.h"

#include <time.h>

#include <chrono>
#include <thread>

#include "capture/live_snapshot.h"

namespace threadleak {
namespace {

/// A thread on a CPU has no saved registers to read. The process is not
/// stopped for it (its next test is running): try a few times to catch it
/// off the CPU.
std::optional<LiveThread> read_thread(int pid, int tid, size_t stack_size) {
    std::optional<LiveThread> t;
    for (int attempt = 0; attempt < 10; attempt++) {
        t = snapshot_thread(pid, tid, stack_size);
        if (!t || t->has_registers) return t;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return t;
}

}  // namespace

void TestSettle::poll() {
    const uint64_t now = monotonic_ns();
    const uint64_t settle = static_cast<uint64_t>(settle_.count());
    // Nothing due (most polls): the trace loop drains anyway, so drain only
    // when the threads of a test are about to be looked at.
    if (now < settle || !tracker_.ended_test_due(now - settle)) return;
    session_.drain();
    std::vector<EndedTest> ended = tracker_.take_ended_tests(now - settle);
    bool sampled = false;
    for (EndedTest& test : ended) {
        if (test.tids.empty()) continue;
        if (!sampled) {
            session_.sample_sleepers();  // blocked_for of each, as of now
            sampled = true;
        }
        if (auto image = tracker_.image(test.pid)) image->load_proc_maps();  // a dlopen since the last event
        for (int tid : test.tids) {
            std::optional<LiveThread> t = read_thread(test.pid, tid, stack_size_);
            if (!t) continue;  // it ended meanwhile: it did finish, late
            if (!t->has_registers) {
                health_.unreadable_memory++;
                t->stack.syscall.nr = -1;  // running user code, where is unknown
            }
            t->blocked_for = blocked_for(*t, session_.sleep_sample(tid));
            tracker_.mark_outlived(test.pid, tid, t->comm, std::move(t->stack), t->blocked_for);
        }
    }
}

}  // namespace threadleak
