// Display names of the enums and flag words of decoded syscalls, as the
// reports show them (docs/json-schema.md, `args`).
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/syscall_types.h"

namespace threadleak {

/// "FUTEX_WAIT_PRIVATE", "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME";
/// the op word in hex for a command the kernel does not define.
std::string futex_op_name(uint64_t op);

/// "CLOCK_MONOTONIC", ...; "clock_<id>" for others (negative ids are
/// per-process/thread CPU clocks).
std::string clock_name(int64_t id);

/// "pipe", "socket", "char device", "epoll", "bpf map", ...; an OtherAnon
/// shows its anon name without the brackets; "unknown".
std::string fd_kind_name(const FdFact& fd);

/// "LOCK_SH", "LOCK_EX|LOCK_NB"; an unknown base operation in hex.
std::string flock_op_name(uint64_t op);

/// "F_SETLKW", ...; the number for commands not listed.
std::string fcntl_cmd_name(int32_t cmd);

/// "0x7ffd1000".
std::string to_hex(uint64_t v);

}  // namespace threadleak
