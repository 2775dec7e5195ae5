// attach: which processes to observe. `-p` names them (each must be a
// running user process); `--all` takes every user process on the host but
// threadleak itself, and `--comm` / `--cgroup` choose which are reported.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace threadleak {

struct AttachTarget {
    int pid = 0;
    int ppid = 0;
    std::string exe;   ///< /proc/PID/exe ("" if unreadable)
    std::string comm;
};

/// One thread alive at attach.
struct ExistingThread {
    int tid = 0;
    std::optional<int64_t> start_unix_ns;  ///< from /proc/PID/task/TID/stat's start time
};

/// What is known of `pid` now; nullopt if no such process. A kernel thread
/// comes back with `kernel` set.
struct ProcessLookup {
    AttachTarget target;
    int tgid = 0;        ///< the process `pid` is a thread of (== pid for a process)
    bool kernel = false; ///< a kernel thread (PF_KTHREAD): nothing to attach to
};
std::optional<ProcessLookup> look_up_process(int pid);

/// `-p`: each pid, checked. Throws UserError: 67 (exit_code::kNoSuchProcess)
/// for one that does not exist, 65 (kNotUserProcess) for a kernel thread or
/// threadleak itself. A thread id stands for its process.
std::vector<AttachTarget> resolve_pids(const std::vector<int>& pids);

/// `--all`: every user process running now but this one.
std::vector<AttachTarget> all_processes();

/// The threads of `pid` now (empty if it is gone).
std::vector<ExistingThread> existing_threads(int pid);

/// `--cgroup PATH` as a path below the cgroup v2 root: "/sys/fs/cgroup/a/b/",
/// "a/b" and "/a/b" are all "/a/b"; the root itself is "/".
std::string cgroup_filter_path(const std::string& path);

/// True if `path` (a cgroup as /proc/PID/cgroup's "0::" line names it; "" for
/// none) is `filter` (a cgroup_filter_path) or below it: "/a/b" holds
/// "/a/b/c" but not "/a/bc".
bool cgroup_within(const std::string& path, const std::string& filter);

/// `--comm GLOB` and `--cgroup PATH` (cgroup v2; absolute, or relative to
/// /sys/fs/cgroup): which processes `--all` reports. A process matches when
/// every given filter does; its cgroup is read once, when first asked.
class ProcessFilter {
public:
    ProcessFilter(std::optional<std::string> comm_glob, std::optional<std::string> cgroup);
    bool active() const { return comm_glob_ || cgroup_; }
    bool matches(int pid, const std::string& comm);

private:
    std::optional<std::string> comm_glob_;
    std::optional<std::string> cgroup_;  ///< normalized: "/a/b", no trailing slash
    std::map<int, std::string> cgroup_of_;
};

}  // namespace threadleak
