#include "formats/timer_text.h"

#include "formats/wording.h"

namespace threadleak {

std::string timer_phrase(const LeakedTimers& t) {
    std::string s = plural(t.fds.size(), "timer", "timers") + " (timerfd";
    for (size_t i = 0; i < t.fds.size(); i++) s += (i ? ", " : " fd ") + std::to_string(t.fds[i]);
    s += ") of pid " + std::to_string(t.pid) + " (" + t.exe + ") still open when the process exited: " +
         (t.armed ? "armed" : "not armed");
    if (t.interval_ns) s += ", firing every " + short_duration(t.interval_ns);
    return s + "; this site created " + std::to_string(t.created) + ", closed " + std::to_string(t.closed);
}

std::string timer_count_text(const std::vector<LeakedTimers>& timers) {
    size_t n = 0;
    for (const LeakedTimers& t : timers) n += t.fds.size();
    return plural(n, "leaked timer", "leaked timers");
}

}  // namespace threadleak
