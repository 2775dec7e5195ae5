#include "modes/trace_loop.h"

#include <thread>

namespace threadleak {
namespace {
/// How often records are drained: short enough that the ring buffer does not
/// fill under churn, long enough to cost nothing while idle.
constexpr std::chrono::milliseconds kDrainPeriod{5};
}  // namespace

TraceLoop::TraceLoop(BpfSession& session, std::chrono::milliseconds sample_interval)
    : session_(session), sample_interval_(sample_interval) {}

TraceLoop::Outcome TraceLoop::run(const std::function<bool()>& done,
                                  std::optional<Clock::time_point> deadline) {
    while (!done()) {
        session_.drain();
        const auto now = Clock::now();
        if (now >= next_sample_) {
            session_.sample_sleepers();
            next_sample_ = now + sample_interval_;
        }
        if (deadline && now >= *deadline) {
            session_.drain();
            return Outcome::DeadlinePassed;
        }
        std::this_thread::sleep_for(kDrainPeriod);
    }
    session_.drain();
    return Outcome::Done;
}

}  // namespace threadleak
