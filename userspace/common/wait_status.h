// Decoding of waitpid() statuses, the way shells report them.
#pragma once

#include <optional>
#include <string>

namespace threadleak {

/// "SIGKILL" for 9, "SIG42" when unnamed.
std::string signal_name(int sig);

/// The exit code a shell would give: the code for a normal exit, 128+N for a
/// signal; nullopt for a status that is neither (stopped, continued).
std::optional<int> shell_exit_code(int wait_status);

}  // namespace threadleak
