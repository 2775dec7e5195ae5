// The ends of a live process's TCP socket, from /proc/PID/net/tcp and tcp6 (the
// kernel side reads them from the socket itself at exit).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "capture/capture_types.h"

namespace threadleak {

/// The row of socket inode `ino` in a /proc/net/tcp (`v6` false) or tcp6 table.
std::optional<SocketEnds> find_tcp_socket(std::string_view table, uint64_t ino, bool v6);

/// Socket inode `ino` of process `pid`, looked up in its network namespace's tables.
std::optional<SocketEnds> tcp_socket(int pid, uint64_t ino);

}  // namespace threadleak
