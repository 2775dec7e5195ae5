#include "analyze/wait_classification.h"

#include "analyze/wait_classifier.h"
#include "analyze/wait_graph.h"

namespace threadleak {

WaitFacts classify_wait(const BlockedIn& b) {
    for (const WaitClassifier* c : {&glibc_wait_classifier(), &syscall_wait_classifier()})
        if (std::optional<WaitFacts> w = c->classify(b)) return *w;
    return {};
}

namespace {

/// A thread killed at exit (or parked in attach), told apart by what it did.
LeakKind refined_kind(const LeakedThread& t) {
    if (t.kind != LeakKind::Unjoined && t.kind != LeakKind::Parked) return t.kind;
    if (t.deadlock) return LeakKind::Deadlock;
    if (t.kind == LeakKind::Parked) return t.kind;
    if (t.state == ThreadState::Running) return LeakKind::Busy;
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
