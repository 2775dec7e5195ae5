#include "modes/signal_forwarding.h"

#include <unistd.h>

#include <algorithm>

namespace threadleak {
namespace {

// Shared with the handler: only sig_atomic_t (and a buffer written before
// the flag that publishes it) is safe there.
volatile sig_atomic_t g_target_pgid = 0;
volatile sig_atomic_t g_received = 0;
volatile sig_atomic_t g_forwarded_count = 0;
volatile sig_atomic_t g_report_phase = 0;
volatile sig_atomic_t g_report_phase_signals = 0;
char g_notice[256];
volatile sig_atomic_t g_notice_len = 0;

void forward_signal(int sig) {
    const bool again = g_received != 0;
    g_received = sig;
    if (g_report_phase) {
        // write(2) is async-signal-safe; the notice was formatted beforehand.
        const sig_atomic_t before = g_report_phase_signals;
        g_report_phase_signals = before + 1;
        if (before == 0 && g_notice_len > 0) {
            ssize_t ignored = write(STDERR_FILENO, g_notice, g_notice_len);
            (void)ignored;
        }
        return;
    }
    g_forwarded_count = g_forwarded_count + 1;
    if (g_target_pgid > 0) kill(-g_target_pgid, again ? SIGKILL : sig);
}

}  // namespace

SignalForwarding::SignalForwarding() {
    signal(SIGCHLD, SIG_DFL);
    struct sigaction sa {};
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < kCount; i++) sigaction(kSignals[i], &sa, &old_[i]);
}

SignalForwarding::~SignalForwarding() {
    g_target_pgid = 0;
    g_report_phase = 0;
    for (int i = 0; i < kCount; i++) sigaction(kSignals[i], &old_[i], nullptr);
}

void SignalForwarding::forward_to(int pgid) {
    g_target_pgid = pgid;
    if (pgid > 0 && g_received) kill(-pgid, g_received);
}

int SignalForwarding::received() const { return g_received; }

int SignalForwarding::forwarded_count() const { return g_forwarded_count; }

void SignalForwarding::enter_report_phase(const std::string& notice) {
    g_target_pgid = 0;
    const size_t n = std::min(notice.size(), sizeof(g_notice));
    std::copy_n(notice.data(), n, g_notice);
    g_notice_len = static_cast<sig_atomic_t>(n);
    g_report_phase_signals = 0;
    g_report_phase = 1;
}

bool SignalForwarding::stop_requested() const { return g_report_phase && g_report_phase_signals >= 2; }

}  // namespace threadleak
