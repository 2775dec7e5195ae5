#include "modes/attach_targets.h"

#include "capture/proc_text.h"

#include <dirent.h>
#include <fnmatch.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>

#include "common/errors.h"

namespace threadleak {
namespace {

constexpr unsigned long kPfKthread = 0x00200000;  // include/linux/sched.h

/// The fields of a /proc stat line after "(comm)", from the state on (field 3).
std::vector<std::string> stat_fields(const std::string& stat) {
    std::vector<std::string> out;
    const size_t rp = stat.rfind(')');
    if (rp == std::string::npos) return out;
    std::istringstream in(stat.substr(rp + 1));
    std::string f;
    while (in >> f) out.push_back(f);
    return out;
}

/// Boot time in ns since the epoch (/proc/stat btime), for thread start times.
std::optional<int64_t> boot_unix_ns() {
    std::ifstream in("/proc/stat");
    std::string key;
    int64_t value = 0;
    while (in >> key) {
        if (key == "btime" && in >> value) return value * 1'000'000'000;
        in.ignore(1 << 20, '\n');
    }
    return std::nullopt;
}

std::string link_target(const std::string& path) {
    char buf[4096];
    const ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, n) : "";
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '/')) s.pop_back();
    return s;
}

std::vector<int> numeric_entries(const std::string& dir) {
    std::vector<int> out;
    DIR* d = opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = readdir(d)) {
        char* end = nullptr;
        const long v = strtol(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0' && v > 0) out.push_back(static_cast<int>(v));
    }
    closedir(d);
    return out;
}

}  // namespace

std::optional<ProcessLookup> look_up_process(int pid) {
    const std::string base = "/proc/" + std::to_string(pid);
    const std::string stat = read_proc_text(base + "/stat");
    const std::vector<std::string> f = stat_fields(stat);
    if (f.size() < 7) return std::nullopt;
    ProcessLookup out;
    out.target.pid = pid;
    out.target.ppid = atoi(f[1].c_str());
    out.kernel = (strtoul(f[6].c_str(), nullptr, 10) & kPfKthread) != 0;  // field 9: flags
    out.target.comm = trimmed(read_proc_text(base + "/comm"));
    out.target.exe = link_target(base + "/exe");
    out.tgid = pid;
    std::istringstream status(read_proc_text(base + "/status"));
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Tgid:", 0) == 0) out.tgid = atoi(line.c_str() + 5);
    return out;
}

std::vector<AttachTarget> resolve_pids(const std::vector<int>& pids) {
    std::vector<AttachTarget> out;
    for (int pid : pids) {
        auto p = look_up_process(pid);
        if (!p)
            throw UserError(exit_code::kNoSuchProcess,
                            "-p " + std::to_string(pid) + ": no such process; check the pid (ps -e)");
        if (p->kernel)
            throw UserError(exit_code::kNotUserProcess,
                            "-p " + std::to_string(pid) + " (" + p->target.comm +
                                ") is a kernel thread: threadleak attaches to user processes");
        if (p->tgid != pid) {  // a thread: its process is what is traced
            auto proc = look_up_process(p->tgid);
            if (!proc)
                throw UserError(exit_code::kNoSuchProcess, "-p " + std::to_string(pid) + ": its process exited");
            p = proc;
        }
        if (p->tgid == getpid())
            throw UserError(exit_code::kNotUserProcess,
                            "-p " + std::to_string(pid) + " is threadleak itself; attach to another process");
        bool dup = false;
        for (const AttachTarget& t : out) dup |= t.pid == p->target.pid;
        if (!dup) out.push_back(p->target);
    }
    return out;
}

std::vector<AttachTarget> all_processes() {
    std::vector<AttachTarget> out;
    for (int pid : numeric_entries("/proc")) {
        if (pid == getpid()) continue;
        auto p = look_up_process(pid);
        if (p && !p->kernel && p->tgid == pid) out.push_back(p->target);
    }
    return out;
}

std::vector<ExistingThread> existing_threads(int pid) {
    static const std::optional<int64_t> boot = boot_unix_ns();
    static const long ticks = sysconf(_SC_CLK_TCK);
    std::vector<ExistingThread> out;
    const std::string task = "/proc/" + std::to_string(pid) + "/task/";
    for (int tid : numeric_entries(task)) {
        ExistingThread t;
        t.tid = tid;
        const std::vector<std::string> f = stat_fields(read_proc_text(task + std::to_string(tid) + "/stat"));
        if (f.size() > 19 && boot && ticks > 0) {  // field 22: starttime, in clock ticks since boot
            const int64_t start = strtoll(f[19].c_str(), nullptr, 10);
            t.start_unix_ns = *boot + start * (1'000'000'000 / ticks);
        }
        out.push_back(t);
    }
    return out;
}

std::string cgroup_filter_path(const std::string& path) {
    constexpr std::string_view kMount = "/sys/fs/cgroup";
    std::string c = path;
    // The mount point only as a whole component: "/sys/fs/cgroupx" is relative.
    if (c.starts_with(kMount) && (c.size() == kMount.size() || c[kMount.size()] == '/')) c = c.substr(kMount.size());
    if (c.empty() || c[0] != '/') c = "/" + c;
    c = trimmed(c);
    return c.empty() ? "/" : c;
}

bool cgroup_within(const std::string& path, const std::string& filter) {
    if (path.empty()) return false;
    if (filter == "/") return true;
    return path == filter || path.starts_with(filter + "/");
}

ProcessFilter::ProcessFilter(std::optional<std::string> comm_glob, std::optional<std::string> cgroup)
    : comm_glob_(std::move(comm_glob)) {
    if (cgroup) cgroup_ = cgroup_filter_path(*cgroup);
}

bool ProcessFilter::matches(int pid, const std::string& comm) {
    if (comm_glob_ && fnmatch(comm_glob_->c_str(), comm.c_str(), 0) != 0) return false;
    if (!cgroup_) return true;
    auto it = cgroup_of_.find(pid);
    if (it == cgroup_of_.end()) {
        std::string path;
        std::istringstream in(read_proc_text("/proc/" + std::to_string(pid) + "/cgroup"));
        for (std::string line; std::getline(in, line);)
            if (line.rfind("0::", 0) == 0) path = line.substr(3);
        it = cgroup_of_.emplace(pid, path).first;
    }
    return cgroup_within(it->second, *cgroup_);
}

}  // namespace threadleak
