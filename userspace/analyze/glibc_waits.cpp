// glibc (NPTL) and libstdc++ waits: every pthread object waits in futex(2),
// so the object is told by the function that called it. The frames are
// searched innermost first for the first known name: a condvar's internal
// mutex wait (__lll_lock_wait under pthread_cond_wait) is a mutex wait.
#include "analyze/wait_classifier.h"

#include <string_view>

namespace threadleak {
namespace {

constexpr int64_t kNrFutex = 202;

struct NameRule {
    std::string_view prefix;  ///< a function name starting with this
    WaitKind kind;
};

// Versioned and internal aliases (___pthread_mutex_lock, __pthread_cond_wait,
// pthread_cond_wait@@GLIBC_2.3.2) are matched after the leading underscores.
constexpr NameRule kRules[] = {
    {"lll_lock_wait", WaitKind::Mutex},       // pthread_mutex_lock's slow path
    {"pthread_mutex_lock", WaitKind::Mutex},
    {"pthread_mutex_timedlock", WaitKind::Mutex},
    {"pthread_mutex_clocklock", WaitKind::Mutex},
    {"pthread_mutex_lock_full", WaitKind::Mutex},
    {"pthread_cond_wait", WaitKind::Condvar},
    {"pthread_cond_timedwait", WaitKind::Condvar},
    {"pthread_cond_clockwait", WaitKind::Condvar},
    {"pthread_rwlock_rdlock", WaitKind::Rwlock},
    {"pthread_rwlock_timedrdlock", WaitKind::Rwlock},
    {"pthread_rwlock_clockrdlock", WaitKind::Rwlock},
    {"pthread_rwlock_wrlock", WaitKind::Rwlock},
    {"pthread_rwlock_timedwrlock", WaitKind::Rwlock},
    {"pthread_rwlock_clockwrlock", WaitKind::Rwlock},
    {"pthread_join", WaitKind::Join},
    {"pthread_timedjoin", WaitKind::Join},
    {"pthread_clockjoin", WaitKind::Join},
    {"new_sem_wait", WaitKind::Semaphore},   // sem_wait's slow path
    {"sem_wait", WaitKind::Semaphore},
    {"sem_timedwait", WaitKind::Semaphore},
    {"sem_clockwait", WaitKind::Semaphore},
    {"pthread_barrier_wait", WaitKind::Barrier},
    {"pthread_once", WaitKind::Once},
    {"cxa_guard_acquire", WaitKind::Once},    // a function-local static's initialization
    {"std::call_once", WaitKind::Once},
    {"std::latch::wait", WaitKind::Barrier},
    {"std::barrier", WaitKind::Barrier},
    {"std::thread::join", WaitKind::Join},
    {"std::condition_variable::wait", WaitKind::Condvar},
    {"std::_V2::condition_variable_any::wait", WaitKind::Condvar},
    {"std::counting_semaphore", WaitKind::Semaphore},
};

std::string_view without_leading_underscores(std::string_view name) {
    while (!name.empty() && name.front() == '_') name.remove_prefix(1);
    return name;
}

const NameRule* rule_for(std::string_view function) {
    const std::string_view bare = without_leading_underscores(function);
    for (const NameRule& r : kRules)
        if (bare.substr(0, r.prefix.size()) == r.prefix || function.substr(0, r.prefix.size()) == r.prefix)
            return &r;
    return nullptr;
}

// Linux's FUTEX_TID_MASK: a PI futex word holds its owner's tid in these bits.
constexpr uint64_t kFutexTidMask = 0x3fffffff;

class GlibcWaits : public WaitClassifier {
public:
    std::optional<WaitFacts> classify(const BlockedIn& b) const override {
        if (b.nr != kNrFutex || !b.futex) return std::nullopt;
        const NameRule* rule = nullptr;
        std::string_view function;
        for (const Frame& f : b.frames) {
            if (!f.function) continue;
            if ((rule = rule_for(*f.function))) {
                function = *f.function;
                break;
            }
        }
        if (!rule) return std::nullopt;
        WaitFacts w;
        w.kind = rule->kind;
        w.object = b.futex->uaddr;
        set_timeout(b, &w);
        set_wakes(b, &w);
        const auto& words = b.object.futex_words;
        switch (w.kind) {
        case WaitKind::Mutex:
            if (b.futex->cmd == FutexCmd::LockPi || b.futex->cmd == FutexCmd::LockPi2) {
                if (words && (words->at(0) & kFutexTidMask)) w.owner_tid = static_cast<int>(words->at(0) & kFutexTidMask);
            } else if (words) {
                // pthread_mutex_t: int __lock; unsigned __count; int __owner; ...
                // (x86_64): the futex is __lock, the owner's tid the int at +8.
                const int owner = static_cast<int>(words->at(1) & 0xffffffff);
                if (owner > 0) w.owner_tid = owner;
            }
            break;
        case WaitKind::Join:
            // The joiner waits on the joined thread's tid word while it still
            // holds that tid (the kernel clears it at the thread's exit).
            if (b.futex->val && *b.futex->val > 0) w.joins_tid = *b.futex->val;
            break;
        case WaitKind::Rwlock:
            w.for_write = function.find("wrlock") != std::string_view::npos;
            break;
        default:
            break;
        }
        return w;
    }
};

}  // namespace

const WaitClassifier& glibc_wait_classifier() {
    static const GlibcWaits classifier;
    return classifier;
}

}  // namespace threadleak
