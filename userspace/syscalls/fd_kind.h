// What the file behind a descriptor is, from what the capture read of it.
#pragma once

#include <cstdint>
#include <string>

#include "syscalls/syscall_types.h"

namespace threadleak {

/// `number` with the kind of its file, from the inode's i_mode and the
/// dentry's name; anon_name is set for FdKind::OtherAnon only.
FdFact classify_fd(int number, uint32_t i_mode, const std::string& dentry_name);

}  // namespace threadleak
