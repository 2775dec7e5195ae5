// x86_64 syscall numbers to names. A name is the syscall's identity (the
// grouping and the reports key on it), not a display string.
#pragma once

#include <cstdint>
#include <string>

namespace threadleak {

/// "futex", "read", ...; "syscall_<nr>" for numbers it does not know.
/// Numbers are the x86_64 ABI: a 32-bit (ia32) process uses another numbering
/// that the capture cannot tell apart.
std::string syscall_name(int64_t nr);

}  // namespace threadleak
