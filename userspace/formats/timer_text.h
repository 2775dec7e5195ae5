// How every human-readable format words timerfds left open at exit. The
// executable's path comes from the target: the caller escapes the phrase.
#pragma once

#include <string>

#include "report/report.h"

namespace threadleak {

/// "1 timer (timerfd fd 3) of pid 42 (/opt/app) still open when the process
/// exited: armed, firing every 50.00ms; this site created 1, closed 0".
std::string timer_phrase(const LeakedTimers& t);

/// "2 leaked timers": the open timerfds of every site together.
std::string timer_count_text(const std::vector<LeakedTimers>& timers);

}  // namespace threadleak
