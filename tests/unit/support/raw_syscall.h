// Builds the RawSyscall values the kernel side would capture, for unit tests.
#pragma once

#include <array>
#include <cstdint>

#include "capture/capture_types.h"

namespace threadleak::test {

inline RawSyscall call(int64_t nr, std::array<uint64_t, 6> args) {
    RawSyscall r;
    r.nr = nr;
    r.args = args;
    return r;
}

/// `r` with the timespec its timeout argument points to read as {sec, subsec}.
inline RawSyscall with_timeout(RawSyscall r, int64_t sec, int64_t subsec) {
    r.timeout_valid = true;
    r.timeout = {sec, subsec};
    return r;
}

}  // namespace threadleak::test
