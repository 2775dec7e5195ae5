// One readable phrase for what a blocked thread waits for, shared by every
// format that shows it to a person (text, html, junit, and the JSON's "text").
// Thread names come from the target: the caller escapes the phrase for its
// medium, like any other string from the target.
#pragma once

#include <string>

#include "report/report.h"

namespace threadleak {

/// "waits on condition variable 0x7f12a0 (its futex); no wake was ever sent to it",
/// "waits for mutex 0x601040, held by thread 4242 (holder), which waits on a
/// condition variable"; "" when nothing is classified.
std::string wait_phrase(const LeakFindings& f);

/// "a condition variable", "a mutex", ...: what a thread waits on, as a noun.
std::string wait_noun(WaitKind k);

/// "thread 4242 (worker) waits for mutex 0x601040, held by thread 4243 (other)":
/// one edge of a deadlock.
std::string deadlock_edge_phrase(const DeadlockEdge& e, const std::string& holder_name);

}  // namespace threadleak
