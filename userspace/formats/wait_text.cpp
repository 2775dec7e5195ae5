#include "formats/wait_text.h"

#include "formats/socket_text.h"
#include "formats/syscall_value_names.h"
#include "formats/wording.h"

namespace threadleak {
namespace {

std::string thread_text(int tid, const std::string& name) {
    return "thread " + std::to_string(tid) + (name.empty() ? "" : " (" + name + ")");
}

std::string object_text(const char* what, const WaitFacts& w) {
    return std::string(what) + (w.object ? " " + to_hex(*w.object) : "");
}

/// ", held by thread 4243 (other), which waits on a condition variable"
std::string holder_text(const char* verb, const std::optional<WaitsFor>& wf, const std::optional<int>& tid) {
    if (!tid) return std::string(", ") + verb + " by a thread not known";
    std::string s = std::string(", ") + verb + " by " + thread_text(*tid, wf ? wf->name : "");
    if (!wf || !wf->found) return s + ", which is not among this process's threads (it exited without releasing it)";
    if (wf->waits_in) return s + ", which waits on " + wait_noun(*wf->waits_in) + " itself";
    return s + ", which is not blocked";
}

std::string fd_text(const WaitFacts& w) {
    std::string s = w.fd ? "fd " + std::to_string(*w.fd) : std::string("a descriptor");
    if (w.socket)
        s += " (" + socket_text(*w.socket) + ")";
    else if (w.fd_kind)
        s += " (" + fd_kind_name(FdFact{w.fd.value_or(-1), *w.fd_kind, {}}) + ")";
    return s;
}

/// "; its write end is held by pid 42 (fd 5), pid 43 (fd 3)".
std::string peers_text(const WaitFacts& w, const char* end) {
    if (w.pipe_peers.empty()) return "";
    std::string s = std::string("; its ") + end + " is held by";
    for (size_t i = 0; i < w.pipe_peers.size(); i++)
        s += (i ? ", pid " : " pid ") + std::to_string(w.pipe_peers[i].pid) + " (fd " +
             std::to_string(w.pipe_peers[i].fd) + ")";
    return s;
}

std::string wakes_text(const WaitFacts& w) {
    if (!w.wakes_sent) return "";
    if (*w.wakes_sent == 0) return "; no wake was ever sent to it";
    std::string s = "; " + plural(*w.wakes_sent, "wake was", "wakes were") + " sent to it since it began waiting";
    if (w.last_waker_tid) s += " (last by thread " + std::to_string(*w.last_waker_tid) + ")";
    return s + ", none reached it";
}

std::string timeout_text(const WaitFacts& w) {
    if (!w.timed) return "";
    if (w.timeout_ns) return ", with a timeout of " + short_duration(static_cast<uint64_t>(*w.timeout_ns));
    return ", with a timeout";
}

}  // namespace

std::string wait_noun(WaitKind k) {
    switch (k) {
    case WaitKind::Condvar: return "a condition variable";
    case WaitKind::Mutex: return "a mutex";
    case WaitKind::Rwlock: return "a read-write lock";
    case WaitKind::Semaphore: return "a semaphore";
    case WaitKind::Barrier: return "a barrier";
    case WaitKind::Join: return "a thread to end";
    case WaitKind::Once: return "a one-time initialization";
    case WaitKind::Sleep: return "a sleep";
    case WaitKind::Read: return "a read";
    case WaitKind::Write: return "a write";
    case WaitKind::Accept: return "a connection";
    case WaitKind::Epoll: return "an epoll set";
    case WaitKind::Poll: return "a poll";
    case WaitKind::Signal: return "a signal";
    case WaitKind::Child: return "a child process";
    case WaitKind::Timerfd: return "a timer";
    case WaitKind::Unknown: return "something not recognised";
    }
    return "something not recognised";
}

std::string wait_phrase(const LeakFindings& f) {
    if (!f.wait) return "";
    const WaitFacts& w = *f.wait;
    std::string s;
    switch (w.kind) {
    case WaitKind::Condvar: s = object_text("waits on condition variable", w) + " (its futex)" + wakes_text(w); break;
    case WaitKind::Mutex: s = object_text("waits for mutex", w) + holder_text("held", f.waits_for, w.owner_tid); break;
    case WaitKind::Rwlock:
        s = std::string(w.for_write.value_or(false) ? "waits to write-lock" : "waits to read-lock") +
            object_text(" read-write lock", w);
        break;
    case WaitKind::Semaphore: s = object_text("waits on semaphore", w) + wakes_text(w); break;
    case WaitKind::Barrier: s = object_text("waits at barrier", w); break;
    case WaitKind::Once: s = object_text("waits for a one-time initialization another thread runs", w); break;
    case WaitKind::Join:
        if (w.joins_tid) {
            s = "waits to join " + thread_text(*w.joins_tid, f.waits_for ? f.waits_for->name : "");
            if (f.waits_for && f.waits_for->found && f.waits_for->waits_in)
                s += ", which waits on " + wait_noun(*f.waits_for->waits_in) + " itself";
            else if (f.waits_for && f.waits_for->found)
                s += ", which is not blocked";
        } else {
            s = "waits to join a thread";
        }
        break;
    case WaitKind::Sleep: s = "sleeps"; break;
    case WaitKind::Read:
        s = "waits to read " + fd_text(w);
        if (w.pipe_writers)
            s += *w.pipe_writers == 0 ? "; no write end is open: nothing can ever write to it"
                                      : "; " + plural(*w.pipe_writers, "write end is", "write ends are") + " open";
        s += peers_text(w, "write end");
        break;
    case WaitKind::Write: s = "waits to write " + fd_text(w) + peers_text(w, "read end"); break;
    case WaitKind::Accept: s = "waits for a connection on " + fd_text(w); break;
    case WaitKind::Epoll:
        s = "waits on epoll " + fd_text(w);
        if (w.epoll_empty && *w.epoll_empty)
            s += ", which watches no descriptor: nothing can ever end this wait";
        else if (w.epoll_watched)
            s += ", which watches " + plural(*w.epoll_watched, "descriptor", "descriptors");
        else if (w.epoll_empty)
            s += ", which watches at least one descriptor";
        break;
    case WaitKind::Poll: s = "waits in poll"; break;
    case WaitKind::Signal: s = "waits for a signal"; break;
    case WaitKind::Child: s = "waits for a child process to change state"; break;
    case WaitKind::Timerfd:
        s = "waits for timer " + fd_text(w) + " to expire";
        if (w.timer_interval_ns && *w.timer_interval_ns == 0) s += " (it has no interval: it fires once at most)";
        break;
    case WaitKind::Unknown:
        s = w.object ? "waits on futex " + to_hex(*w.object) + " of an object not recognised" + wakes_text(w)
                     : (w.fd ? "waits on " + fd_text(w) : std::string("waits"));
        break;
    }
    s += timeout_text(w);
    if (w.period_ns) s += "; ticking: woken every " + short_duration(*w.period_ns) + ", then waits here again";
    if (f.deadlock) s = "in a deadlock: " + s;
    return s;
}

std::string deadlock_edge_phrase(const DeadlockEdge& e, const std::string& holder_name) {
    // The graph's edges are a mutex's holder or a joined thread (analyze/wait_graph.h).
    if (e.kind == WaitKind::Join) return thread_text(e.tid, e.name) + " waits to join " + thread_text(e.held_by, holder_name);
    return thread_text(e.tid, e.name) + " waits for mutex" + (e.object ? " " + to_hex(*e.object) : "") +
           ", held by " + thread_text(e.held_by, holder_name);
}

}  // namespace threadleak
