#include "analyze/wait_classification.h"

#include "analyze/wait_classifier.h"
#include "analyze/wait_graph.h"

namespace threadleak {

namespace {

/// A wait that a timer ends, and that the thread went back to: the heartbeat
/// nobody stopped. Seen when the sampler found it asleep at the same place
/// after waking, in a timed wait or on a timerfd; or told by a periodic
/// timerfd, which will wake it whatever the sampler saw.
void set_ticking(const BlockedIn& b, WaitFacts* w) {
    const bool timer = w->kind == WaitKind::Timerfd;
    const uint64_t interval = timer ? w->timer_interval_ns.value_or(0) : 0;
    const bool came_back = b.object.same_sleeps > 0 && (w->timed || timer);
    if (!came_back && interval == 0) return;
    w->sleeps_seen = b.object.same_sleeps;
    if (w->timeout_ns && *w->timeout_ns > 0)
        w->period_ns = static_cast<uint64_t>(*w->timeout_ns);
    else if (interval > 0)
        w->period_ns = interval;
    else
        w->period_ns = b.object.same_sleeps_span_ns / b.object.same_sleeps;
}

}  // namespace

WaitFacts classify_wait(const BlockedIn& b) {
    WaitFacts w;
    for (const WaitClassifier* c : {&glibc_wait_classifier(), &syscall_wait_classifier()}) {
        if (std::optional<WaitFacts> found = c->classify(b)) {
            w = *found;
            break;
        }
    }
    set_ticking(b, &w);
    return w;
}

namespace {

/// A thread killed at exit (or parked in attach), told apart by what it did.
LeakKind refined_kind(const LeakedThread& t) {
    if (t.kind != LeakKind::Unjoined && t.kind != LeakKind::Parked) return t.kind;
    if (t.deadlock) return LeakKind::Deadlock;
    if (t.kind == LeakKind::Parked) return t.kind;
    if (t.state == ThreadState::Running) return LeakKind::Busy;
    if (t.state == ThreadState::Blocked && t.wait && t.wait->period_ns) return LeakKind::Ticking;
    if (t.state == ThreadState::Blocked && t.wait && !t.wait->timed) return LeakKind::Parked;
    return t.kind;
}

}  // namespace

std::vector<Deadlock> explain_waits(std::vector<LeakedThread>& threads) {
    for (LeakedThread& t : threads)
        if (t.state == ThreadState::Blocked && t.blocked_in) t.wait = classify_wait(*t.blocked_in);
    std::vector<Deadlock> deadlocks = link_waiters(threads);
    for (LeakedThread& t : threads) t.kind = refined_kind(t);
    return deadlocks;
}

}  // namespace threadleak
