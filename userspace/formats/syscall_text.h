// The one rendering of a DecodedSyscall's arguments that the formats share:
// ordered (name, value) pairs, integers kept as integers. The json format
// writes them as `args` (docs/json-schema.md: names, order and strings are a
// contract); the text format joins them as name=value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "syscalls/syscall_types.h"

namespace threadleak {

struct ArgPair {
    std::string name;
    std::variant<int64_t, std::string> value;
    bool operator==(const ArgPair&) const = default;
};

/// The pairs args[i] shows as: one, except that a Timeout shows as "timeout"
/// or "deadline" (by what the timeout fact says it held) and an overwritten
/// one adds "remaining".
std::vector<ArgPair> arg_pairs(const DecodedSyscall& d, size_t i);

/// "pipe", "epoll", ... when args[i] is the descriptor the fd fact describes.
std::optional<std::string> fd_kind_text(const DecodedSyscall& d, size_t i);

/// All arguments as the json `args` object holds them: arg_pairs of each in
/// order, with "fd_kind" right after the described descriptor.
std::vector<ArgPair> args_pairs(const DecodedSyscall& d);

/// "2s", "1.5s", "100ms", "250us", "7ns": exact, trailing zeros dropped.
std::string exact_duration(int64_t ns);

}  // namespace threadleak
