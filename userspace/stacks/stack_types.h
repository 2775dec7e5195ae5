// Value types of unwound and symbolized stacks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace threadleak {

/// One unwound frame: `pc` and whether it is the exact instruction (the
/// innermost frame) or a return address (all callers; look up pc - 1).
struct RawFrame {
    uint64_t pc = 0;
    bool is_return_address = false;
};

/// One symbolized stack frame. `module` is always set (a path, or "[unknown]").
struct Frame {
    uint64_t address = 0;               ///< absolute address in the process
    std::string module;                 ///< file of the mapping holding `address`
    uint64_t offset = 0;                ///< `address` relative to the module's load bias
    std::optional<std::string> function;///< demangled; nullopt if no symbol covers it
    uint64_t function_offset = 0;       ///< `address` - symbol start, when function is set
    std::optional<std::string> file;    ///< source file, when debug info has it
    std::optional<int> line;
    std::string build_id;               ///< `module`'s GNU build-id in hex; "" if it has none or is unknown
};
using Stack = std::vector<Frame>;

}  // namespace threadleak
