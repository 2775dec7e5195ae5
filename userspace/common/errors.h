// The one fatal user-facing error type, caught in main() and mapped to an exit
// code, so no failure can exit 0.
#pragma once

#include <stdexcept>
#include <string>

namespace threadleak {

/// Exit codes (sysexits.h where one fits; 124/127 as timeout(1) and shells do).
namespace exit_code {
inline constexpr int kUsage = 64;          ///< bad flag or value (EX_USAGE)
inline constexpr int kNotUserProcess = 65; ///< attach: a kernel thread, or threadleak itself (EX_DATAERR)
inline constexpr int kNoSuchProcess = 67;  ///< attach: no such pid, or it exited while attaching (EX_NOUSER)
inline constexpr int kUnavailable = 69;    ///< kernel lacks BTF/BPF support (EX_UNAVAILABLE)
inline constexpr int kInternal = 70;       ///< bug or unexpected kernel answer (EX_SOFTWARE)
inline constexpr int kCantCreate = 73;     ///< --output not writable (EX_CANTCREAT)
inline constexpr int kIncomplete = 75;     ///< no leak found, but events were lost (EX_TEMPFAIL)
inline constexpr int kAddressInUse = 76;   ///< attach --prometheus: address in use or not bindable
inline constexpr int kNoPermission = 77;   ///< not root / no CAP_BPF (EX_NOPERM)
inline constexpr int kTimedOut = 124;      ///< --timeout expired
inline constexpr int kNotExecutable = 126; ///< command found but cannot run
inline constexpr int kNotFound = 127;      ///< command not found
inline constexpr int kDefaultLeaks = 66;   ///< default --error-exitcode
}  // namespace exit_code

/// A fatal error the user can fix. `what()` is one line that names the fix.
class UserError : public std::runtime_error {
public:
    UserError(int exit_code, const std::string& message)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

private:
    int exit_code_;
};

}  // namespace threadleak
