// The command line of a live process, from /proc/PID/cmdline. It is the
// target's data (any bytes, as long as it likes): read bounded, and escaped by
// every format that shows it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace threadleak {

inline constexpr size_t kMaxCmdlineBytes = 4096;

struct ProcCmdline {
    std::vector<std::string> args;  ///< NUL-separated words; empty if gone or unreadable
    bool truncated = false;         ///< more than `max_bytes` were there
};

/// Reads at most `max_bytes` of /proc/PID/cmdline.
ProcCmdline read_proc_cmdline(int pid, size_t max_bytes = kMaxCmdlineBytes);

/// Splits cmdline bytes at NULs (one trailing NUL ends the last word, as the kernel writes it).
std::vector<std::string> split_cmdline(const std::string& bytes);

}  // namespace threadleak
