// File kinds by inode type, and anonymous inodes by dentry name.
#include "syscalls/fd_kind.h"

#include <string_view>

namespace threadleak {
namespace {

struct AnonKind { std::string_view dentry; FdKind kind; };
// Dentry names given to anon_inode_getfile() and friends across the kernel.
constexpr AnonKind kAnonKinds[] = {
    {"[eventfd]", FdKind::Eventfd},         {"[timerfd]", FdKind::Timerfd},
    {"[eventpoll]", FdKind::Epoll},         {"[signalfd]", FdKind::Signalfd},
    {"[io_uring]", FdKind::IoUring},        {"inotify", FdKind::Inotify},
    {"[fanotify]", FdKind::Fanotify},       {"[pidfd]", FdKind::Pidfd},
    {"[userfaultfd]", FdKind::Userfaultfd}, {"[perf_event]", FdKind::PerfEvent},
    {"bpf-map", FdKind::BpfMap},            {"bpf-prog", FdKind::BpfProgram},
    {"bpf_link", FdKind::BpfLink},
};

constexpr uint32_t kTypeMask = 0170000;  // S_IFMT
constexpr uint32_t kRegular = 0100000;   // S_IFREG

FdKind kind_by_type(uint32_t type) {
    switch (type) {
    case 0010000: return FdKind::Pipe;
    case 0140000: return FdKind::Socket;
    case 0020000: return FdKind::CharDevice;
    case kRegular: return FdKind::File;
    case 0040000: return FdKind::Directory;
    case 0060000: return FdKind::BlockDevice;
    case 0120000: return FdKind::Symlink;
    default: return FdKind::Unknown;
    }
}

}  // namespace

FdFact classify_fd(int number, uint32_t i_mode, const std::string& dentry_name) {
    FdFact f;
    f.number = number;
    const uint32_t type = i_mode & kTypeMask;
    // Anonymous-inode files carry no file type bits (or S_IFREG on kernels where
    // anon inodes and pidfs got a "proper" mode); their dentry name says what
    // they are. A bracketed name of a kind not listed is still an anon inode,
    // but only without type bits: a regular file may be called "[x]".
    if (type == 0 || type == kRegular) {
        for (const auto& a : kAnonKinds) {
            if (dentry_name == a.dentry) {
                f.kind = a.kind;
                return f;
            }
        }
        if (type == 0 && dentry_name.size() > 2 && dentry_name.front() == '[' &&
            dentry_name.back() == ']') {
            f.kind = FdKind::OtherAnon;
            f.anon_name = dentry_name;
            return f;
        }
    }
    f.kind = kind_by_type(type);
    return f;
}

}  // namespace threadleak
