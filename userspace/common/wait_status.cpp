#include "common/wait_status.h"

#include <string.h>
#include <sys/wait.h>

namespace threadleak {

std::string signal_name(int sig) {
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "SIG" + std::to_string(sig);
}

std::optional<int> shell_exit_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return std::nullopt;
}

}  // namespace threadleak
