// One way of telling what a blocked thread waits for. Each runtime (glibc and
// libstdc++ now; Go and the JVM later) adds its own in a file of its own; the
// kernel-level fallback reads only the syscall (analyze/wait_classification.h
// asks them in order, the first answer wins).
#pragma once

#include <optional>

#include "report/report.h"

namespace threadleak {

class WaitClassifier {
public:
    virtual ~WaitClassifier() = default;
    /// The wait `b` is in, or nullopt when this classifier does not know it.
    virtual std::optional<WaitFacts> classify(const BlockedIn& b) const = 0;
};

/// glibc's and libstdc++'s synchronization objects: which one a futex wait is
/// for, from the frames above the call (analyze/glibc_waits.cpp).
const WaitClassifier& glibc_wait_classifier();

/// What the syscall alone says: sleeps, reads, accepts, polls, signal and
/// child waits, and a futex of an unknown object (analyze/syscall_waits.cpp).
const WaitClassifier& syscall_wait_classifier();

/// Whether `b`'s call has a timeout, and its length when relative and known
/// (shared by the classifiers).
void set_timeout(const BlockedIn& b, WaitFacts* w);

/// --track-wakes: the futex wakes sent to the address since the wait began.
void set_wakes(const BlockedIn& b, WaitFacts* w);

}  // namespace threadleak
