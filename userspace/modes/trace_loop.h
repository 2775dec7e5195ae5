// The loop every mode runs while it observes: deliver the kernel's records
// every few milliseconds (they are submitted without wake-ups), sample the
// sleeping threads every --sample-interval, and stop when the mode is done or
// its deadline passes.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "capture/bpf_session.h"

namespace threadleak {

class TraceLoop {
public:
    using Clock = std::chrono::steady_clock;
    enum class Outcome { Done, DeadlinePassed };

    TraceLoop(BpfSession& session, std::chrono::milliseconds sample_interval);

    /// Runs until `done()` returns true (checked before each drain) or
    /// `deadline` passes; the records queued by then have been delivered.
    Outcome run(const std::function<bool()>& done, std::optional<Clock::time_point> deadline);

private:
    BpfSession& session_;
    std::chrono::milliseconds sample_interval_;
    Clock::time_point next_sample_{};
};

}  // namespace threadleak
