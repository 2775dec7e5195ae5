#include "capture/live_snapshot.h"

#include "capture/proc_text.h"

#include "common/monotonic_clock.h"

#include "capture/proc_maps_line.h"
#include "capture/proc_net_tcp.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

extern "C" {
#include "events.h"
}

namespace threadleak {
namespace {

/// voluntary_ctxt_switches from /proc/.../status: the kernel's nvcsw, as the
/// sampler counts them. A thread asleep now with the count unchanged has not
/// slept again since the sample (every new sleep adds one), so it is in that
/// same sleep; involuntary switches only happen while it runs.
std::optional<uint64_t> context_switches(const std::string& status_path) {
    std::ifstream in(status_path);
    std::string line;
    const std::string key = "voluntary_ctxt_switches:";
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) continue;
        try {
            return std::stoull(line.substr(key.size()));
        } catch (...) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}


/// True if the process's executable is a 32-bit ELF: /proc then gives its
/// syscalls in the ia32 ABI (x86_64 numbers would misname them).
bool runs_32bit_code(int pid) {
    int fd = open(("/proc/" + std::to_string(pid) + "/exe").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    unsigned char ident[EI_NIDENT] = {};
    const bool is_elf = read(fd, ident, sizeof(ident)) == sizeof(ident) && memcmp(ident, ELFMAG, SELFMAG) == 0;
    close(fd);
    return is_elf && ident[EI_CLASS] == ELFCLASS32;
}

/// Kind of the file behind fd `fd`, as the kernel side reports it (mode + name).
void describe_fd(int pid, uint64_t fd, RawSyscall* raw) {
    if (fd > (1u << 20)) return;
    std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return;
    raw->fd_mode = st.st_mode;
    raw->object.fd_ino = st.st_ino;
    if (S_ISSOCK(st.st_mode)) raw->object.socket = tcp_socket(pid, st.st_ino);
    char target[256];
    ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
    if (n <= 0) return;
    std::string t(target, n);
    // "anon_inode:[eventfd]" -> "[eventfd]", "pipe:[123]" -> "pipe:", as d_name reads
    if (t.rfind("anon_inode:", 0) == 0) {
        raw->fd_name = t.substr(11);
        raw->fd_mode = 0;
    } else if (auto colon = t.find(":["); colon != std::string::npos) {
        raw->fd_name = t.substr(0, colon + 1);
    } else {
        raw->fd_name = t.substr(t.rfind('/') + 1);
    }
    if (raw->fd_name == "[timerfd]") {
        // "it_interval: (0, 50000000)"
        const std::string info = read_proc_text("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
        long long sec = 0, nsec = 0;
        if (const size_t at = info.find("it_interval: ("); at != std::string::npos &&
            sscanf(info.c_str() + at, "it_interval: (%lld, %lld)", &sec, &nsec) == 2 && sec >= 0 && nsec >= 0)
            raw->object.timer_interval_ns = static_cast<uint64_t>(sec) * 1'000'000'000u + static_cast<uint64_t>(nsec);
    }
    if (raw->fd_name == "[eventpoll]") {
        // One "tfd:" line per watched descriptor.
        const std::string info = read_proc_text("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
        if (info.empty()) return;
        uint32_t watched = 0;
        for (size_t at = info.find("tfd:"); at != std::string::npos; at = info.find("tfd:", at + 4))
            watched += at == 0 || info[at - 1] == '\n';
        raw->object.epoll_watched = watched;
        raw->object.epoll_empty = watched == 0;
    }
}

}  // namespace

bool parse_proc_syscall(const std::string& text, RawSyscall* raw, uint64_t* sp, uint64_t* pc) {
    std::istringstream in(text);
    std::string first;
    if (!(in >> first) || first == "running") return false;
    try {
        raw->nr = std::stoll(first);
        std::vector<uint64_t> words;
        std::string w;
        while (in >> w) words.push_back(std::stoull(w, nullptr, 16));
        if (raw->nr < 0) {
            if (words.size() != 2) return false;
            *sp = words[0];
            *pc = words[1];
            return true;
        }
        if (words.size() != 8) return false;
        for (int i = 0; i < 6; i++) raw->args[i] = words[i];
        *sp = words[6];
        *pc = words[7];
        return true;
    } catch (...) {
        return false;
    }
}

LiveProcess::LiveProcess(int pid) : pid_(pid) {
    const std::string base = "/proc/" + std::to_string(pid);
    mem_ = open((base + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    ia32_ = runs_32bit_code(pid);
    std::ifstream in(base + "/maps");
    std::string line;
    while (std::getline(in, line))
        if (auto e = parse_maps_line(line)) ranges_.emplace_back(e->mapping.start, e->mapping.end);
}

LiveProcess::~LiveProcess() {
    if (mem_ >= 0) close(mem_);
}

uint64_t LiveProcess::mapping_end(uint64_t addr) const {
    // /proc/PID/maps is sorted by address: the last mapping starting at or below addr.
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr,
                               [](uint64_t a, const std::pair<uint64_t, uint64_t>& r) { return a < r.first; });
    if (it == ranges_.begin()) return 0;
    --it;
    return addr < it->second ? it->second : 0;
}

std::optional<LiveThread> LiveProcess::thread(int tid, size_t stack_size) const {
    const std::string base = "/proc/" + std::to_string(pid_);
    const std::string task = base + "/task/" + std::to_string(tid);
    LiveThread t;
    t.tid = tid;
    std::string stat = read_proc_text(task + "/stat");
    if (stat.empty()) return std::nullopt;  // gone
    if (auto rp = stat.rfind(')'); rp != std::string::npos && rp + 2 < stat.size()) t.state = stat[rp + 2];
    t.switches = context_switches(task + "/status");  // with the state: both of the same moment
    t.seen_ns = monotonic_ns();
    t.comm = read_proc_text(task + "/comm");
    if (!t.comm.empty() && t.comm.back() == '\n') t.comm.pop_back();

    t.stack.ia32 = ia32_;
    uint64_t sp = 0, pc = 0;
    RawSyscall& raw = t.stack.syscall;
    if (!parse_proc_syscall(read_proc_text(task + "/syscall"), &raw, &sp, &pc)) {
        raw.nr = -1;  // on a CPU right now: no registers without stopping it
    } else {
        t.has_registers = true;
        t.stack.snapshot.regs[7] = sp;
        t.stack.snapshot.regs[16] = pc;
        uint64_t end = mapping_end(sp);
        size_t len = end > sp ? std::min<uint64_t>(end - sp, stack_size) : 0;
        t.stack.snapshot.stack.resize(len);
        ssize_t n = mem_ >= 0 && len ? pread(mem_, t.stack.snapshot.stack.data(), len, static_cast<off_t>(sp)) : 0;
        t.stack.snapshot.stack.resize(n > 0 ? n : 0);
        if (raw.nr >= 0) describe_fd(pid_, raw.args[0], &raw);
        read_futex_words(&raw);
        int targ = tl_timeout_arg(raw.nr);
        if (targ >= 0 && raw.args[targ] && mem_ >= 0 &&
            pread(mem_, raw.timeout.data(), sizeof(raw.timeout), static_cast<off_t>(raw.args[targ])) ==
                sizeof(raw.timeout))
            raw.timeout_valid = true;
    }
    return t;
}

void LiveProcess::read_futex_words(RawSyscall* raw) const {
    constexpr int64_t kNrFutex = 202;
    std::array<uint64_t, 2> words{};
    if (raw->nr == kNrFutex && raw->args[0] && mem_ >= 0 &&
        pread(mem_, words.data(), sizeof(words), static_cast<off_t>(raw->args[0])) == sizeof(words))
        raw->object.futex_words = words;
}

CapturedStack LiveProcess::sleeping_stack(const SleepSample& sample, size_t stack_size) const {
    CapturedStack out;
    out.ia32 = sample.ia32;
    out.snapshot.regs = sample.regs;
    RawSyscall& raw = out.syscall;
    raw.nr = sample.syscall_nr;
    raw.args = sample.args;
    const uint64_t sp = sample.regs[7];
    const uint64_t end = mapping_end(sp);
    const size_t len = end > sp ? std::min<uint64_t>(end - sp, stack_size) : 0;
    out.snapshot.stack.resize(len);
    const ssize_t n = mem_ >= 0 && len ? pread(mem_, out.snapshot.stack.data(), len, static_cast<off_t>(sp)) : 0;
    out.snapshot.stack.resize(n > 0 ? n : 0);
    if (raw.nr >= 0 && !out.ia32) {
        describe_fd(pid_, raw.args[0], &raw);
        read_futex_words(&raw);
        const int targ = tl_timeout_arg(raw.nr);
        if (targ >= 0 && raw.args[targ] && mem_ >= 0 &&
            pread(mem_, raw.timeout.data(), sizeof(raw.timeout), static_cast<off_t>(raw.args[targ])) ==
                sizeof(raw.timeout))
            raw.timeout_valid = true;
    }
    return out;
}

std::optional<BlockedFor> blocked_for_now(const SleepSample& sample, uint64_t now_ns) {
    const tl_sleep_since since{sample.since_ns, sample.uncertainty_ns};
    __u64 ns = 0;
    int exact = 0;
    if (!tl_blocked_for(&since, true, now_ns, &ns, &exact)) return std::nullopt;
    return BlockedFor{ns, exact != 0};
}

std::optional<LiveThread> snapshot_thread(int pid, int tid, size_t stack_size) {
    return LiveProcess(pid).thread(tid, stack_size);
}

std::optional<BlockedFor> blocked_for(const LiveThread& t, const std::optional<SleepSample>& sample) {
    if (!sample || !t.switches || (t.state != 'S' && t.state != 'D')) return std::nullopt;
    const tl_sleep_since since{sample->since_ns, sample->uncertainty_ns};
    __u64 ns = 0;
    int exact = 0;
    if (!tl_blocked_for(&since, *t.switches == sample->switches, t.seen_ns, &ns, &exact))
        return std::nullopt;
    return BlockedFor{ns, exact != 0};
}

std::vector<LiveThread> snapshot_live_threads(int pid, size_t stack_size) {
    std::vector<LiveThread> out;
    DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
    if (!dir) return out;
    const LiveProcess process(pid);  // its maps read once, not once per thread
    while (dirent* d = readdir(dir)) {
        if (d->d_name[0] == '.') continue;
        if (auto t = process.thread(atoi(d->d_name), stack_size)) out.push_back(std::move(*t));
    }
    closedir(dir);
    return out;
}

}  // namespace threadleak
