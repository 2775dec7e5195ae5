#include "modes/signal_forwarding.h"

namespace threadleak {
namespace {

// Shared with the handler: only sig_atomic_t is safe there.
volatile sig_atomic_t g_target_pgid = 0;
volatile sig_atomic_t g_received = 0;

void forward_signal(int sig) {
    const bool again = g_received != 0;
    g_received = sig;
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
    for (int i = 0; i < kCount; i++) sigaction(kSignals[i], &old_[i], nullptr);
}

void SignalForwarding::forward_to(int pgid) {
    g_target_pgid = pgid;
    if (pgid > 0 && g_received) kill(-pgid, g_received);
}

int SignalForwarding::received() const { return g_received; }

}  // namespace threadleak
