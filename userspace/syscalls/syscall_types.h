// Value types of a decoded syscall: what a blocked thread sat in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace threadleak {

/// A decoded syscall argument: integers stay integers, the rest are strings.
struct SyscallArg {
    std::string name;
    std::variant<int64_t, std::string> value;
    bool operator==(const SyscallArg&) const = default;
};

/// A syscall with its arguments decoded.
struct DecodedSyscall {
    std::string syscall;                ///< "futex", "read", ... or "syscall_<nr>"
    std::vector<SyscallArg> args;
    std::optional<int64_t> timeout_ns;  ///< nullopt = waits forever
};

}  // namespace threadleak
