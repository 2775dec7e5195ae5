// Names of the report model's enums, as they appear in every output format,
// and the model's derived values.
#include "report/report.h"

namespace threadleak {

std::vector<int> LeakGroup::tids() const {
    std::vector<int> out;
    out.reserve(threads.size());
    for (const auto& t : threads) out.push_back(t.tid);
    return out;
}

std::vector<std::string> LeakGroup::thread_names() const {
    std::vector<std::string> out;
    out.reserve(threads.size());
    for (const auto& t : threads) out.push_back(t.name);
    return out;
}

size_t Report::leaked_thread_count() const {
    size_t n = 0;
    for (const auto& g : leaks)  // alive_at_crash are not leaks
        if (!g.goroutine) n += g.threads.size();
    return n;
}

size_t Report::leaked_goroutine_count() const {
    size_t n = 0;
    for (const auto& g : leaks)
        if (g.goroutine) n += g.goroutine->goids.size();
    return n;
}

size_t Report::leaking_site_count() const {
    size_t n = 0;
    for (const auto& s : sites) n += s.verdict == SiteVerdict::Leaking;
    return n;
}

bool is_leak(LeakKind k) { return k != LeakKind::AliveAtCrash; }

const char* to_string(LeakKind k) {
    switch (k) {
    case LeakKind::Unjoined: return "unjoined";
    case LeakKind::Hung: return "hung";
    case LeakKind::KilledByExec: return "killed_by_exec";
    case LeakKind::AliveAtCrash: return "alive_at_crash";
    case LeakKind::LeftRunning: return "left_running";
    case LeakKind::OutlivedTest: return "outlived_test";
    case LeakKind::Parked: return "parked";
    case LeakKind::Deadlock: return "deadlock";
    case LeakKind::Busy: return "busy";
    case LeakKind::Ticking: return "ticking";
    case LeakKind::Goroutine: return "goroutine";
    }
    return "unknown";
}

const char* to_string(ThreadState s) {
    switch (s) {
    case ThreadState::Blocked: return "blocked";
    case ThreadState::Running: return "running";
    case ThreadState::Starting: return "starting";
    case ThreadState::Execing: return "execing";
    case ThreadState::Ia32: return "ia32";
    case ThreadState::Goroutine: return "goroutine";
    }
    return "unknown";
}

const char* to_string(Mode m) {
    switch (m) {
    case Mode::Run: return "run";
    case Mode::Attach: return "attach";
    }
    return "unknown";
}

const char* to_string(WaitKind k) {
    switch (k) {
    case WaitKind::Condvar: return "condvar";
    case WaitKind::Mutex: return "mutex";
    case WaitKind::Rwlock: return "rwlock";
    case WaitKind::Semaphore: return "semaphore";
    case WaitKind::Barrier: return "barrier";
    case WaitKind::Join: return "join";
    case WaitKind::Once: return "once";
    case WaitKind::Sleep: return "sleep";
    case WaitKind::Read: return "read";
    case WaitKind::Write: return "write";
    case WaitKind::Accept: return "accept";
    case WaitKind::Epoll: return "epoll";
    case WaitKind::Poll: return "poll";
    case WaitKind::Signal: return "signal";
    case WaitKind::Child: return "child";
    case WaitKind::Timerfd: return "timerfd";
    case WaitKind::Unknown: return "unknown";
    }
    return "unknown";
}

const char* to_string(SiteVerdict v) {
    switch (v) {
    case SiteVerdict::TooEarly: return "too_early";
    case SiteVerdict::Ok: return "ok";
    case SiteVerdict::Parked: return "parked";
    case SiteVerdict::Leaking: return "leaking";
    }
    return "unknown";
}

}  // namespace threadleak
