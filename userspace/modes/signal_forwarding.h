// Ctrl-C, SIGTERM, SIGHUP and SIGQUIT go to the traced command's process
// group while threadleak keeps tracing until it exits and still writes the
// report. A second one kills the group: a command that ignores signals
// cannot keep threadleak waiting. Once the command is gone and the report is
// being built, the first one says what threadleak is doing and the second
// asks it to stop symbolizing (stop_requested()).
#pragma once

#include <signal.h>

#include <string>

namespace threadleak {

class SignalForwarding {
public:
    /// Installs the handlers (and SIGCHLD's default action, so an inherited
    /// SIG_IGN cannot let the kernel reap the command behind our back).
    SignalForwarding();
    /// Restores the previous handlers.
    ~SignalForwarding();
    SignalForwarding(const SignalForwarding&) = delete;
    SignalForwarding& operator=(const SignalForwarding&) = delete;

    /// Forwards from now on to process group `pgid` (0: nowhere, e.g. once
    /// the command is reaped and its pgid may be reused). A signal that
    /// arrived before the group was known is sent to it now.
    void forward_to(int pgid);
    /// The last signal received, 0 if none.
    int received() const;
    /// Signals received while forwarding (before the report phase).
    int forwarded_count() const;

    /// From now on nothing is forwarded: the first signal writes `notice` to
    /// stderr, the second sets stop_requested(). Earlier signals do not count.
    void enter_report_phase(const std::string& notice);
    /// True once a second signal arrived in the report phase.
    bool stop_requested() const;

private:
    static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    static constexpr int kCount = 4;
    struct sigaction old_[kCount];
};

}  // namespace threadleak
