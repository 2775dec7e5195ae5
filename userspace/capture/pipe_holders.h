// Which processes hold an end of a pipe: every /proc/PID/fd link "pipe:[INO]",
// with the end's direction from its fdinfo flags. Read when a report is made,
// for the pipes its blocked threads read or write.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "capture/capture_types.h"

namespace threadleak {

/// For each inode of `inodes`, the open ends of that pipe in every process.
std::map<uint64_t, std::vector<PipeEnd>> pipe_holders(const std::set<uint64_t>& inodes);

}  // namespace threadleak
