#include "capture/pipe_holders.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "capture/proc_text.h"

namespace threadleak {
namespace {

/// "pipe:[123]" -> 123; 0 for any other link.
uint64_t pipe_inode(const std::string& link) {
    if (link.rfind("pipe:[", 0) != 0 || link.back() != ']') return 0;
    return std::strtoull(link.c_str() + 6, nullptr, 10);
}

/// O_WRONLY or O_RDWR, from the "flags:" line (octal) of an fdinfo file.
bool writes(const std::string& fdinfo) {
    const size_t at = fdinfo.find("flags:");
    if (at == std::string::npos) return false;
    const unsigned long flags = std::strtoul(fdinfo.c_str() + at + 6, nullptr, 8);
    return (flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_RDWR;
}

bool all_digits(const char* s) {
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

}  // namespace

std::map<uint64_t, std::vector<PipeEnd>> pipe_holders(const std::set<uint64_t>& inodes) {
    std::map<uint64_t, std::vector<PipeEnd>> out;
    if (inodes.empty()) return out;
    DIR* proc = opendir("/proc");
    if (!proc) return out;
    while (dirent* p = readdir(proc)) {
        if (!all_digits(p->d_name)) continue;
        const std::string base = std::string("/proc/") + p->d_name;
        DIR* fds = opendir((base + "/fd").c_str());
        if (!fds) continue;  // exited, or a kernel thread
        while (dirent* f = readdir(fds)) {
            if (!all_digits(f->d_name)) continue;
            char link[64];
            const ssize_t n = readlink((base + "/fd/" + f->d_name).c_str(), link, sizeof link - 1);
            if (n <= 0) continue;
            const uint64_t ino = pipe_inode(std::string(link, n));
            if (!ino || !inodes.count(ino)) continue;
            out[ino].push_back({atoi(p->d_name), atoi(f->d_name),
                                writes(read_proc_text(base + "/fdinfo/" + f->d_name))});
        }
        closedir(fds);
    }
    closedir(proc);
    return out;
}

}  // namespace threadleak
