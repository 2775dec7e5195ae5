// The C libraries whose timerfd_create() threadleak probes: the one it runs
// with itself (the host's), and those the given processes have mapped, as
// reachable from here (through /proc/PID/root for another mount namespace).
#pragma once

#include <string>
#include <vector>

namespace threadleak {

/// Paths of distinct files (device + inode), the host's first.
std::vector<std::string> libc_paths(const std::vector<int>& pids);

}  // namespace threadleak
