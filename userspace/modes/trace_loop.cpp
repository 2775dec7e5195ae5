#include "modes/trace_loop.h"

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
        session_.wait_for_wakeup(kDrainPeriod);
    }
    session_.drain();
    return Outcome::Done;
}

}  // namespace threadleak
