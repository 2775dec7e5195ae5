// --per-test: when a test has ended and --settle has passed, the threads
// created during it that are still alive are read from /proc (without
// stopping the process: the next test is running) and marked as that test's
// leaks in the tracker.
#pragma once

#include <chrono>
#include <cstddef>

#include "capture/bpf_session.h"
#include "report/report.h"
#include "track/thread_tracker.h"

namespace threadleak {

class TestSettle {
public:
    TestSettle(ThreadTracker& tracker, BpfSession& session, std::chrono::nanoseconds settle, size_t stack_size,
               Health& health)
        : tracker_(tracker), session_(session), settle_(settle), stack_size_(stack_size), health_(health) {}

    /// Checks the tests whose settle time has passed; call it often (every
    /// drain). Drains first, so that threads that exited are known to be gone.
    void poll();

private:
    ThreadTracker& tracker_;
    BpfSession& session_;
    std::chrono::nanoseconds settle_;
    size_t stack_size_;
    Health& health_;
};

}  // namespace threadleak
