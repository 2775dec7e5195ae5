// What a blocked call waits for when no runtime classifier knows its caller:
// told by the syscall and the kind of its descriptor alone.
#include "analyze/wait_classifier.h"

#include <string_view>

namespace threadleak {
namespace {

struct SyscallRule {
    std::string_view syscall;
    WaitKind kind;
};

constexpr SyscallRule kRules[] = {
    {"nanosleep", WaitKind::Sleep},     {"clock_nanosleep", WaitKind::Sleep},
    {"read", WaitKind::Read},           {"readv", WaitKind::Read},
    {"pread64", WaitKind::Read},        {"preadv", WaitKind::Read},
    {"preadv2", WaitKind::Read},        {"recvfrom", WaitKind::Read},
    {"recvmsg", WaitKind::Read},        {"recvmmsg", WaitKind::Read},
    {"write", WaitKind::Write},         {"writev", WaitKind::Write},
    {"pwrite64", WaitKind::Write},      {"pwritev", WaitKind::Write},
    {"pwritev2", WaitKind::Write},      {"sendto", WaitKind::Write},
    {"sendmsg", WaitKind::Write},       {"sendmmsg", WaitKind::Write},
    {"accept", WaitKind::Accept},       {"accept4", WaitKind::Accept},
    {"epoll_wait", WaitKind::Epoll},    {"epoll_pwait", WaitKind::Epoll},
    {"epoll_pwait2", WaitKind::Epoll},  {"poll", WaitKind::Poll},
    {"ppoll", WaitKind::Poll},          {"select", WaitKind::Poll},
    {"pselect6", WaitKind::Poll},       {"pause", WaitKind::Signal},
    {"rt_sigsuspend", WaitKind::Signal},{"rt_sigtimedwait", WaitKind::Signal},
    {"wait4", WaitKind::Child},         {"waitid", WaitKind::Child},
};

class SyscallWaits : public WaitClassifier {
public:
    std::optional<WaitFacts> classify(const BlockedIn& b) const override {
        WaitFacts w;
        set_timeout(b, &w);
        if (b.futex) {
            w.object = b.futex->uaddr;
            set_wakes(b, &w);
            return w;  // a futex of an object no runtime classifier names
        }
        // An unlisted call stays Unknown, with its fd and timeout.
        for (const SyscallRule& r : kRules) {
            if (b.syscall == r.syscall) {
                w.kind = r.kind;
                break;
            }
        }
        if (b.fd) {
            w.fd = b.fd->number;
            w.fd_kind = b.fd->kind;
            if (b.object.fd_ino) w.fd_ino = b.object.fd_ino;
            if (w.kind == WaitKind::Read && b.fd->kind == FdKind::Timerfd) {
                w.kind = WaitKind::Timerfd;
                w.timer_interval_ns = b.object.timer_interval_ns;
            }
            if (w.kind == WaitKind::Read && b.fd->kind == FdKind::Pipe) w.pipe_writers = b.object.pipe_writers;
            if (b.fd->kind == FdKind::Socket) w.socket = b.object.socket;
            if (w.kind == WaitKind::Epoll) {
                w.epoll_empty = b.object.epoll_empty;
                w.epoll_watched = b.object.epoll_watched;
            }
        }
        return w;
    }
};

}  // namespace

const WaitClassifier& syscall_wait_classifier() {
    static const SyscallWaits classifier;
    return classifier;
}

void set_timeout(const BlockedIn& b, WaitFacts* w) {
    w->timed = b.timeout && b.timeout->form != TimeoutForm::None;
    if (b.syscall == "nanosleep" || b.syscall == "clock_nanosleep") w->timed = true;
    w->timeout_ns = b.timeout_ns;
}

void set_wakes(const BlockedIn& b, WaitFacts* w) {
    w->wakes_sent = b.object.wakes_sent;
    if (b.object.wakes_sent && b.object.last_waker_tid) w->last_waker_tid = b.object.last_waker_tid;
}

}  // namespace threadleak
