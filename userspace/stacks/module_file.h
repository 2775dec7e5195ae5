// Opening the file behind an executable mapping of a traced process, without
// trusting that the path still names the same file (upgrades, containers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "capture/capture_types.h"

namespace threadleak {

/// An open file descriptor, closed on destruction unless released.
class OwnedFd {
public:
    OwnedFd() = default;
    explicit OwnedFd(int fd) : fd_(fd) {}
    ~OwnedFd();
    OwnedFd(OwnedFd&& other) noexcept : fd_(other.release()) {}
    OwnedFd& operator=(OwnedFd&& other) noexcept;
    OwnedFd(const OwnedFd&) = delete;
    OwnedFd& operator=(const OwnedFd&) = delete;

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    /// Gives up ownership (e.g. to libdwfl, which closes it itself).
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_ = -1;
};

struct ModuleFile {
    OwnedFd fd;
    std::string path;  ///< what was opened: may carry the root_dir prefix
    uint64_t ino = 0;
};

/// Opens the regular file mapped by `m`: its path resolved inside `root_dir`
/// (the plain path only when `root_dir` is "", "/" or not accessible), then
/// /proc/`pid`/map_files/START-END (the mapped file itself, even when deleted;
/// needs CAP_SYS_ADMIN). With `m.ino` != 0 a candidate whose
/// inode matches wins; if none matches, the first path that opens is used
/// unless the mapping's file was deleted (then the path names another file).
/// nullopt if nothing suitable opens.
std::optional<ModuleFile> open_module_file(const std::string& root_dir, int pid, const Mapping& m);

}  // namespace threadleak
