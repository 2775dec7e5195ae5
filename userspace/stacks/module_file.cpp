#include "stacks/module_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <string_view>
#include <vector>

namespace threadleak {

OwnedFd::~OwnedFd() {
    if (fd_ >= 0) close(fd_);
}

OwnedFd& OwnedFd::operator=(OwnedFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) close(fd_);
        fd_ = other.release();
    }
    return *this;
}

namespace {

constexpr std::string_view kDeletedSuffix = " (deleted)";

struct Candidate {
    std::string path;
    /// When set, `path` is resolved inside this directory as if it were "/":
    /// the target's absolute symlinks and ".." cannot lead out of its root.
    std::string root;
    /// Usable even when its inode differs from the mapping's: a live path
    /// (overlay and bind mounts may report other inode numbers for the same
    /// file). Never for a deleted file's path or for map_files of a pid that
    /// may have been reused.
    bool fallback_ok = false;
};

// O_NONBLOCK: a hostile root could put a FIFO at a library's path, and a
// blocking open would hang the tracer.
constexpr int kOpenFlags = O_RDONLY | O_CLOEXEC | O_NONBLOCK;

/// Opens a regular file only: the path is first opened with O_PATH (which
/// opens nothing: no FIFO wait, no device driver's open), checked, and only
/// then reopened for reading.
int reopen_if_regular(int path_fd) {
    OwnedFd held(path_fd);
    struct stat st {};
    if (!held || fstat(held.get(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    return open(("/proc/self/fd/" + std::to_string(held.get())).c_str(), kOpenFlags);
}

int open_in_root(const std::string& root, const std::string& path) {
    OwnedFd dir(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return -1;
    struct open_how how {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string relative = path.substr(path.find_first_not_of('/') == std::string::npos
                                           ? path.size()
                                           : path.find_first_not_of('/'));
    return reopen_if_regular(
        static_cast<int>(syscall(SYS_openat2, dir.get(), relative.c_str(), &how, sizeof how)));
}

std::optional<ModuleFile> open_regular(const Candidate& c) {
    OwnedFd fd(c.root.empty() ? reopen_if_regular(open(c.path.c_str(), O_PATH | O_CLOEXEC))
                              : open_in_root(c.root, c.path));
    if (!fd) return std::nullopt;
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return ModuleFile{std::move(fd), c.root.empty() ? c.path : c.root + c.path,
                      static_cast<uint64_t>(st.st_ino)};
}

std::vector<Candidate> candidates(const std::string& root_dir, int pid, const Mapping& m) {
    std::string path = m.path;
    const bool deleted = path.size() > kDeletedSuffix.size() &&
                         std::string_view(path).substr(path.size() - kDeletedSuffix.size()) ==
                             kDeletedSuffix;
    if (deleted) path.resize(path.size() - kDeletedSuffix.size());

    std::vector<Candidate> out;
    // Whatever now sits at a deleted file's path is only usable when its
    // inode proves it is the same file, which needs a known inode.
    if (!deleted || m.ino != 0) {
        const bool has_root = !root_dir.empty() && root_dir != "/" && access(root_dir.c_str(), X_OK) == 0;
        if (has_root) out.push_back({path, root_dir, !deleted});
        // The host's file of the same name is another file when the target has
        // its own root: only try it when that root is unknown or gone.
        else out.push_back({path, "", !deleted});
    }
    if (pid > 0 && m.start < m.end) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, m.start,
                      m.end);
        out.push_back({buf, "", false});
    }
    return out;
}

}  // namespace

std::optional<ModuleFile> open_module_file(const std::string& root_dir, int pid, const Mapping& m) {
    std::optional<ModuleFile> fallback;
    for (const Candidate& c : candidates(root_dir, pid, m)) {
        std::optional<ModuleFile> f = open_regular(c);
        if (!f) continue;
        if (m.ino == 0 || f->ino == m.ino) return f;
        if (c.fallback_ok && !fallback) fallback = std::move(f);
    }
    return fallback;
}

}  // namespace threadleak
