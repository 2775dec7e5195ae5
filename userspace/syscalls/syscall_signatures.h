// Argument signatures of the syscalls threads commonly block in (and a few
// they end or start in). futex, futex_wait, futex_waitv and clock_nanosleep
// depend on their op or flags and are decoded by hand (futex.h,
// syscall_decode.cpp); others without a signature keep raw arg0..arg5.
#pragma once

#include <cstdint>
#include <string_view>

namespace threadleak {

/// How one argument register is read: its ArgType, and for a timeout pointer
/// what it points to.
enum class Param : uint8_t {
    Int, UInt, Long, Addr, Flags, Mode,
    Fd,         ///< only ever args[0]: the capture reads the file behind args[0]
    TimeoutMs,  ///< int milliseconds
    RelTs,      ///< pointer to a relative struct timespec
    RelTv,      ///< pointer to a relative struct timeval
    AbsRealTs,  ///< pointer to an absolute CLOCK_REALTIME timespec
    FlockOp, FcntlCmd,
};

struct ParamSpec {
    const char* name = nullptr;  ///< nullptr ends the list
    Param param = Param::Addr;
};

struct Signature {
    const char* syscall;
    ParamSpec params[6];
};

/// The signature of `name`, nullptr if it has none.
const Signature* find_signature(std::string_view name);

}  // namespace threadleak
