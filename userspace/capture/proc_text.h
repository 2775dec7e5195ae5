// Reading a small /proc file whole (stat, status, comm, cgroup ...).
#pragma once

#include <string>

namespace threadleak {

/// The file's text; "" if it cannot be read (the process is gone).
std::string read_proc_text(const std::string& path);

}  // namespace threadleak
