// CLOCK_MONOTONIC in nanoseconds: the clock of bpf_ktime_get_ns(), so times
// read here compare with the kernel side's (sleep starts, event times).
#pragma once

#include <cstdint>

namespace threadleak {

uint64_t monotonic_ns();

}  // namespace threadleak
